import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipBits, randomCode } from './helpers/codes.js';
import { addPlatformByCli, runCli } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { PlatformSettingsService } from '../src/service/platform-settings.js';
import { operator } from './store-helpers.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A registered PDQ value and copies of it at given Hamming distances. */
function valueAndCopies(seed: number, distances: number[]) {
  const next = seededRandom(seed);
  const code = randomCode(next);
  return { value: hex(code), copies: Object.fromEntries(distances.map((d) => [d, hex(flipBits(code, d, next))])) as Record<number, string> };
}

async function matchedDistances(server: TestServer, key: string, values: string[]): Promise<(number | null)[]> {
  const res = await request(`${server.url}/v1/match`, {
    headers: bearer(key),
    body: { hashes: values.map((value) => ({ algorithm: 'pdq', value })) },
  });
  expect(res.status).toBe(200);
  return res.body.results.map((r: { matches: { distance: number }[] }) => r.matches[0]?.distance ?? null);
}

async function putThresholds(server: TestServer, key: string, body: unknown) {
  return request(`${server.url}/v1/settings/thresholds`, { method: 'PUT', headers: bearer(key), body });
}

describe('per-platform thresholds: stricter than the bank’s, never above the operator’s maximum', () => {
  let server: TestServer;
  let strict: string;
  let plain: string;
  const { value, copies } = valueAndCopies(7, [18, 25, 31, 32]);

  beforeAll(async () => {
    server = await startTestServer();
    strict = await server.createPlatformKey('Strict');
    plain = await server.createPlatformKey('Plain');
    const created = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'pdq', value, quality: 95 }] } });
    expect(created.status).toBe(201);
  });
  afterAll(() => server.close());

  it('matches with the bank’s threshold until a platform chooses its own; others keep the bank’s', async () => {
    const queries = [copies[18]!, copies[25]!, copies[31]!, copies[32]!];
    expect(await matchedDistances(server, strict, queries)).toEqual([18, 25, 31, null]);

    const set = await putThresholds(server, strict, { pdq: 20 });
    expect(set.status).toBe(200);
    expect(set.body.thresholds.pdq).toEqual({ bank: 31, maximum: 31, chosen: 20, effective: 20 });
    expect(set.body.thresholds.blockhash).toEqual({ bank: 7, maximum: 7, chosen: null, effective: 7 });

    expect(await matchedDistances(server, strict, queries)).toEqual([18, null, null, null]);
    expect(await matchedDistances(server, plain, queries)).toEqual([18, 25, 31, null]);

    const read = await request(`${server.url}/v1/settings`, { headers: bearer(strict) });
    expect(read.status).toBe(200);
    expect(read.body.thresholds.pdq.effective).toBe(20);
    expect((await request(`${server.url}/v1/settings`, { headers: bearer(plain) })).body.thresholds.pdq.chosen).toBeNull();

    // null: back to the bank's.
    const reset = await putThresholds(server, strict, { pdq: null });
    expect(reset.body.thresholds.pdq).toEqual({ bank: 31, maximum: 31, chosen: null, effective: 31 });
    expect(await matchedDistances(server, strict, queries)).toEqual([18, 25, 31, null]);
  });

  it('refuses a looser threshold than the maximum, an unknown algorithm or a non-integer, and changes nothing', async () => {
    await putThresholds(server, strict, { pdq: 22 });
    for (const [body, message] of [
      [{ pdq: 32 }, /thresholds\.pdq must be an integer from 0 to 31/],
      [{ pdq: -1 }, /thresholds\.pdq must be an integer from 0 to 31/],
      [{ md5: 3 }, /thresholds\.md5: unknown algorithm/],
      [{ pdq: 'strict' }, /must be integer,null|must be integer/],
      [{}, /fewer than 1|at least one/],
    ] as const) {
      const res = await putThresholds(server, strict, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.message ?? res.body.error).toMatch(message);
    }
    expect((await request(`${server.url}/v1/settings`, { headers: bearer(strict) })).body.thresholds.pdq.chosen).toBe(22);
    expect((await putThresholds(server, 'rk_nope', { pdq: 10 })).status).toBe(401);
  });

  it('applies a platform’s stricter PDQ threshold to video frames too (uploaded signatures), never a looser one', async () => {
    // A registered video of 8 one-second frames, and an upload whose every frame is 25 bits from the registered one.
    const next = seededRandom(11);
    const codes = Array.from({ length: 8 }, () => randomCode(next));
    const video = { frames: codes.map((code, t) => ({ t, value: hex(code), quality: 95 })) };
    expect((await request(`${server.url}/v1/cases`, { body: { videos: [video] } })).status).toBe(201);
    const copy = { frames: codes.map((code, t) => ({ t, value: hex(flipBits(code, 25, next)), quality: 95 })) };
    const matchVideo = async (key: string) => {
      const res = await request(`${server.url}/v1/match/video-hashes`, { headers: bearer(key), body: copy });
      expect(res.status).toBe(200);
      return res.body.matches.map((m: { kind: string; bestDistance: number; matchedSeconds: number }) => [m.kind, m.bestDistance, m.matchedSeconds]);
    };
    await putThresholds(server, strict, { pdq: null });
    expect(await matchVideo(strict)).toEqual([['video', 25, 8]]);
    await putThresholds(server, strict, { pdq: 24 });
    expect(await matchVideo(strict)).toEqual([]);
    expect(await matchVideo(plain)).toEqual([['video', 25, 8]]);
    await putThresholds(server, strict, { pdq: 25 });
    expect(await matchVideo(strict)).toEqual([['video', 25, 8]]);
  });

  it('lets a platform go looser only as far as the operator allows (REMPART_PLATFORM_MAX_THRESHOLD_PDQ)', async () => {
    const loose = await startTestServer({ config: { platformMaxThresholdOverrides: ['pdq=36'] } });
    try {
      const key = await loose.createPlatformKey('Loose');
      const other = await loose.createPlatformKey('Other');
      const far = valueAndCopies(8, [34, 37]);
      await request(`${loose.url}/v1/cases`, { body: { hashes: [{ algorithm: 'pdq', value: far.value, quality: 95 }] } });
      expect((await putThresholds(loose, key, { pdq: 37 })).status).toBe(400);
      expect((await putThresholds(loose, key, { pdq: 36 })).body.thresholds.pdq).toEqual({ bank: 31, maximum: 36, chosen: 36, effective: 36 });
      expect(await matchedDistances(loose, key, [far.copies[34]!, far.copies[37]!])).toEqual([34, null]);
      expect(await matchedDistances(loose, other, [far.copies[34]!])).toEqual([null]);
      // Video frames keep the bank's threshold for a platform that went looser.
      const next = seededRandom(12);
      const codes = Array.from({ length: 4 }, () => randomCode(next));
      await request(`${loose.url}/v1/cases`, { body: { videos: [{ frames: codes.map((c, t) => ({ t, value: hex(c), quality: 95 })) }] } });
      const copy = { frames: codes.map((c, t) => ({ t, value: hex(flipBits(c, 34, next)), quality: 95 })) };
      const video = await request(`${loose.url}/v1/match/video-hashes`, { headers: bearer(key), body: copy });
      expect([video.status, video.body.matches]).toEqual([200, []]);
    } finally {
      await loose.close();
    }
  });
});

