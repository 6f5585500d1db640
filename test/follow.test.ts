/**
 * Follower mode with real servers over real HTTP: a read-only Rempart keeps its index in
 * step with one or more source banks' change feeds (long-poll), answers matches locally
 * with each match tagged with its bank, refuses what belongs to a bank, and resumes from its
 * stored cursor after a restart.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { hexHashValues } from './helpers/codes.js';
import { sharedPostgres } from './helpers/postgres.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { eventually } from './helpers/eventually.js';

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function server(config: Record<string, string> = {}, dataDir?: string): Promise<TestServer> {
  const started = await startTestServer({ config, ...(dataDir ? { dataDir } : {}) });
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await started.close();
  });
  const close = started.close;
  started.close = async () => {
    closed = true;
    await close();
  };
  return started;
}

/** A pass-through proxy in front of a source that records the URLs the follower asks for; `down` makes it answer 503. */
async function recordingProxy(target: string): Promise<{ url: string; paths: string[]; down: boolean }> {
  const paths: string[] = [];
  const state = { url: '', paths, down: false };
  const proxy = http.createServer((req, res) => {
    if (state.down) {
      req.resume();
      res.writeHead(503).end();
      return;
    }
    paths.push(req.url ?? '');
    const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
    });
    // The follower hung up (it stopped): so does the proxy, so the source's long-poll ends too.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => proxy.close(() => resolve())));
  state.url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  return state;
}

async function register(source: TestServer, values: string[]) {
  const res = await request(`${source.url}/v1/cases`, { body: { hashes: values.map((value) => ({ algorithm: 'pdq', value, quality: 90 })) } });
  expect(res.status).toBe(201);
  return res.body as { caseNumber: string; caseSecret: string };
}

async function matches(follower: TestServer, key: string, value: string) {
  const res = await request(`${follower.url}/v1/match`, { headers: bearer(key), body: { hashes: [{ algorithm: 'pdq', value }] } });
  expect(res.status).toBe(200);
  return res.body.results[0].matches as { id: string; source?: string; distance: number }[];
}

async function whenReady(follower: TestServer) {
  const ready = await eventually(() => request(`${follower.url}/health/ready`), (r) => r.status === 200);
  expect(ready.status).toBe(200);
}

