/**
 * `feed.changes` webhooks against a real HTTP receiver: a subscribed platform is told the
 * cursor range of new changes (signed, retried after a 500), reads exactly those changes
 * through /v1/sync, and a restart neither repeats nor skips a range.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hexHashValues } from './helpers/codes.js';
import { runCli } from './helpers/process.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const OPERATOR = { kind: 'operator', id: 'test' } as const;
const FAST_RETRIES = { webhookRetryBaseMs: '40', webhookMaxAttempts: '4', webhookTimeoutMs: '2000' };

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function server(dataDir?: string): Promise<TestServer> {
  const started = await startTestServer({ dataDir, config: FAST_RETRIES });
  cleanups.push(() => started.close());
  return started;
}

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver();
  cleanups.push(() => started.close());
  return started;
}

/** Adds a platform with a webhook endpoint at `hooks`; returns its API key. */
async function hookedPlatform(running: TestServer, name: string, hooks: WebhookReceiver): Promise<string> {
  const { apiKey } = await running.server.rempart.platforms.add(name, OPERATOR);
  hooks.secret = (await running.server.rempart.webhooks.setEndpoint(name, hooks.url, OPERATOR)).secret;
  return apiKey;
}

async function readRange(running: TestServer, key: string, after: number, cursor: number) {
  const res = await request(`${running.url}/v1/sync?after=${after}&limit=1000`, { headers: bearer(key) });
  expect(res.status).toBe(200);
  return (res.body.changes as { seq: number; op: string; value?: string }[]).filter((c) => c.seq <= cursor);
}

const feedEvents = (hooks: WebhookReceiver) => hooks.received.filter((r) => r.json?.type === 'feed.changes');

