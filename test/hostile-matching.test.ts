import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../src/hashing/index.js';
import { createIndex } from '../src/index/create.js';
import { Matcher } from '../src/index/matcher.js';
import { newCaseNumber } from '../src/service/credentials.js';
import { EngineEvents } from '../src/service/events.js';
import { MatchService } from '../src/service/matching.js';
import { VideoMatchService } from '../src/service/video-matching.js';
import { collapseNearDuplicateItems, implausibility, popcount } from '../src/service/registration-rules.js';
import { openStore } from '../src/store/open.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { tempDir } from './store-helpers.js';

/** The values of the attack: 1,000 blockhash values with a handful of bits set. */
const attackValues = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(64, '0'));

/** A value with exactly `bits` bits set (the first ones). */
function withBits(bits: number): string {
  const bytes = new Uint8Array(32);
  for (let b = 0; b < bits; b++) bytes[b >> 3]! |= 0x80 >> (b & 7);
  return Buffer.from(bytes).toString('hex');
}

/** `hex` with the given bit positions flipped. */
function flip(hex: string, ...bits: number[]): string {
  const bytes = hexToBytes(hex);
  for (const b of bits) bytes[b >> 3]! ^= 0x80 >> (b & 7);
  return Buffer.from(bytes).toString('hex');
}

const REAL = 'a'.repeat(64); // 128 bits set, as real hashes do

describe('registration refuses what no image produces (issue 10 item 6)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { maxHashesPerCase: '4' } });
  });
  afterAll(() => server.close());

  it('refuses the attack values, naming the item, and stores nothing', async () => {
    const before = await server.server.rempart.store.countHashes();
    const response = await request(`${server.url}/v1/cases`, {
      body: { hashes: [{ algorithm: 'blockhash', value: REAL }, ...attackValues.slice(0, 10).map((value) => ({ algorithm: 'blockhash', value }))] },
    });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: 'IMPLAUSIBLE_HASH', message: expect.stringMatching(/^hashes\[1\]: blockhash value sets 0 of 256 bits/) });
    expect(await server.server.rempart.store.countHashes()).toBe(before);
  });

  it('takes values at the measured bounds and refuses one bit beyond', async () => {
    for (const [algorithm, min, max] of [['blockhash', 64, 192], ['pdq', 64, 192]] as const) {
      const quality = algorithm === 'pdq' ? { quality: 90 } : {};
      for (const bits of [min, max]) {
        const ok = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm, value: withBits(bits), ...quality }] } });
        expect(ok.status, `${algorithm} ${bits} bits`).toBe(201);
      }
      for (const bits of [min - 1, max + 1]) {
        const refused = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm, value: withBits(bits), ...quality }] } });
        expect(refused.status, `${algorithm} ${bits} bits`).toBe(422);
        expect(refused.body.message).toContain(`sets ${bits} of 256 bits`);
      }
    }
  });

  it('keeps one hash per picture: near-duplicates within a case collapse, per algorithm', async () => {
    // blockhash's default threshold is 7: values within 1 bit of a kept one are the same picture.
    const hashes = [
      { algorithm: 'blockhash', value: REAL },
      { algorithm: 'blockhash', value: flip(REAL, 3) }, // 1 bit: collapsed
      { algorithm: 'blockhash', value: REAL }, // exact duplicate: collapsed
      { algorithm: 'blockhash', value: flip(REAL, 3, 9) }, // 2 bits: a picture of its own
      { algorithm: 'pdq', value: REAL, quality: 80 }, // same bits, other algorithm: kept
      { algorithm: 'pdq', value: flip(REAL, 1, 2, 3, 4, 5, 6, 7), quality: 80 }, // 7 bits: within pdq's radius (31 / 4)
    ];
    const created = await request(`${server.url}/v1/cases`, { body: { hashes } });
    expect(created.status).toBe(201);
    expect(created.body.hashCount).toBe(3);
  });

  it('caps the hashes of one case (REMPART_MAX_HASHES_PER_CASE)', async () => {
    const distinct = [0, 8, 16, 24, 32].map((b) => ({ algorithm: 'blockhash', value: flip(REAL, b, b + 1, b + 2) }));
    const refused = await request(`${server.url}/v1/cases`, { body: { hashes: distinct } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: 'CASE_TOO_LARGE', message: expect.stringContaining('at most 4 distinct image hashes, got 5') });
    // Five values of which two are near-duplicates fit.
    const fits = await request(`${server.url}/v1/cases`, { body: { hashes: [...distinct.slice(0, 4), { algorithm: 'blockhash', value: flip(distinct[0]!.value, 200) }] } });
    expect(fits.status).toBe(201);
    expect(fits.body.hashCount).toBe(4);
  });
});

