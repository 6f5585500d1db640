/**
 * Signed webhooks against a real HTTP receiver: signatures verify, a 500 is retried with
 * backoff, every attempt is logged, and a delivery pending when the server stops is sent
 * by the next server on the same data directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../src/webhooks/signature.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { sharedPostgres } from './helpers/postgres.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const OPERATOR = { kind: 'operator', id: 'test' } as const;
const FAST_RETRIES = { webhookRetryBaseMs: '40', webhookMaxAttempts: '4', webhookTimeoutMs: '2000' };

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function server(dataDir?: string, config = FAST_RETRIES): Promise<TestServer> {
  const started = await startTestServer({ dataDir, config });
  cleanups.push(() => started.close());
  return started;
}

async function receiver(port?: number): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(port);
  cleanups.push(() => started.close());
  return started;
}

describe('webhook signatures', () => {
  it('verify only the exact body, secret and a recent timestamp', () => {
    const secret = 'whsec_test';
    const now = 1_764_000_000;
    const body = '{"a":1}';
    const signature = signWebhook(secret, now, body);
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(secret, now, body, signature, { nowSeconds: now + 10 })).toBe(true);
    expect(verifyWebhookSignature(secret, String(now), body, `v1=${'0'.repeat(64)}, ${signature}`, { nowSeconds: now })).toBe(true);
    expect(verifyWebhookSignature(secret, now, '{"a":2}', signature, { nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature('whsec_other', now, body, signature, { nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature(secret, now + 1, body, signature, { nowSeconds: now })).toBe(false);
    expect(verifyWebhookSignature(secret, now, body, signature, { nowSeconds: now + 301 })).toBe(false);
    expect(verifyWebhookSignature(secret, undefined, body, signature)).toBe(false);
    expect(verifyWebhookSignature(secret, 'soon', body, signature)).toBe(false);
  });
});

describe('webhook delivery', () => {
  it('signs each request, retries after 500s with growing delays, and logs every attempt', async () => {
    const hooks = await receiver();
    const { server: running } = await server();
    const rempart = running.rempart;
    await rempart.platforms.add('Hooked', OPERATOR);
    const { secret } = await rempart.webhooks.setEndpoint('Hooked', hooks.url, OPERATOR);
    expect(secret).toMatch(/^whsec_/);
    hooks.secret = secret;
    hooks.script = [500, 500];

    const platform = (await rempart.platforms.list()).find((p) => p.name === 'Hooked')!;
    const delivery = await rempart.webhookDispatcher.enqueue(platform.id, 'test.ping', { hello: 'world', n: 1 });
    expect(delivery).toBeDefined();
    const got = await hooks.waitFor(3);
    expect(got.map((r) => r.answered)).toEqual([500, 500, 200]);
    for (const request of got) {
      expect(request.signatureValid).toBe(true);
      expect(request.headers['x-rempart-event']).toBe('test.ping');
      expect(request.headers['x-rempart-delivery']).toBe(delivery!.ref);
      expect(request.json).toMatchObject({ id: delivery!.ref, type: 'test.ping', data: { hello: 'world', n: 1 } });
    }
    // The same bytes each time, each attempt signed afresh.
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    // Backoff: the second wait is longer than the first (base 40 ms, doubling, ±25 % jitter).
    const gaps = [got[1]!.at - got[0]!.at, got[2]!.at - got[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(25);
    expect(gaps[1]).toBeGreaterThanOrEqual(55);

    await expect.poll(async () => (await rempart.webhooks.attempts(delivery!.ref)).delivery.status).toBe('delivered');
    const { delivery: done, attempts } = await rempart.webhooks.attempts(delivery!.ref);
    expect(done.attempts).toBe(3);
    expect(attempts.map((a) => a.statusCode)).toEqual([500, 500, 200]);
    expect((await rempart.store.listAudit({ limit: 1000 })).map((e) => e.action)).toContain('webhook.endpoint_set');
    // A platform without an endpoint gets nothing queued.
    await rempart.platforms.add('Quiet', OPERATOR);
    const quiet = (await rempart.platforms.list()).find((p) => p.name === 'Quiet')!;
    expect(await rempart.webhookDispatcher.enqueue(quiet.id, 'test.ping', {})).toBeUndefined();
  });

  it('marks a delivery failed after the last attempt, and an operator can requeue it', async () => {
    const hooks = await receiver();
    const { server: running } = await server();
    const rempart = running.rempart;
    await rempart.platforms.add('Down', OPERATOR);
    hooks.secret = (await rempart.webhooks.setEndpoint('Down', hooks.url, OPERATOR)).secret;
    hooks.script = [500, 503, 500, 502];
    const platform = (await rempart.platforms.list()).find((p) => p.name === 'Down')!;
    const delivery = (await rempart.webhookDispatcher.enqueue(platform.id, 'test.ping', { n: 2 }))!;
    await hooks.waitFor(4);
    await expect.poll(async () => (await rempart.webhooks.attempts(delivery.ref)).delivery.status).toBe('failed');
    const failed = await rempart.webhooks.deliveries({ platformName: 'Down', status: 'failed' });
    expect(failed.map((d) => d.ref)).toEqual([delivery.ref]);
    expect(failed[0]!.lastError).toBe('HTTP 502');

    await rempart.webhooks.retry(delivery.ref, OPERATOR);
    await hooks.waitFor(5);
    await expect.poll(async () => (await rempart.webhooks.attempts(delivery.ref)).delivery.status).toBe('delivered');
    await expect(rempart.webhooks.retry(delivery.ref, OPERATOR)).rejects.toThrow(/not a failed delivery/);
  });

  it('keeps pending deliveries across a restart and sends them once the receiver is back', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-webhooks-'));
    // A receiver that is down: reserve a port, then close it.
    const probe = await startWebhookReceiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();

    const first = await startTestServer({ dataDir, config: { ...FAST_RETRIES, webhookRetryBaseMs: '200', webhookMaxAttempts: '50' } });
    await first.server.rempart.platforms.add('Later', OPERATOR);
    const url = `http://127.0.0.1:${port}/hooks/rempart`;
    const { secret } = await first.server.rempart.webhooks.setEndpoint('Later', url, OPERATOR);
    const platform = (await first.server.rempart.platforms.list()).find((p) => p.name === 'Later')!;
    const delivery = (await first.server.rempart.webhookDispatcher.enqueue(platform.id, 'test.ping', { n: 3 }))!;
    await expect
      .poll(async () => (await first.server.rempart.webhooks.attempts(delivery.ref)).attempts.length)
      .toBeGreaterThan(0);
    const { attempts } = await first.server.rempart.webhooks.attempts(delivery.ref);
    expect(attempts[0]!.statusCode).toBeNull();
    expect(attempts[0]!.error).toMatch(/ECONNREFUSED/);
    await first.close();

    const hooks = await receiver(port);
    hooks.secret = secret;
    const second = await server(dataDir, { ...FAST_RETRIES, webhookRetryBaseMs: '200', webhookMaxAttempts: '50' });
    const [got] = await hooks.waitFor(1);
    expect(got!.signatureValid).toBe(true);
    expect(got!.headers['x-rempart-delivery']).toBe(delivery.ref);
    await expect.poll(async () => (await second.server.rempart.webhooks.attempts(delivery.ref)).delivery.status).toBe('delivered');
  });

  it('sends each delivery once when several replicas share one PostgreSQL database', async () => {
    // Two serving processes on one database, with the same secrets (one data directory).
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-webhooks-replicas-'));
    const config = { ...FAST_RETRIES, database: sharedPostgres().schemaUrl('webhook_replicas') };
    const replicas = [await server(dataDir, config), await server(dataDir, config)].map((s) => s.server.rempart);
    expect(replicas.map((r) => r.store.backend)).toEqual(['postgres', 'postgres']);
    const hooks = await receiver();
    await replicas[0]!.platforms.add('Shared', OPERATOR);
    hooks.secret = (await replicas[0]!.webhooks.setEndpoint('Shared', hooks.url, OPERATOR)).secret;
    const platform = (await replicas[1]!.platforms.list()).find((p) => p.name === 'Shared')!;
    // Loops stopped, so that the test decides when each replica sends.
    for (const replica of replicas) await replica.webhookDispatcher.stop();
    const queued: string[] = [];
    for (let n = 0; n < 20; n++) {
      const replica = replicas[n % 2]!;
      queued.push((await replica.webhookDispatcher.enqueue(platform.id, 'test.ping', { n }))!.ref);
    }
    // Both replicas send at the same time, batch after batch, until nothing is due.
    const rounds: number[][] = [];
    for (;;) {
      const sent = await Promise.all(replicas.map((r) => r.webhookDispatcher.runOnce()));
      if (sent.every((n) => n === 0)) break;
      rounds.push(sent);
    }
    expect(rounds[0]).toEqual([4, 4]);
    const got = await hooks.waitFor(20);
    const refs = got.map((r) => String(r.headers['x-rempart-delivery']));
    expect(new Set(refs).size).toBe(refs.length);
    expect(refs.sort()).toEqual(queued.sort());
    expect(got.every((r) => r.signatureValid)).toBe(true);
    for (const ref of queued) expect((await replicas[0]!.webhooks.attempts(ref)).delivery).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('refuses bad endpoint URLs and unknown platforms with clear messages', async () => {
    const { server: running } = await server();
    await running.rempart.platforms.add('Strict', OPERATOR);
    await expect(running.rempart.webhooks.setEndpoint('Strict', 'ftp://example.org/x', OPERATOR)).rejects.toThrow(/http/);
    await expect(running.rempart.webhooks.setEndpoint('Strict', 'not a url', OPERATOR)).rejects.toThrow(/not a valid URL/);
    await expect(running.rempart.webhooks.setEndpoint('Strict', 'https://u:p@example.org/', OPERATOR)).rejects.toThrow(/credentials/);
    await expect(running.rempart.webhooks.setEndpoint('Nobody', 'https://example.org/', OPERATOR)).rejects.toThrow(/no platform/);
  });

  it('never stores the signing secret in the clear', async () => {
    const { server: running, dataDir } = await server();
    await running.rempart.platforms.add('Sealed', OPERATOR);
    const { secret } = await running.rempart.webhooks.setEndpoint('Sealed', 'https://example.org/hook', OPERATOR);
    await running.close();
    for (const name of fs.readdirSync(dataDir).filter((n) => n.startsWith('rempart.sqlite'))) {
      const bytes = fs.readFileSync(path.join(dataDir, name));
      expect(bytes.includes(Buffer.from(secret)), name).toBe(false);
      expect(bytes.includes(Buffer.from(secret.slice(6))), name).toBe(false);
    }
  });
});

describe('webhook command line', () => {
  it('sets an endpoint (secret printed once), lists deliveries and refuses unknown names', async () => {
    const { runCli } = await import('./helpers/process.js');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-webhook-cli-'));
    expect((await runCli(['platform', 'add', 'Cli Hooks', '--data-dir', dataDir])).code).toBe(0);
    const set = await runCli(['webhook', 'set', 'Cli Hooks', 'https://hooks.example.org/rempart', '--json', '--data-dir', dataDir]);
    expect(set.code).toBe(0);
    const printed = JSON.parse(set.stdout) as { platform: string; url: string; secret: string };
    expect(printed).toMatchObject({ platform: 'Cli Hooks', url: 'https://hooks.example.org/rempart' });
    expect(printed.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const log = await runCli(['webhook', 'log', '--data-dir', dataDir]);
    expect(log.code).toBe(0);
    expect(log.stdout).toBe('');
    const unknown = await runCli(['webhook', 'set', 'Nobody', 'https://x.example/', '--data-dir', dataDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no platform named "Nobody"');
    expect((await runCli(['webhook', 'remove', 'Cli Hooks', '--data-dir', dataDir])).code).toBe(0);
    expect((await runCli(['webhook', 'remove', 'Cli Hooks', '--data-dir', dataDir])).code).toBe(1);
    const audit = await runCli(['audit', '--data-dir', dataDir]);
    expect(audit.stdout).toContain('webhook.endpoint_set');
    expect(audit.stdout).not.toContain(printed.secret);
  });
});