describe('feed.changes webhooks', () => {
  it('tell a subscribed platform the cursor range of new changes, signed, retried after a 500', async () => {
    const running = await server();
    const subscribed = await receiver();
    const other = await receiver();
    const key = await hookedPlatform(running, 'Subscribed', subscribed);
    const otherKey = await hookedPlatform(running, 'Not Subscribed', other);

    const on = await request(`${running.url}/v1/settings/feed-webhook`, { method: 'PUT', headers: bearer(key), body: { enabled: true } });
    expect(on.status).toBe(200);
    expect((await request(`${running.url}/v1/settings`, { headers: bearer(key) })).body.feedWebhook).toBe(true);
    expect((await request(`${running.url}/v1/settings`, { headers: bearer(otherKey) })).body.feedWebhook).toBe(false);
    expect((await request(`${running.url}/v1/settings/feed-webhook`, { method: 'PUT', headers: bearer(key), body: { enabled: 'yes' } })).status).toBe(400);

    subscribed.script = [500];
    const values = hexHashValues(31, 2);
    const created = await request(`${running.url}/v1/cases`, {
      body: { hashes: values.map((value) => ({ algorithm: 'pdq', value, quality: 90 })) },
    });
    expect(created.status).toBe(201);

    const [failed, delivered] = await subscribed.waitFor(2);
    expect([failed!.answered, delivered!.answered]).toEqual([500, 200]);
    expect(delivered!.signatureValid).toBe(true);
    expect(delivered!.headers['x-rempart-event']).toBe('feed.changes');
    expect(delivered!.headers['x-rempart-delivery']).toBe(failed!.headers['x-rempart-delivery']);
    const first = delivered!.json.data as { after: number; cursor: number };
    const adds = await readRange(running, key, first.after, first.cursor);
    expect(adds.map((c) => [c.op, c.value])).toEqual(values.map((v) => ['add', v]));

    // A withdrawal: the next range starts where the last ended and holds the removals.
    const withdrawn = await request(`${running.url}/v1/cases/${created.body.caseNumber}`, {
      method: 'DELETE',
      headers: bearer(created.body.caseSecret),
    });
    expect(withdrawn.status).toBeLessThan(300);
    await subscribed.waitFor(3);
    const second = feedEvents(subscribed)[2]!.json.data as { after: number; cursor: number };
    expect(second.after).toBe(first.cursor);
    expect((await readRange(running, key, second.after, second.cursor)).map((c) => c.op)).toEqual(['remove', 'remove']);

    // The platform that did not subscribe was sent nothing (its queue holds no feed event).
    const queued = await running.server.rempart.webhooks.deliveries({ platformName: 'Not Subscribed', limit: 100 });
    expect(queued.filter((d) => d.eventType === 'feed.changes')).toEqual([]);
    expect(feedEvents(other)).toEqual([]);

    // Turned off: no more events.
    await request(`${running.url}/v1/settings/feed-webhook`, { method: 'PUT', headers: bearer(key), body: { enabled: false } });
    await request(`${running.url}/v1/cases`, { body: { hashes: hexHashValues(32, 1).map((value) => ({ algorithm: 'pdq', value, quality: 90 })) } });
    await running.server.rempart.feedWebhooks.runOnce();
    const all = await running.server.rempart.webhooks.deliveries({ platformName: 'Subscribed', limit: 100 });
    expect(all.filter((d) => d.eventType === 'feed.changes').length).toBe(2);
  });

  it('write nothing per registration while nobody subscribed; the first subscriber hears of changes from then on', async () => {
    const running = await server();
    const hooks = await receiver();
    const key = await hookedPlatform(running, 'Late', hooks);
    const { store, feedWebhooks } = running.server.rempart;
    const register = (seed: number) =>
      request(`${running.url}/v1/cases`, { body: { hashes: hexHashValues(seed, 1).map((value) => ({ algorithm: 'pdq', value, quality: 90 })) } });

    await feedWebhooks.runOnce();
    const idle = await store.getSetting('feed_webhooks.cursor');
    // Every replica runs a pass after every registration: with nobody subscribed it reads
    // nothing of the change log or the cursor (a database round trip each on PostgreSQL).
    const reads: string[] = [];
    const { lastSeq, getSetting } = store;
    store.lastSeq = () => (reads.push('lastSeq'), lastSeq.call(store));
    store.getSetting = (key) => (reads.push(key), getSetting.call(store, key));
    try {
      for (const seed of [41, 42, 43]) expect((await register(seed)).status).toBe(201);
      expect(await feedWebhooks.runOnce()).toBe(0);
      expect(reads.filter((r) => r === 'lastSeq' || r === 'feed_webhooks.cursor')).toEqual([]);
    } finally {
      store.lastSeq = lastSeq;
      store.getSetting = getSetting;
    }
    // No subscriber: the cursor did not move (no settings commit on every registration).
    expect(await store.getSetting('feed_webhooks.cursor')).toBe(idle);

    expect((await request(`${running.url}/v1/settings/feed-webhook`, { method: 'PUT', headers: bearer(key), body: { enabled: true } })).status).toBe(200);
    const subscribedAt = await store.lastSeq();
    expect((await register(44)).status).toBe(201);
    const [event] = await hooks.waitFor(1);
    const range = event!.json.data as { after: number; cursor: number };
    // Only what was written after subscribing is announced, not the three registrations before it.
    expect(range.after).toBe(subscribedAt);
    expect((await readRange(running, key, range.after, range.cursor)).map((c) => c.value)).toEqual(hexHashValues(44, 1));
  });

  it('announce after a restart what was written while the server was down (the CLI), once', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-feed-hooks-'));
    const hooks = await receiver();
    const first = await server(dataDir);
    await hookedPlatform(first, 'Follower', hooks);
    await first.close();

    const on = await runCli(['webhook', 'feed', 'Follower', 'on', '--data-dir', dataDir]);
    expect(on.code, on.stderr).toBe(0);
    expect((await runCli(['webhook', 'feed', 'Nobody', 'on', '--data-dir', dataDir])).stderr).toMatch(/no active platform named "Nobody"/);
    const file = path.join(dataDir, 'import.jsonl');
    const values = hexHashValues(33, 3);
    fs.writeFileSync(file, values.map((value) => JSON.stringify({ algorithm: 'pdq', value, quality: 90 })).join('\n'));
    const imported = await runCli(['import', file, '--data-dir', dataDir]);
    expect(imported.code, imported.stderr).toBe(0);

    const second = await server(dataDir);
    const [event] = await hooks.waitFor(1);
    expect(event!.signatureValid).toBe(true);
    const range = event!.json.data as { after: number; cursor: number };
    const key = await second.createPlatformKey('Reader');
    expect((await readRange(second, key, range.after, range.cursor)).map((c) => c.value)).toEqual(values);
    // Nothing new: a second pass announces nothing.
    expect(await second.server.rempart.feedWebhooks.runOnce()).toBe(0);
  });
});