describe('videos at registration (issue 10 item 6)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { maxHashesPerCase: '4' } });
  });
  afterAll(() => server.close());

  const frames = (values: string[]) => values.map((value, i) => ({ t: i / 5, value, quality: 90 }));

  it("refuses a frame no picture produces, naming the video and the frame's time", async () => {
    const before = await server.server.rempart.store.countHashes();
    const response = await request(`${server.url}/v1/cases`, { body: { videos: [{ frames: frames([REAL, attackValues[7]!]) }] } });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ error: 'IMPLAUSIBLE_HASH', message: expect.stringMatching(/^videos\[0\]: frame at 0.2 s: pdq value sets 3 of 256 bits/) });
    expect(await server.server.rempart.store.countHashes()).toBe(before);
  });

  it("keeps every frame of a video, however alike (a still scene), and counts frames under the video's own limits, not the image cap", async () => {
    const still = frames([REAL, flip(REAL, 1), flip(REAL, 1, 2), flip(REAL, 3), flip(REAL, 4), flip(REAL, 5)]);
    const response = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'pdq', value: REAL, quality: 90 }], videos: [{ frames: still }] } });
    expect(response.status).toBe(201);
    expect(response.body.hashCount).toBe(7);
  });

  it('collapses a video sent twice in one case, or again with every frame a few bits off, and keeps a different video', async () => {
    const values = [REAL, flip(REAL, 0, 9), flip(REAL, 20, 30, 40, 50), flip(REAL, 60, 70, 80, 90, 100, 110, 120, 130)];
    // Far apart from each other (≥ 8 bits): none collapses into another within the video.
    const video = { frames: frames(values) };
    const reencoded = { frames: frames(values.map((v) => flip(v, 200, 201, 202))) };
    const other = { frames: frames(values.map((v) => flip(v, ...Array.from({ length: 40 }, (_, b) => 140 + b)))) };
    const response = await request(`${server.url}/v1/cases`, { body: { videos: [video, video, reencoded, other] } });
    expect(response.status).toBe(201);
    expect(response.body.hashCount).toBe(8);
  });
});

describe('the rules as functions', () => {
  it('popcount and implausibility', () => {
    expect(popcount(hexToBytes(REAL))).toBe(128);
    expect(implausibility('blockhash', hexToBytes(attackValues[999]!))).toMatch(/sets 8 of 256 bits/);
    expect(implausibility('pdq', hexToBytes(REAL))).toBeUndefined();
  });

  it('collapses whole items by their whole-picture hashes, never the hashes of one item', () => {
    const hash = (value: string, role?: string) => ({ algorithm: 'pdq', bytes: hexToBytes(value), ...(role ? { role } : {}) });
    const first = { hashes: [hash(REAL, 'full'), hash(flip(REAL, 1), 'window'), hash(flip(REAL, 1, 2), 'window')] };
    const again = { hashes: [hash(flip(REAL, 100, 101), 'full'), hash(flip(REAL, 120), 'window')] };
    const other = { hashes: [hash(flip(REAL, ...range(0, 40)), 'full'), hash(flip(REAL, 1), 'window')] };
    const noWhole = { hashes: [hash(REAL, 'region')] };
    expect(collapseNearDuplicateItems([first], () => 4)).toEqual({ kept: [first], collapsed: 0 });
    expect(collapseNearDuplicateItems([first, again, other, noWhole], () => 4)).toEqual({ kept: [first, other, noWhole], collapsed: 2 });
    expect(collapseNearDuplicateItems([first, again], () => 1)).toEqual({ kept: [first, again], collapsed: 0 });
    // Flat hashes (no role) are whole pictures; algorithms never mix.
    const flat = [hash(REAL), hash(flip(REAL, 3)), { algorithm: 'blockhash', bytes: hexToBytes(REAL) }].map((h) => ({ hashes: [h] }));
    expect(collapseNearDuplicateItems(flat, () => 4).kept).toEqual([flat[0], flat[2]]);
    // An item with hashes of two algorithms is the same picture only if both are close to one kept item.
    const both = { hashes: [hash(REAL), { algorithm: 'blockhash', bytes: hexToBytes(flip(REAL, 50, 51, 52, 53, 54, 55)) }] };
    expect(collapseNearDuplicateItems([...flat, both], () => 4).kept).toHaveLength(3);
  });
});