describe('per-platform thresholds from the command line', () => {
  it('shows and sets a platform’s thresholds; a maximum lowered later caps an earlier choice', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-thresholds-'));
    await addPlatformByCli(dataDir, 'Cli Platform');
    const set = await runCli(['platform', 'thresholds', 'Cli Platform', 'pdq=24', '--json', '--data-dir', dataDir]);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout).thresholds.pdq).toEqual({ bank: 31, maximum: 31, chosen: 24, effective: 24 });

    const capped = await runCli(['platform', 'thresholds', 'Cli Platform', '--json', '--data-dir', dataDir], {
      env: { REMPART_PLATFORM_MAX_THRESHOLD_PDQ: '20' },
    });
    expect(JSON.parse(capped.stdout).thresholds.pdq).toEqual({ bank: 31, maximum: 20, chosen: 24, effective: 20 });

    const tooLoose = await runCli(['platform', 'thresholds', 'Cli Platform', 'pdq=32', '--data-dir', dataDir]);
    expect(tooLoose.code).not.toBe(0);
    expect(tooLoose.stderr).toMatch(/pdq must be an integer from 0 to 31/);
    const back = await runCli(['platform', 'thresholds', 'Cli Platform', 'pdq=bank', '--data-dir', dataDir]);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^pdq\teffective 31\tbank's\tbank 31\tmaximum 31$/m);
    expect((await runCli(['platform', 'thresholds', 'Nobody', '--data-dir', dataDir])).stderr).toMatch(/no active platform named "Nobody"/);
  });
});

