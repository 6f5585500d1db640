import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/hashing/index.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { killHard, runCli, spawnServer } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { scene } from './helpers/photos.js';

/** A value with about half its bits set, as registration wants (seeded). */
function registeredValue(seed: number): string {
  const random = seededRandom(seed);
  return bytesToHex(Uint8Array.from({ length: 32 }, () => Math.floor(random() * 256)));
}

/** `hex` with its first `n` bits flipped: exactly `n` bits away. */
function bitsAway(hex: string, n: number): string {
  const bytes = hexToBytes(hex);
  for (let b = 0; b < n; b++) bytes[b >> 3]! ^= 0x80 >> (b & 7);
  return bytesToHex(bytes);
}

/**
 * Registers one hash per algorithm, then matches values exactly t and t + 1 bits away:
 * the threshold is inclusive, so t matches (at distance t) and t + 1 does not.
 */
async function checkEdges(url: string, apiKey: string, thresholds: Record<string, number>, seed: number): Promise<void> {
  const algorithms = await request(`${url}/v1/algorithms`);
  for (const [algorithm, t] of Object.entries(thresholds)) {
    expect(algorithms.body.algorithms.find((a: { name: string }) => a.name === algorithm).threshold, `${algorithm} threshold in force`).toBe(t);
    const value = registeredValue(seed + algorithm.length);
    const hash = { algorithm, value, ...(algorithm === 'pdq' ? { quality: 90 } : {}) };
    expect((await request(`${url}/v1/cases`, { body: { hashes: [hash] } })).status).toBe(201);
    const queries = [t, t + 1].map((n) => ({ algorithm, value: bitsAway(value, n) }));
    const matched = await request(`${url}/v1/match`, { headers: bearer(apiKey), body: { hashes: queries } });
    expect(matched.status).toBe(200);
    expect(matched.body.results[0].matches.map((m: { distance: number }) => m.distance), `${algorithm} at exactly ${t}`).toEqual([t]);
    expect(matched.body.results[1].matches, `${algorithm} at ${t + 1}`).toEqual([]);
  }
}

/** Issue 10 item 14: the threshold at its edge, per algorithm, default and overridden. */
describe('match thresholds at their edge', () => {
  it('default thresholds (pdq 31, blockhash 7) are inclusive', async () => {
    const server = await startTestServer();
    try {
      await checkEdges(server.url, await server.createPlatformKey(), { pdq: 31, blockhash: 7 }, 1);
    } finally {
      await server.close();
    }
  });

  it('REMPART_THRESHOLD_* and --threshold override them (the flag wins), on a real `rempart serve`', async () => {
    for (const [env, args, expected] of [
      [{ REMPART_THRESHOLD_PDQ: '12', REMPART_THRESHOLD_BLOCKHASH: '3' }, [], { pdq: 12, blockhash: 3 }],
      [{ REMPART_THRESHOLD_PDQ: '12' }, ['--threshold', 'pdq=20', 'blockhash=0'], { pdq: 20, blockhash: 0 }],
    ] as const) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-threshold-'));
      const add = await runCli(['platform', 'add', 'edge', '--json', '--data-dir', dataDir]);
      const apiKey = JSON.parse(add.stdout).apiKey as string;
      const running = await spawnServer(dataDir, env, { args: [...args] });
      try {
        await checkEdges(running.url, apiKey, expected, 2);
      } finally {
        await killHard(running.child);
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});

/**
 * Issue 10 item 14: each dihedral transform's name, pinned against the sharp operation that
 * made the copy. A match names the transform of the *upload* that brings it back onto the
 * registered image (PDQ's names: rotate90 turns counter-clockwise, flipX turns upside down,
 * flipPlus1 mirrors about the main diagonal), so a copy turned 90° clockwise matches through
 * rotate90, and one turned counter-clockwise through rotate270.
 */
describe('dihedral matching names the transform', () => {
  let server: TestServer;
  let apiKey: string;
  let original: Buffer;

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey();
    original = await scene(31, 640, 400);
    const hashed = await request(`${server.url}/v1/hash`, { raw: original, contentType: 'image/jpeg' });
    const pdq = hashed.body.hashes.filter((h: { algorithm: string }) => h.algorithm === 'pdq');
    expect((await request(`${server.url}/v1/cases`, { body: { hashes: pdq } })).status).toBe(201);
  });
  afterAll(() => server.close());

  const then = async (first: (s: Sharp) => Sharp, second?: (s: Sharp) => Sharp) => {
    const once = await first(sharp(original)).png().toBuffer();
    return second ? second(sharp(once)).png().toBuffer() : once;
  };
  const copies: [string, () => Promise<Buffer>][] = [
    ['rotate90', () => then((s) => s.rotate(90))], // sharp turns clockwise
    ['rotate180', () => then((s) => s.rotate(180))],
    ['rotate270', () => then((s) => s.rotate(270))],
    ['flipX', () => then((s) => s.flip())], // upside down
    ['flipY', () => then((s) => s.flop())], // left-right mirror
    ['flipPlus1', () => then((s) => s.rotate(90), (s) => s.flop())], // transpose: (x, y) → (y, x)
    ['flipMinus1', () => then((s) => s.rotate(270), (s) => s.flop())], // anti-transpose
  ];

  it.each(copies)('a copy that %s brings back matches through that transform', async (name, make) => {
    const copy = await make();
    const response = await request(`${server.url}/v1/match/image?dihedral=true`, { raw: copy, contentType: 'image/png', headers: bearer(apiKey) });
    expect(response.status).toBe(200);
    const pdq = response.body.matches.filter((m: { algorithm: string }) => m.algorithm === 'pdq');
    expect(pdq).toHaveLength(1);
    expect(pdq[0].transform).toBe(name);
    // 0 for the exact turns and the flips about x or the main diagonal; resampling a
    // 640-pixel-wide picture is not mirror-symmetric, so the others land a few bits off.
    expect(pdq[0].distance).toBeLessThanOrEqual(16);
  });

  it('the unturned original matches as original', async () => {
    const response = await request(`${server.url}/v1/match/image?dihedral=true`, { raw: original, contentType: 'image/jpeg', headers: bearer(apiKey) });
    expect(response.body.matches.find((m: { algorithm: string }) => m.algorithm === 'pdq').transform).toBe('original');
  });
});