describe('near-duplicate items over HTTP (issue 10 item 6, items model)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { maxHashesPerCase: '4' } });
  });
  afterAll(() => server.close());

  it('keeps every hash of an item set whose windows are close by design; drops a later item of the same picture', async () => {
    const pdq = (value: string, role: string, box: number[]) => ({ algorithm: 'pdq', value, quality: 90, role, box });
    const item = {
      hashes: [
        pdq(REAL, 'full', [0, 0, 1, 1]),
        pdq(flip(REAL, 1), 'window', [0.02, 0.02, 0.98, 0.98]), // 0.96 window: 1 bit from the full hash
        pdq(flip(REAL, 1, 2), 'window', [0.04, 0.04, 0.96, 0.96]), // 0.92 window: 1 bit from the 0.96 one
        pdq(flip(REAL, 1, 2, 3), 'window', [0.06, 0.06, 0.94, 0.94]),
      ],
    };
    const alone = await request(`${server.url}/v1/cases`, { body: { items: [item] } });
    expect(alone.status).toBe(201);
    expect(alone.body.hashCount).toBe(4);
    // The same picture registered twice in one case (2 bits apart): the second item goes whole.
    const sameAgain = { hashes: [pdq(flip(REAL, 100, 101), 'full', [0, 0, 1, 1]), pdq(flip(REAL, 120), 'window', [0.02, 0.02, 0.98, 0.98])] };
    const twice = await request(`${server.url}/v1/cases`, { body: { items: [item, sameAgain] } });
    expect(twice.status).toBe(201);
    expect(twice.body.hashCount).toBe(4);
    const status = await request(`${server.url}/v1/cases/${twice.body.caseNumber}`, { headers: bearer(twice.body.caseSecret) });
    expect(status.body).toMatchObject({ status: 'active', hashCount: 4 });
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * The attack of the issue against a database that already holds it (written before the
 * registration rules existed): two cases of the same 1,000 low-popcount blockhash values.
 */
describe('matching stays bounded against a clustered index (issue 10 items 5, 6)', () => {
  let server: TestServer;
  let apiKey: string;
  const query = (values: string[]) => ({ hashes: values.map((value) => ({ algorithm: 'blockhash', value })) });

  beforeAll(async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    const hashes = attackValues.map((value) => ({ algorithm: 'blockhash', bytes: hexToBytes(value) }));
    const items = hashes.map((hash) => ({ kind: 'image' as const, hashes: [hash] }));
    for (let c = 0; c < 2; c++) await store.createCase({ number: newCaseNumber(), secretHash: 'scrypt$10$x$y', items }, { kind: 'operator', id: 'old' });
    await store.close();
    server = await startTestServer({ dataDir });
    apiKey = await server.createPlatformKey();
    expect(server.server.rempart.indexedHashes()).toBe(2000);
  });
  afterAll(() => server.close());

  it('returns the closest matches of each hash up to the cap, and says so', async () => {
    const one = await request(`${server.url}/v1/match`, { headers: bearer(apiKey), body: query([attackValues[0]!]) });
    expect(one.status).toBe(200);
    const [result] = one.body.results;
    expect(result.truncated).toBe(true);
    expect(result.matches).toHaveLength(50);
    const distances = result.matches.map((m: { distance: number }) => m.distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    expect(distances[0]).toBe(0);
    // The 2 exact copies and every value 1 bit away come before anything farther.
    expect(distances.slice(0, 2)).toEqual([0, 0]);
    expect(distances[49]).toBeLessThanOrEqual(2);
  });

  it('answers 100 hashes at once (a call stack overflow made this a 500)', async () => {
    const hundred = await request(`${server.url}/v1/match`, { headers: bearer(apiKey), body: query(attackValues.slice(0, 100)) });
    expect(hundred.status).toBe(200);
    expect(hundred.body.results.every((r: { truncated: boolean }) => r.truncated)).toBe(true);
  });

  it('answers 1,000 hashes with a bounded body and memory, serving other requests meanwhile', async () => {
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
    const order: string[] = [];
    try {
      const big = fetch(`${server.url}/v1/match`, {
        method: 'POST',
        headers: { ...bearer(apiKey), 'content-type': 'application/json' },
        body: JSON.stringify(query(attackValues)),
      }).then(async (r) => {
        order.push('match');
        return { status: r.status, text: await r.text() };
      });
      // Sent after the batch: answered while it is being matched, between two slices.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const live = fetch(`${server.url}/health/live`).then((r) => {
        order.push('live');
        return r.status;
      });
      const [matched, liveStatus] = await Promise.all([big, live]);
      expect(liveStatus).toBe(200);
      expect(order).toEqual(['live', 'match']);
      expect(matched.status).toBe(200);
      const body = JSON.parse(matched.text) as { results: { matches: unknown[]; truncated: boolean }[] };
      expect(body.results).toHaveLength(1000);
      expect(body.results.every((r) => r.matches.length <= 50)).toBe(true);
      // 1,891,647 matches (134 MB) before the cap; at most 50 per hash now.
      expect(matched.text.length).toBeLessThan(1000 * 50 * 80);
    } finally {
      clearInterval(sampler);
    }
    // 1.8 GB before: the server held every match of every hash at once.
    expect(peak - baseline).toBeLessThan(400 * 2 ** 20);
  });
});