describe.each(STORE_BACKENDS)('platform settings role: $backend', (backend) => {
  it('keeps each platform’s thresholds apart, clears them with null, and audits each change', async () => {
    const { store } = await backend.open();
    const a = await store.addPlatform({ name: 'A', keyId: 'ta', keyHash: 'h' }, operator);
    const b = await store.addPlatform({ name: 'B', keyId: 'tb', keyHash: 'h' }, operator);
    expect(await store.platformThresholds(a.id)).toEqual({});
    expect(await store.setPlatformThresholds(a.id, { pdq: 20, blockhash: 5 }, operator)).toEqual({ blockhash: 5, pdq: 20 });
    expect(await store.setPlatformThresholds(a.id, { pdq: 18, blockhash: null }, operator)).toEqual({ pdq: 18 });
    expect(await store.platformThresholds(b.id)).toEqual({});
    const audit = (await store.listAudit({ limit: 100 })).filter((e) => e.action === 'platform.thresholds');
    expect(audit.map((e) => [e.target, e.detail])).toEqual([
      ['A', { changes: { pdq: 20, blockhash: 5 } }],
      ['A', { changes: { pdq: 18, blockhash: null } }],
    ]);
  });
});

describe.each(STORE_BACKENDS)('platform thresholds on the match path: $backend', (backend) => {
  it('are read from the store at most once per 2 s per platform; a change here applies at once, one through another replica within 2 s', async () => {
    const handle = await backend.open();
    const platform = await handle.store.addPlatform({ name: 'P', keyId: 'tp', keyHash: 'h' }, operator);
    let clock = 1_000_000;
    let reads = 0;
    const other = await handle.openAnother();
    const counted: typeof other = Object.assign(Object.create(Object.getPrototypeOf(other)) as typeof other, other, {
      platformThresholds: (id: number) => {
        reads++;
        return other.platformThresholds(id);
      },
    });
    const here = new PlatformSettingsService(handle.store, { pdq: 31 }, { pdq: 31 }, () => clock);
    const replica = new PlatformSettingsService(counted, { pdq: 31 }, { pdq: 31 }, () => clock);

    expect((await replica.effectiveThresholds(platform)).pdq).toBe(31);
    expect((await replica.effectiveThresholds(platform)).pdq).toBe(31);
    expect(reads).toBe(1);

    await here.setThresholds(platform, { pdq: 20 }, operator);
    expect((await here.effectiveThresholds(platform)).pdq).toBe(20); // this process: at once
    clock += 1_999;
    expect((await replica.effectiveThresholds(platform)).pdq).toBe(31); // the other: its read of 2 s ago
    clock += 1;
    expect((await replica.effectiveThresholds(platform)).pdq).toBe(20);
    expect(reads).toBe(2);

    await replica.setThresholds(platform, { pdq: 25 }, operator);
    expect((await replica.effectiveThresholds(platform)).pdq).toBe(25);
  });
});
