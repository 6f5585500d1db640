import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/api/app.js';
import { resolveConfig } from '../src/config.js';
import { Rempart } from '../src/service/rempart.js';
import { documentedOperations } from './helpers/openapi.js';
import { bearer, request, startTestServer } from './helpers/server.js';
import { scene } from './helpers/photos.js';

/** Distinct values shaped like real hashes. */
const value = (i: number) => createHash('sha256').update(`promise-${i}`).digest('hex');

/** Issue 10 item 18: what the README promises about the API, over real HTTP. */
describe('GET /v1/algorithms', () => {
  it('lists the algorithms, the thresholds in force and the quality floor', async () => {
    const server = await startTestServer({ config: { pdqQualityFloor: '60', thresholdOverrides: ['blockhash=5'] } });
    try {
      const response = await request(`${server.url}/v1/algorithms`);
      expect(response.status).toBe(200);
      expect(response.body.qualityFloor).toEqual({ pdq: 60 });
      const byName = Object.fromEntries(response.body.algorithms.map((a: { name: string }) => [a.name, a]));
      expect(byName.pdq).toMatchObject({ bits: 256, threshold: 31, defaultThreshold: 31, hasQuality: true, hasDihedral: true, description: expect.any(String) });
      expect(byName.blockhash).toMatchObject({ bits: 256, threshold: 5, defaultThreshold: 7, hasQuality: false, hasDihedral: false });
    } finally {
      await server.close();
    }
  });
});

