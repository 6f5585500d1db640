import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { scene } from './helpers/photos.js';

/** The whole story over real HTTP: victim registers, platform matches, victim withdraws. */
describe('victim → platform → withdraw, over HTTP', () => {
  let server: TestServer;
  let apiKey: string;
  let photo: Buffer;

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey('example-platform');
    photo = await scene(1);
  });
  afterAll(() => server.close());

  it('runs the full flow', async () => {
    // 1. The victim (or her device) hashes the image; nothing is stored.
    const hashed = await request(`${server.url}/v1/hash`, { raw: photo, contentType: 'image/jpeg' });
    expect(hashed.status).toBe(200);
    expect(hashed.body.hashes.map((h: { algorithm: string }) => h.algorithm).sort()).toEqual(['blockhash', 'pdq']);
    const pdq = hashed.body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    expect(pdq.quality).toBeGreaterThanOrEqual(50);

    // 2. She registers a case with the hashes.
    const created = await request(`${server.url}/v1/cases`, { body: { hashes: hashed.body.hashes } });
    expect(created.status).toBe(201);
    expect(created.body.caseNumber).toMatch(/^RMP-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(created.body.hashCount).toBe(2);
    const { caseNumber, caseSecret } = created.body;

    // 3. A platform sees a re-encoded, resized copy uploaded and matches it by image...
    const reupload = await sharp(photo).resize(480).jpeg({ quality: 60 }).toBuffer();
    const byImage = await request(`${server.url}/v1/match/image`, { raw: reupload, contentType: 'image/jpeg', headers: bearer(apiKey) });
    expect(byImage.status).toBe(200);
    expect(byImage.body.matched).toBe(true);
    // scene() is a flat graphic: under the matching profile its blockhash is not answered (unrelated graphics share
    // blockhash codes, docs/matching.md); its PDQ is, and `?profile=none` answers both, as before.
    const algorithms = byImage.body.matches.map((m: { algorithm: string }) => m.algorithm).sort();
    expect(algorithms).toEqual(['pdq']);
    const plain = await request(`${server.url}/v1/match/image?profile=none`, { raw: reupload, contentType: 'image/jpeg', headers: bearer(apiKey) });
    expect(plain.body.matches.map((m: { algorithm: string }) => m.algorithm).sort()).toEqual(['blockhash', 'pdq']);
    for (const m of byImage.body.matches) {
      expect(m.id).toMatch(/^h_/);
      expect(m.id).not.toContain(caseNumber);
      expect(m.distance).toBeLessThanOrEqual(31);
    }

    // ...and by hash, in a batch with an unrelated hash.
    const other = await request(`${server.url}/v1/hash`, { raw: await scene(99), contentType: 'image/jpeg' });
    const batch = await request(`${server.url}/v1/match`, {
      headers: bearer(apiKey),
      body: { hashes: [pdq, other.body.hashes[1]].map((h) => ({ algorithm: h.algorithm, value: h.value })) },
    });
    expect(batch.status).toBe(200);
    expect(batch.body.results).toHaveLength(2);
    expect(batch.body.results[0].matches).toEqual([{ id: expect.stringMatching(/^h_/), algorithm: 'pdq', distance: 0 }]);
    expect(batch.body.results[1].matches).toEqual([]);

    // 4. The platform's synced copy has both hashes.
    const sync = await request(`${server.url}/v1/sync?after=0`, { headers: bearer(apiKey) });
    expect(sync.status).toBe(200);
    expect(sync.body.changes.filter((c: { op: string }) => c.op === 'add')).toHaveLength(2);
    const cursor = sync.body.cursor;

    // 5. The victim sees the matches on her case.
    const status = await request(`${server.url}/v1/cases/${caseNumber}`, { headers: bearer(caseSecret) });
    expect(status.status).toBe(200);
    // One per hash answered: the profile's pdq, today's pdq and blockhash, the batch's pdq.
    expect(status.body).toMatchObject({ caseNumber, status: 'active', hashCount: 2, matchCount: 4 });

    // 6. She withdraws: the hashes leave the index at once...
    const withdrawn = await request(`${server.url}/v1/cases/${caseNumber}`, { method: 'DELETE', headers: bearer(caseSecret) });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ caseNumber, status: 'withdrawn', removedHashes: 2, hashCount: 0 });
    const after = await request(`${server.url}/v1/match/image`, { raw: reupload, contentType: 'image/jpeg', headers: bearer(apiKey) });
    expect(after.body.matched).toBe(false);

    // ...the platform's sync sees the removals, and a fresh sync no longer carries the values.
    const removals = await request(`${server.url}/v1/sync?after=${cursor}`, { headers: bearer(apiKey) });
    expect(removals.body.changes.map((c: { op: string }) => c.op)).toEqual(['remove', 'remove']);
    const fresh = await request(`${server.url}/v1/sync?after=0`, { headers: bearer(apiKey) });
    expect(fresh.body.changes.some((c: { value?: string }) => c.value === pdq.value)).toBe(false);

    // Withdrawing twice is harmless.
    const again = await request(`${server.url}/v1/cases/${caseNumber}`, { method: 'DELETE', headers: bearer(caseSecret) });
    expect(again.body).toMatchObject({ status: 'withdrawn', removedHashes: 0 });
  });

  it('matches a rotated or mirrored copy only when dihedral matching is asked for', async () => {
    const original = await scene(7);
    const hashed = await request(`${server.url}/v1/hash`, { raw: original, contentType: 'image/jpeg' });
    const pdqOnly = hashed.body.hashes.filter((h: { algorithm: string }) => h.algorithm === 'pdq');
    expect((await request(`${server.url}/v1/cases`, { body: { hashes: pdqOnly } })).status).toBe(201);

    for (const [transform, copy] of [
      ['rotate90', await sharp(original).rotate(90).jpeg().toBuffer()],
      ['flipY', await sharp(original).flop().jpeg().toBuffer()],
    ] as const) {
      const plain = await request(`${server.url}/v1/match/image`, { raw: copy, contentType: 'image/jpeg', headers: bearer(apiKey) });
      expect(plain.body.matches.filter((m: { algorithm: string }) => m.algorithm === 'pdq'), transform).toEqual([]);
      const dihedral = await request(`${server.url}/v1/match/image?dihedral=true`, {
        raw: copy,
        contentType: 'image/jpeg',
        headers: bearer(apiKey),
      });
      const pdqMatches = dihedral.body.matches.filter((m: { algorithm: string }) => m.algorithm === 'pdq');
      expect(pdqMatches, transform).toHaveLength(1);
      expect(pdqMatches[0].transform).not.toBe('original');
      expect(pdqMatches[0].distance).toBeLessThanOrEqual(31);
    }

    // The same through the batch endpoint, with the dihedral hashes computed by /v1/hash.
    const rotated = await request(`${server.url}/v1/hash?dihedral=true`, {
      raw: await sharp(original).rotate(180).png().toBuffer(),
      contentType: 'image/png',
    });
    const query = rotated.body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    expect(Object.keys(query.dihedral)).toHaveLength(7);
    const q = { algorithm: 'pdq', value: query.value, dihedral: query.dihedral };
    const plain = await request(`${server.url}/v1/match`, { headers: bearer(apiKey), body: { hashes: [q] } });
    expect(plain.body.results[0].matches).toEqual([]);
    const turned = await request(`${server.url}/v1/match`, { headers: bearer(apiKey), body: { hashes: [q], dihedral: true } });
    expect(turned.body.results[0].matches).toHaveLength(1);
    expect(turned.body.results[0].matches[0].transform).toBe('rotate180');
  });

  it('serves health, readiness, the OpenAPI document and its docs page', async () => {
    expect((await request(`${server.url}/health/live`)).body).toEqual({ status: 'ok' });
    expect((await request(`${server.url}/health/ready`)).body.status).toBe('ready');
    const openapi = await request(`${server.url}/openapi.json`);
    expect(openapi.body.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/v1/cases', '/v1/cases/{caseNumber}', '/v1/match', '/v1/match/image', '/v1/sync', '/v1/hash']),
    );
    const docs = await fetch(`${server.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const missing = await request(`${server.url}/v2/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'NOT_FOUND', message: expect.stringContaining('/v2/nothing') });
  });
});