describe('follower mode (serve --follow)', () => {
  it('keeps its index in step with the source, tags matches with it, and refuses registrations and feeds', async () => {
    const source = await server();
    const sourceKey = await source.createPlatformKey('Follower Instance');
    const [before, after] = [hexHashValues(41, 2), hexHashValues(42, 1)];
    const early = await register(source, before);

    const follower = await server({ follow: source.url, followKey: sourceKey });
    await whenReady(follower);
    const localKey = await follower.createPlatformKey('Uploads');
    const [hit] = await matches(follower, localKey, before[0]!);
    expect(hit).toMatchObject({ distance: 0, source: source.url });
    // The source's own ref: feedback about it goes to the source.
    const atSource = await request(`${source.url}/v1/match`, { headers: bearer(sourceKey), body: { hashes: [{ algorithm: 'pdq', value: before[0] }] } });
    expect(hit!.id).toBe(atSource.body.results[0].matches[0].id);

    // Registered on the source while the follower long-polls: matchable on the follower.
    await register(source, after);
    expect((await eventually(() => matches(follower, localKey, after[0]!), (m) => m.length === 1)).length).toBe(1);
    // Withdrawn on the source: gone from the follower.
    await request(`${source.url}/v1/cases/${early.caseNumber}`, { method: 'DELETE', headers: bearer(early.caseSecret) });
    expect(await eventually(() => matches(follower, localKey, before[1]!), (m) => m.length === 0)).toEqual([]);

    for (const [url, init] of [
      [`${follower.url}/v1/cases`, { body: { hashes: [{ algorithm: 'pdq', value: before[0], quality: 90 }] } }],
      [`${follower.url}/v1/sync?after=0`, { headers: bearer(localKey) }],
      [`${follower.url}/stopncii/v1/FetchHashes?startTimestamp=10`, { headers: { 'x-functions-key': localKey } }],
    ] as const) {
      const res = await request(url, init as never);
      expect(res.status, url).toBe(403);
      expect(res.body.message).toMatch(/read-only follower of http:\/\/127\.0\.0\.1:\d+/);
    }
  });

  it('resumes from its stored cursor after a restart, serving its copy while the source is down', async () => {
    const source = await server();
    const sourceKey = await source.createPlatformKey('Follower Instance');
    const values = hexHashValues(43, 3);
    const kept = await register(source, [values[0]!]);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-follower-'));
    const proxy = await recordingProxy(source.url);
    const config = { follow: proxy.url, followKey: sourceKey };

    const first = await server(config, dataDir);
    await whenReady(first);
    const localKey = await first.createPlatformKey('Uploads');
    const firstCursor = first.server.rempart.follower!.status()[0]!.cursor;
    expect(firstCursor).toBeGreaterThan(0);
    await first.close();
    const mark = proxy.paths.length;

    // While the follower is down: one more registration, one withdrawal.
    const added = await register(source, [values[1]!]);
    await request(`${source.url}/v1/cases/${kept.caseNumber}`, { method: 'DELETE', headers: bearer(kept.caseSecret) });
    const second = await server(config, dataDir);
    await whenReady(second);
    expect(await eventually(() => matches(second, localKey, values[1]!), (m) => m.length === 1)).toHaveLength(1);
    expect(await eventually(() => matches(second, localKey, values[0]!), (m) => m.length === 0)).toEqual([]);
    // It resumed from its stored cursor: the source saw it read after=<first run's cursor>, never after=0 again.
    const reads = proxy.paths.slice(mark);
    expect(reads[0]).toMatch(new RegExp(`^/v1/sync\\?after=${firstCursor}&`));
    expect(reads.filter((p) => p.startsWith('/v1/sync?after=0&'))).toEqual([]);
    await second.close();

    // The source goes away: a restarted follower still answers from its copy.
    await source.close();
    const third = await server(config, dataDir);
    await whenReady(third);
    expect(await matches(third, localKey, values[1]!)).toHaveLength(1);
    const down = await eventually(async () => third.server.rempart.follower!.status()[0]!, (s) => s.lastError !== null);
    expect(down.lastError).toMatch(/fetch failed|ECONNREFUSED|answered 502/);
    expect(await matches(third, localKey, values[1]!)).toHaveLength(1);
    expect(added.caseNumber).toMatch(/^RMP-/);
  });

  it('keeps its copy in PostgreSQL: two follower replicas on one database both follow adds and withdrawals', async () => {
    const source = await server();
    const sourceKey = await source.createPlatformKey('Follower Instance');
    const values = hexHashValues(47, 3);
    const early = await register(source, [values[0]!]);
    const database = sharedPostgres().schemaUrl('follower');
    // Replicas share the pepper and the data key (from the environment in production).
    const shared = { pepper: 'follower-replicas-share-this-pepper-of-32-chars', dataKey: Buffer.alloc(32, 5).toString('base64url') };
    const config = { follow: source.url, followKey: sourceKey, database, ...shared };
    const [one, two] = [await server(config), await server(config)];
    await Promise.all([whenReady(one), whenReady(two)]);
    expect(one.server.rempart.store.backend).toBe('postgres');
    // Platform keys live in the shared database: one key serves both replicas.
    const localKey = await one.createPlatformKey('Uploads');
    for (const replica of [one, two]) expect((await matches(replica, localKey, values[0]!)).map((m) => m.source)).toEqual([source.url]);

    // Whichever replica writes a page first, both indexes take it.
    await register(source, [values[1]!, values[2]!]);
    for (const replica of [one, two]) {
      expect((await eventually(() => matches(replica, localKey, values[2]!), (m) => m.length === 1)).length).toBe(1);
    }
    await request(`${source.url}/v1/cases/${early.caseNumber}`, { method: 'DELETE', headers: bearer(early.caseSecret) });
    for (const replica of [one, two]) expect(await eventually(() => matches(replica, localKey, values[0]!), (m) => m.length === 0)).toEqual([]);
    // The value left the follower's tables; a third replica started now loads only what is live.
    const client = new pg.Client({ connectionString: database.replace(/\?schema=.*$/, '') });
    await client.connect();
    try {
      const schema = new URL(database).searchParams.get('schema')!;
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${client.escapeIdentifier(schema)}.followed_hashes WHERE value = $1`, [
        Buffer.from(values[0]!, 'hex'),
      ]);
      expect(rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
    const three = await server(config);
    await whenReady(three);
    expect(three.server.rempart.indexedHashes()).toBe(2);
    expect(await matches(three, localKey, values[1]!)).toHaveLength(1);
  });

  it('forwards platforms’ feedback to the bank, at least once: queued while the bank is away, sent after a restart', async () => {
    const source = await server();
    const sourceKey = await source.createPlatformKey('Follower Instance');
    const values = hexHashValues(48, 2);
    await register(source, values);
    const proxy = await recordingProxy(source.url);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-follower-'));
    const config = { follow: proxy.url, followKey: sourceKey };
    const first = await server(config, dataDir);
    await whenReady(first);
    const localKey = await first.createPlatformKey('Uploads');
    const [a, b] = [(await matches(first, localKey, values[0]!))[0]!.id, (await matches(first, localKey, values[1]!))[0]!.id];
    const atSource = async (ref: string) => (await source.server.rempart.feedback.forHash(ref)).map((f) => [f.platform, f.value, f.tags]);

    // Reported to the follower: at the bank within moments, from the platform whose key the follower uses.
    const sent = await request(`${first.url}/v1/feedback`, {
      headers: bearer(localKey),
      body: { feedback: [{ id: a, outcome: 'blocked', tags: ['reviewed'] }, { id: 'h_unknown', outcome: 'blocked' }] },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ recorded: 1, unknown: ['h_unknown'] });
    expect(await eventually(() => atSource(a), (f) => f.length === 1)).toEqual([['Follower Instance', 'Blocked', ['reviewed']]]);

    // The bank is away: the report waits in the follower's store, through a restart.
    proxy.down = true;
    const queued = await request(`${first.url}/v1/feedback`, { headers: bearer(localKey), body: { feedback: [{ id: b, outcome: 'not_blocked' }] } });
    expect(queued.body).toEqual({ recorded: 1, unknown: [] });
    await first.close();
    expect(await atSource(b)).toEqual([]);
    const second = await server(config, dataDir);
    await whenReady(second);
    proxy.down = false;
    expect(await eventually(() => atSource(b), (f) => f.length === 1, 30_000)).toEqual([['Follower Instance', 'NotBlocked', []]]);
    // Once: the first report is not sent again.
    expect(proxy.paths.filter((p) => p === '/v1/feedback')).toHaveLength(2);

    // StopNCII's SubmitFeedback (by value) belongs to the bank.
    const byValue = await request(`${second.url}/stopncii/v1/SubmitFeedback`, {
      headers: { 'x-functions-key': localKey },
      body: { count: 1, hashFeedbacks: [{ hashValue: values[0], feedbackValue: 'Blocked' }] },
    });
    expect(byValue.status).toBe(403);
  });

  it('webhook-triggered: reads the bank when its signed feed.changes webhook arrives, instead of long-polling', async () => {
    const source = await server();
    const sourceKey = await source.createPlatformKey('Hooked Follower');
    // The follower's port, reserved so that the bank's webhook can name it before the follower starts.
    const port = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const bank = source.server.rempart;
    const operatorActor = { kind: 'operator', id: 'test' } as const;
    const hook = await bank.webhooks.setEndpoint('Hooked Follower', `http://127.0.0.1:${port}/v1/follow/webhook`, operatorActor);
    const platform = (await bank.platforms.list()).find((p) => p.name === 'Hooked Follower')!;
    await bank.feedWebhooks.subscribe(platform, true, operatorActor);
    const proxy = await recordingProxy(source.url);
    // An hour between reads unless a webhook comes: only the webhook can explain a quick convergence.
    const follower = await server({ follow: proxy.url, followKey: sourceKey, followWebhookSecret: hook.secret, followPollSeconds: '3600', port: String(port) });
    await whenReady(follower);
    const localKey = await follower.createPlatformKey('Uploads');

    const values = hexHashValues(49, 2);
    for (const value of values) {
      await register(source, [value]);
      expect((await eventually(() => matches(follower, localKey, value), (m) => m.length === 1)).map((m) => m.source)).toEqual([proxy.url]);
    }
    const reads = proxy.paths.filter((p) => p.startsWith('/v1/sync'));
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.filter((p) => !p.includes('&wait=0'))).toEqual([]);

    // Only the bank's signature wakes it.
    const forged = await fetch(`${follower.url}/v1/follow/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-rempart-timestamp': String(Math.floor(Date.now() / 1000)), 'x-rempart-signature': 'v1=00' },
      body: '{"after":0,"cursor":1}',
    });
    expect(forged.status).toBe(401);
    const plain = await server();
    expect((await fetch(`${plain.url}/v1/follow/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    expect(() => resolveConfig({ dataDir: os.tmpdir(), follow: 'http://a.example,http://b.example', followKey: 'rk_a', followWebhookSecret: 'whsec_x' })).toThrow(
      /one per --follow URL \(2, "-" for none\), got 1/,
    );
  });

  it('refuses a page whose detail is malformed (indexes nothing of it) and keeps retrying the bank', async () => {
    const value = hexHashValues(50, 1)[0]!;
    const add = (detail: unknown) => ({ seq: 1, op: 'add', id: 'h_x', item: 'i_x', role: 'region', detail, algorithm: 'pdq', value, quality: 90, at: '' });
    let detail: unknown = { box: [0, 0, 0.5, 0.5, 0.5] };
    const bank = http.createServer((req, res) => {
      req.resume();
      const after = Number(new URL(req.url!, 'http://x').searchParams.get('after'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(after === 0 ? { changes: [add(detail)], cursor: 1, more: false } : { changes: [], cursor: after, more: false }));
    });
    await new Promise<void>((resolve) => bank.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => bank.close(() => resolve())));
    const url = `http://127.0.0.1:${(bank.address() as AddressInfo).port}`;
    const follower = await server({ follow: url, followKey: 'rk_whatever' });
    const failed = await eventually(async () => follower.server.rempart.follower!.status()[0]!, (s) => s.lastError !== null);
    expect(failed.lastError).toMatch(/changes\[0\]\.detail\.box must be 4 numbers from 0 to 1/);
    expect(follower.server.rempart.indexedHashes()).toBe(0);
    // The bank mends its page: the next attempt takes it, box and all.
    detail = { box: [0, 0, 0.5, 0.5], extra: 'not kept' };
    await eventually(async () => follower.server.rempart.indexedHashes(), (n) => n === 1);
    const [held] = await follower.server.rempart.store.followedPage(0, 10);
    expect(held!.detail).toEqual({ box: [0, 0, 0.5, 0.5] });
  });

  it('follows several banks, each match tagged with its own', async () => {
    const a = await server();
    const b = await server();
    const keyA = await a.createPlatformKey('Peer');
    const keyB = await b.createPlatformKey('Peer');
    const [va, vb] = [hexHashValues(44, 1)[0]!, hexHashValues(45, 1)[0]!];
    await register(a, [va]);
    await register(b, [vb]);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-follower-'));
    const follower = await server({ follow: `${a.url} ${b.url}`, followKey: `${keyA},${keyB}` }, dataDir);
    await whenReady(follower);
    const local = await follower.createPlatformKey('Uploads');
    expect((await matches(follower, local, va)).map((m) => m.source)).toEqual([a.url]);
    expect((await matches(follower, local, vb)).map((m) => m.source)).toEqual([b.url]);
    await follower.close();

    // Restarted following only B: A's hashes, still on disk, match nothing.
    const onlyB = await server({ follow: b.url, followKey: keyB }, dataDir);
    await whenReady(onlyB);
    expect(await matches(onlyB, local, va)).toEqual([]);
    expect((await matches(onlyB, local, vb)).map((m) => m.source)).toEqual([b.url]);
  });

  it('long-polls: /v1/sync?wait= answers with a change written while it waited', async () => {
    const source = await server();
    const key = await source.createPlatformKey('Reader');
    const start = await request(`${source.url}/v1/sync?after=0`, { headers: bearer(key) });
    const waiting = request(`${source.url}/v1/sync?after=${start.body.cursor}&wait=30`, { headers: bearer(key) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [value] = hexHashValues(46, 1);
    await register(source, [value!]);
    const page = await waiting;
    expect(page.status).toBe(200);
    expect(page.body.changes.map((c: { value: string; item: string; role: string }) => [c.value, c.role, c.item.slice(0, 2)])).toEqual([[value, 'full', 'i_']]);
    expect((await request(`${source.url}/v1/sync?after=0&wait=61`, { headers: bearer(key) })).status).toBe(400);
  });

  it('refuses follower settings that cannot work, naming the problem', () => {
    const base = { dataDir: os.tmpdir() };
    expect(() => resolveConfig({ ...base, follow: 'ftp://x' , followKey: 'rk_a' })).toThrow(/must be an http\(s\) URL/);
    expect(() => resolveConfig({ ...base, follow: 'not a url', followKey: 'rk_a' })).toThrow(/is not a URL/);
    expect(() => resolveConfig({ ...base, follow: 'http://a.example,http://b.example,http://c.example', followKey: 'rk_a,rk_b' })).toThrow(
      /one platform key for all sources or one per source \(3\), got 2/,
    );
    expect(() => resolveConfig({ ...base, followKey: 'rk_a' })).toThrow(/needs --follow/);
    // Its copy may live in PostgreSQL as well as in the embedded SQLite store.
    expect(resolveConfig({ ...base, follow: 'http://a.example', followKey: 'rk_a', database: 'postgres://x@y/z' }).follow).toHaveLength(1);
    expect(resolveConfig({ ...base, follow: 'https://a.example/', followKey: 'rk_a' }).follow).toEqual([{ url: 'https://a.example', key: 'rk_a' }]);
  });
});

describe.each(STORE_BACKENDS)('follower role: $backend', (backend) => {
  it('applies pages idempotently, keeps sources apart, and never moves a cursor back', async () => {
    const { store } = await backend.open();
    const a = await store.followSource('https://a.example');
    expect(a.cursor).toBe(0);
    expect(await store.followSource('https://a.example')).toEqual(a);
    const b = await store.followSource('https://b.example');
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
    const add = { op: 'add' as const, ref: 'h_1', itemRef: 'i_1', role: 'region', detail: { box: [0, 0.5, 0.5, 0.5] }, algorithm: 'pdq', bytes, quality: 80 };
    const first = await store.applyFollowed(a.id, [add], 5);
    expect(first.added.map((h) => [h.ref, h.sourceId, h.bytes])).toEqual([['h_1', a.id, bytes]]);
    // Replayed page (a crash before the cursor moved, or another process on this store): nothing
    // stored twice, and the page still says what an index that follows it must hold.
    expect((await store.applyFollowed(a.id, [add], 5)).added.map((h) => h.id)).toEqual([first.added[0]!.id]);
    expect((await store.followedPage(0, 10)).map((h) => h.ref)).toEqual(['h_1']);
    await store.applyFollowed(b.id, [{ ...add, itemRef: 'i_b' }], 2);
    const facts = await store.followedFacts((await store.followedPage(0, 10)).map((h) => h.id));
    expect([...facts.values()].map((f) => [f.ref, f.itemRef, f.source, f.role, f.detail]).sort()).toEqual([
      ['h_1', 'i_1', 'https://a.example', 'region', { box: [0, 0.5, 0.5, 0.5] }],
      ['h_1', 'i_b', 'https://b.example', 'region', { box: [0, 0.5, 0.5, 0.5] }],
    ]);
    expect((await store.followedPage(0, 1))[0]!.detail).toEqual({ box: [0, 0.5, 0.5, 0.5] });
    // Which followed hashes belong to an item that also holds a hash of an algorithm, item by item within each bank.
    const legacy = await store.applyFollowed(a.id, [{ ...add, ref: 'h_legacy', itemRef: 'i_legacy', role: 'full', detail: null, algorithm: 'blockhash' }], 5);
    const paired = await store.applyFollowed(b.id, [{ ...add, ref: 'h_bh', itemRef: 'i_b', role: 'full', detail: null, algorithm: 'blockhash' }], 2);
    const [legacyId, pairedId] = [legacy.added[0]!.id, paired.added[0]!.id];
    expect(await store.followedItemsHolding([legacyId, pairedId], 'pdq')).toEqual(new Set([pairedId]));
    expect(await store.followedItemsHolding([], 'pdq')).toEqual(new Set());
    await store.applyFollowed(a.id, [{ op: 'remove', ref: 'h_legacy' }], 5);
    await store.applyFollowed(b.id, [{ op: 'remove', ref: 'h_bh' }], 2);
    const removed = await store.applyFollowed(a.id, [{ op: 'remove', ref: 'h_1' }, { op: 'remove', ref: 'h_never' }], 9);
    expect(removed.removed).toEqual([first.added[0]!.id]);
    // Replayed removal: the same local id (another process's index must drop it too); a replayed
    // add of a removed ref does not bring it back; an add and its removal in one page cancel out.
    expect(await store.applyFollowed(a.id, [add, { op: 'remove', ref: 'h_1' }], 9)).toEqual({ added: [], removed: [first.added[0]!.id] });
    expect((await store.applyFollowed(a.id, [add], 9)).added).toEqual([]);
    const both = await store.applyFollowed(a.id, [{ ...add, ref: 'h_2' }, { op: 'remove', ref: 'h_2' }], 9);
    expect([both.added, both.removed.length]).toEqual([[], 1]);
    await store.applyFollowed(a.id, [], 7);
    expect((await store.followSource('https://a.example')).cursor).toBe(9);

    // Feedback queued per source of the hash (or item) it names, in order, until dropped.
    const queued = await store.queueFollowedFeedback([
      { ref: 'i_b', value: 'Blocked', tags: ['t'] },
      { ref: 'h_gone', value: 'Blocked', tags: [] },
      { ref: 'h_1', value: 'NotBlocked', tags: [] },
    ]);
    expect(queued).toEqual({ queued: ['i_b', 'h_1'], unknown: ['h_gone'] });
    expect(await store.queuedFeedback(a.id, 10)).toEqual([]);
    const waiting = await store.queuedFeedback(b.id, 10);
    expect(waiting.map((f) => [f.ref, f.value, f.tags])).toEqual([
      ['i_b', 'Blocked', ['t']],
      ['h_1', 'NotBlocked', []],
    ]);
    await store.dropQueuedFeedback([waiting[0]!.id]);
    expect((await store.queuedFeedback(b.id, 10)).map((f) => f.ref)).toEqual(['h_1']);
    expect((await store.followedPage(0, 10)).map((h) => h.itemRef)).toEqual(['i_b']);
  });
});