describe('readiness', () => {
  it('answers 503 on /health/ready and NOT_READY on matching until the index is loaded, then serves', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-ready-'));
    const config = resolveConfig({ dataDir, host: '127.0.0.1', port: '0', secretCost: '10', hashThreads: '1' });
    // A hash already stored, that the index has not loaded yet.
    const seeding = await Rempart.open(config);
    await seeding.cases.register([{ algorithm: 'blockhash', value: value(1) }]);
    await seeding.close();

    const rempart = await Rempart.open(config);
    const app = await buildApp(rempart);
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const { apiKey } = await rempart.platforms.add('readiness', { kind: 'operator', id: 'test' });
      const operations = await documentedOperations(url);
      const documents = (method: string, p: string, status: number) => operations.find((o) => o.method === method && o.path === p)!.statuses.has(status);

      const ready = await request(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({ status: 'loading', indexedHashes: 0 });
      expect(documents('GET', '/health/ready', 503)).toBe(true);
      const query = { hashes: [{ algorithm: 'blockhash', value: value(1) }] };
      const byHash = await request(`${url}/v1/match`, { headers: bearer(apiKey), body: query });
      expect(byHash.status).toBe(503);
      expect(byHash.body).toMatchObject({ error: 'NOT_READY', message: expect.stringMatching(/still loading/) });
      expect(Number(byHash.headers.get('retry-after'))).toBeGreaterThan(0);
      const byImage = await request(`${url}/v1/match/image`, { raw: await scene(2), contentType: 'image/jpeg', headers: bearer(apiKey) });
      expect(byImage.body).toMatchObject({ statusCode: 503, error: 'NOT_READY' });
      expect(documents('POST', '/v1/match', 503) && documents('POST', '/v1/match/image', 503)).toBe(true);
      // Liveness and the victims' side do not wait for the index.
      expect((await request(`${url}/health/live`)).status).toBe(200);

      await rempart.loadIndex({ follow: false });
      expect((await request(`${url}/health/ready`)).body).toEqual({ status: 'ready', indexedHashes: 1 });
      const matched = await request(`${url}/v1/match`, { headers: bearer(apiKey), body: query });
      expect(matched.status).toBe(200);
      expect(matched.body.results[0].matches).toHaveLength(1);
    } finally {
      await app.close();
      await rempart.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sync paging', () => {
  it('pages with limit and more, keeps the cursor on an empty page, refuses limit > 10,000, and replays a withdrawal from an old cursor', async () => {
    const server = await startTestServer();
    try {
      const key = await server.createPlatformKey();
      const sync = (query: string) => request(`${server.url}/v1/sync?${query}`, { headers: bearer(key) });
      const start = (await sync('after=0')).body.cursor as number;
      const created = await request(`${server.url}/v1/cases`, { body: { hashes: [1, 2, 3, 4, 5].map((i) => ({ algorithm: 'blockhash', value: value(i) })) } });
      expect(created.body.hashCount).toBe(5);

      const pages: { changes: { seq: number; op: string; value?: string }[]; cursor: number; more: boolean }[] = [];
      let cursor = start;
      for (;;) {
        const page = await sync(`after=${cursor}&limit=2`);
        expect(page.status).toBe(200);
        pages.push(page.body);
        cursor = page.body.cursor;
        if (!page.body.more) break;
      }
      expect(pages.map((p) => p.changes.length)).toEqual([2, 2, 1]);
      expect(pages.map((p) => p.more)).toEqual([true, true, false]);
      const seqs = pages.flatMap((p) => p.changes.map((c) => c.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(pages.every((p) => p.cursor === p.changes[p.changes.length - 1]!.seq)).toBe(true);
      expect(pages.flatMap((p) => p.changes.map((c) => c.value)).sort()).toEqual([1, 2, 3, 4, 5].map(value).sort());

      // The end of the log: an empty page keeps the cursor where it was.
      const empty = await sync(`after=${cursor}&limit=2`);
      expect(empty.body).toEqual({ changes: [], cursor, more: false });

      // Limits.
      expect((await sync('after=0&limit=10000')).status).toBe(200);
      const tooMany = await sync('after=0&limit=10001');
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.message).toMatch(/limit/);

      // A withdrawal: from the cursor held before it, only removals (opaque ids, no values)...
      const del = await request(`${server.url}/v1/cases/${created.body.caseNumber}`, { method: 'DELETE', headers: bearer(created.body.caseSecret) });
      expect(del.body.removedHashes).toBe(5);
      const after = await sync(`after=${cursor}`);
      expect(after.body.changes.map((c: { op: string }) => c.op)).toEqual(['remove', 'remove', 'remove', 'remove', 'remove']);
      expect(after.body.changes.some((c: { value?: string }) => c.value !== undefined)).toBe(false);
      // ...and a replay from the old cursor no longer carries the erased adds: removals only.
      const replay = await sync(`after=${start}`);
      expect(replay.body.changes.map((c: { op: string }) => c.op)).toEqual(['remove', 'remove', 'remove', 'remove', 'remove']);
      expect(new Set(replay.body.changes.map((c: { id: string }) => c.id))).toEqual(new Set(pages.flatMap((p) => p.changes.map((c) => (c as unknown as { id: string }).id))));
      expect(JSON.stringify(replay.body)).not.toContain(value(1));
    } finally {
      await server.close();
    }
  });
});

describe('INTERNAL through HTTP', () => {
  it('answers 500 INTERNAL with no detail, and logs the detail', async () => {
    let logs = '';
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-internal-'));
    const rempart = await Rempart.open(resolveConfig({ dataDir, secretCost: '10' }));
    const app = await buildApp(rempart, {
      logger: { level: 'info', stream: new Writable({ write: (chunk, _e, done) => ((logs += String(chunk)), done()) }) } as never,
    });
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      // The store goes away under the service (a disk pulled, a database restarted): a real fault.
      await rempart.store.close();
      const response = await request(`${url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: value(9) }] } });
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ statusCode: 500, error: 'INTERNAL', message: 'internal error; the details are in the server log' });
      expect(logs).toMatch(/"level":50.*unexpected error/);
      // The server is still up.
      expect((await request(`${url}/health/live`)).status).toBe(200);
    } finally {
      await app.close();
      await rempart.close().catch(() => {});
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