describe('metrics', () => {
  it('counts requests by route pattern and matches by algorithm, without identifiers', async () => {
    const server = await startTestServer();
    try {
      const key = await server.createPlatformKey('metrics-platform');
      const photo = await scene(21);
      const hashed = await request(`${server.url}/v1/hash`, { raw: photo, contentType: 'image/jpeg' });
      const created = await request(`${server.url}/v1/cases`, { body: { hashes: hashed.body.hashes } });
      await request(`${server.url}/v1/cases/${created.body.caseNumber}`, { headers: bearer(created.body.caseSecret) });
      await request(`${server.url}/v1/match/image`, { raw: photo, contentType: 'image/jpeg', headers: bearer(key) });
      const text = await (await fetch(`${server.metricsUrl}/metrics`)).text();
      expect(text).toMatch(/rempart_indexed_hashes 2/);
      expect(text).toMatch(/rempart_ready 1/);
      expect(text).toMatch(/rempart_matches_total\{algorithm="pdq"\} 1/);
      expect(text).toMatch(/rempart_http_request_duration_seconds_count\{method="GET",route="\/v1\/cases\/:caseNumber",status="200"\} 1/);
      expect(text).not.toContain(created.body.caseNumber);
      expect(text).not.toContain(hashed.body.hashes[0].value);
    } finally {
      await server.close();
    }
  });
});