describe('video matching stays bounded against a clustered index (issue 10 items 5, 6, for videos)', () => {
  let server: TestServer;
  let apiKey: string;
  /** 1,000 frames a few bits from REAL, at 5 a second. */
  const cluster = Array.from({ length: 1000 }, (_, i) => flip(REAL, i % 256, (i * 7 + 3) % 256, (i * 13 + 5) % 256));

  beforeAll(async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    const hashes = cluster.map((value, i) => ({ algorithm: 'pdq', bytes: hexToBytes(value), quality: 90, role: 'frame', detail: { t: i / 5 } }));
    for (let c = 0; c < 2; c++) {
      await store.createCase({ number: newCaseNumber(), secretHash: 'scrypt$10$x$y', items: [{ kind: 'video', hashes }] }, { kind: 'operator', id: 'old' });
    }
    await store.close();
    server = await startTestServer({ dataDir });
    apiKey = await server.createPlatformKey();
    expect(server.server.rempart.indexedHashes()).toBe(2000);
  });
  afterAll(() => server.close());

  it('weighs the closest hits of each frame up to the cap, and says that the list was cut', async () => {
    const frames = Array.from({ length: 600 }, (_, i) => ({ t: i / 5, value: REAL, quality: 90 }));
    const response = await request(`${server.url}/v1/match/video-hashes`, { headers: bearer(apiKey), body: { frames, dihedral: false } });
    expect(response.status).toBe(200);
    expect(response.body.truncated).toBe(true);
    for (const match of response.body.matches) expect(match.frames.length).toBeLessThanOrEqual(10);
    // A query that meets fewer hashes than the cap is not truncated.
    const one = await request(`${server.url}/v1/match/video-hashes`, { headers: bearer(apiKey), body: { frames: [{ t: 0, value: flip(REAL, ...Array.from({ length: 60 }, (_, b) => b * 4)), quality: 90 }] } });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ matched: false, truncated: false });
  });

  it('refuses a video whose matching outlasts the budget with 503 OVERLOADED and Retry-After', async () => {
    const matcher = new Matcher(() => createIndex('linear'));
    cluster.forEach((value, i) => matcher.add('pdq', i + 1, hexToBytes(value)));
    const store = { hashFacts: async () => new Map(), registeredWith: async () => new Set<number>() };
    const hasher = { hashVideo: () => Promise.reject(new Error('not used')) };
    const platform = { id: 1, name: 'p', keyId: 'k', createdAt: '', revokedAt: null };
    const frames = Array.from({ length: 50 }, (_, i) => ({ t: i / 5, value: REAL, quality: 90 }));
    const settings = { frameThreshold: () => 31, qualityFloor: 50 };
    const strict = new VideoMatchService(store, matcher, new EngineEvents(), hasher, { ...settings, limits: { maxMatchesPerFrame: 50, budgetMs: 0, sliceMs: 0 } });
    const error = await strict.match(platform, { frames }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OVERLOADED', statusCode: 503, retryAfterSeconds: expect.any(Number) });
    const roomy = new VideoMatchService(store, matcher, new EngineEvents(), hasher, { ...settings, limits: { maxMatchesPerFrame: 50, budgetMs: 60_000, sliceMs: 0 } });
    expect(await roomy.match(platform, { frames })).toEqual({ matches: [], truncated: true });
  });
});

describe('the work budget of one request', () => {
  it('refuses a batch that outlasts it with 503 OVERLOADED and Retry-After, instead of a partial answer', async () => {
    const dataDir = tempDir();
    const store = await openStore({ dataDir });
    try {
      const created = await store.createCase(
        { number: newCaseNumber(), secretHash: 'x', items: [{ kind: 'image', hashes: [{ algorithm: 'blockhash', bytes: hexToBytes(REAL) }] }] },
        { kind: 'operator', id: 'test' },
      );
      const matcher = new Matcher(() => createIndex('linear'));
      matcher.add('blockhash', created.items[0]!.hashes[0]!.id, hexToBytes(REAL));
      const hasher = { hashImage: () => Promise.reject(new Error('not used')) };
      const platform = { id: 1, name: 'p', keyId: 'k', createdAt: '', revokedAt: null };
      const queries = Array.from({ length: 50 }, () => ({ algorithm: 'blockhash', value: REAL }));
      const limits = { maxBatch: 1000, maxMatchesPerHash: 50 };

      const strict = new MatchService(store, matcher, new EngineEvents(), hasher, {}, { ...limits, budgetMs: 0, sliceMs: 0 });
      const error = await strict.matchHashes(platform, queries).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'OVERLOADED', statusCode: 503, retryAfterSeconds: expect.any(Number) });

      const roomy = new MatchService(store, matcher, new EngineEvents(), hasher, {}, { ...limits, budgetMs: 60_000, sliceMs: 0 });
      const results = await roomy.matchHashes(platform, queries);
      expect(results.every((r) => r.matches.length === 1 && !r.truncated)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
