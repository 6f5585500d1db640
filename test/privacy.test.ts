import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToPixels, shrinkPixels } from '../src/pipeline/decode.js';
import { DECODE_MAX_SIDE, SHARED_DECODE_SIDE } from '../src/pipeline/decode-sizes.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';
import { CASE_NUMBER_PATTERN } from '../src/service/credentials.js';
import { NeedleSet } from './helpers/needles.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { scene } from './helpers/photos.js';

/** Every regular file under `dir`, with its bytes. */
function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      try {
        if (entry.isDirectory()) walk(p);
        else if (entry.isFile()) out.set(p, fs.readFileSync(p));
      } catch {
        /* vanished meanwhile (SQLite's -wal and -shm come and go) */
      }
    }
  };
  walk(dir);
  return out;
}

const RUN_BYTES = 48;

/**
 * A run of `bytes` in the encodings a leak could take: raw, hex, and base64 at each of the
 * three alignments a run can have inside a longer base64 text (a run starting 1 or 2 bytes
 * into a 3-byte group encodes differently, so the run is also taken 1 and 2 bytes later).
 */
function encodings(bytes: Uint8Array, at: number): Buffer[] {
  const run = (from: number) => Buffer.from(bytes.subarray(from, from + RUN_BYTES));
  return [run(at), Buffer.from(run(at).toString('hex')), ...[0, 1, 2].map((k) => Buffer.from(run(at + k).toString('base64')))];
}

/** Runs from 30%, 50% and 70% into `data`, moved on to where they vary (a flat area could match anything). */
function distinctiveRuns(data: ArrayBufferView): Buffer[] {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return [0.3, 0.5, 0.7].flatMap((f) => {
    let at = Math.floor(bytes.length * f);
    while (at + RUN_BYTES + 2 < bytes.length && new Set(bytes.subarray(at, at + RUN_BYTES)).size < RUN_BYTES / 2) at += RUN_BYTES;
    expect(new Set(bytes.subarray(at, at + RUN_BYTES)).size, 'a varied run of pixels').toBeGreaterThanOrEqual(RUN_BYTES / 2);
    return encodings(bytes, at);
  });
}

/**
 * The image as its file (encoded) and as the pixels the workers hold in memory: the shared
 * decode, each algorithm's size derived from it, the full-size decode, and RGB and grey
 * forms a careless log or dump could take.
 */
async function needles(image: Buffer): Promise<Buffer[]> {
  const shared = (await decodeToPixels(image, DEFAULT_LIMITS, { fitInside: SHARED_DECODE_SIDE })).pixels;
  const derived = await Promise.all(Object.values(DECODE_MAX_SIDE).map((side) => shrinkPixels(shared, side, DEFAULT_LIMITS)));
  const full = (await decodeToPixels(image, DEFAULT_LIMITS)).pixels;
  const rgb = await sharp(image).removeAlpha().raw().toBuffer();
  const grey = await sharp(image).greyscale().raw().toBuffer();
  return [image, shared.data, ...derived.map((p) => p.data), full.data, rgb, grey].flatMap(distinctiveRuns);
}

/** Privacy is the product: image bytes reach neither the data directory, nor temp files, nor the logs. */
describe('image bytes never leave memory', () => {
  let server: TestServer;
  let apiKey: string;
  const images: Buffer[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey('privacy-platform');
    for (let i = 0; i < 3; i++) images.push(await scene(100 + i));
  });
  afterAll(() => server.close());

  it('hashing, registering, matching and failing leave no trace of the image', async () => {
    for (const image of images) {
      const hashed = await request(`${server.url}/v1/hash`, { raw: image, contentType: 'image/jpeg' });
      expect(hashed.status).toBe(200);
      expect((await request(`${server.url}/v1/cases`, { body: { hashes: hashed.body.hashes } })).status).toBe(201);
      const matched = await request(`${server.url}/v1/match/image?dihedral=true`, { raw: image, contentType: 'image/jpeg', headers: bearer(apiKey) });
      expect(matched.body.matched).toBe(true);
      // A failing decode must not log the bytes either.
      const truncated = image.subarray(0, Math.floor(image.length / 2));
      expect((await request(`${server.url}/v1/hash`, { raw: truncated, contentType: 'image/jpeg' })).status).toBe(422);
    }
    // Make SQLite write everything it will write.
    await server.server.rempart.store.setSetting('privacy-test', 'checkpoint');

    const dataFiles = filesUnder(server.dataDir);
    expect([...dataFiles.keys()].some((f) => f.endsWith('.sqlite'))).toBe(true);
    // Temp files: test/privacy-temp.test.ts gives a server process a temp folder of its own and watches it.
    const logs = server.logs();
    expect(logs).toContain('"msg":"request"'); // the log is really captured (one line per request)

    const logBytes = Buffer.from(logs, 'latin1');
    const all: Buffer[] = [];
    for (const image of images) {
      const found = await needles(image);
      all.push(...found);
      // Control: the needles are what a leak would hold, at any alignment: a raw dump of the
      // shared decode behind one stray byte, and its base64 from an odd offset, are both caught.
      const { data } = (await decodeToPixels(image, DEFAULT_LIMITS, { fitInside: SHARED_DECODE_SIDE })).pixels;
      const shared = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const dump = Buffer.concat([Buffer.from('x'), shared]);
      const dumpBase64 = Buffer.from(Buffer.from(shared.subarray(1)).toString('base64'));
      const set = new NeedleSet(found);
      expect(set.firstIn(dump)).toBeDefined();
      expect(set.firstIn(dumpBase64)).toBeDefined();
    }
    const search = new NeedleSet(all);
    for (const [file, bytes] of dataFiles) {
      expect(search.firstIn(bytes), `image bytes or pixels found in ${file}`).toBeUndefined();
    }
    expect(search.firstIn(logBytes), 'image bytes or pixels found in the log').toBeUndefined();
  });

  it('never shows a platform a case number: match, match/image (dihedral too) and sync bodies', async () => {
    const key = await server.createPlatformKey('privacy-case-numbers');
    const image = await scene(150);
    const hashed = await request(`${server.url}/v1/hash?dihedral=true`, { raw: image, contentType: 'image/jpeg' });
    expect(hashed.status).toBe(200);
    const created = await request(`${server.url}/v1/cases`, { body: { hashes: hashed.body.hashes.map(({ algorithm, value, quality }: Record<string, unknown>) => ({ algorithm, value, quality })) } });
    expect(created.status).toBe(201);
    const caseNumber: string = created.body.caseNumber;
    const caseNumberShape = new RegExp(CASE_NUMBER_PATTERN.replace(/^\^|\$$/g, ''), 'i');
    expect(caseNumber).toMatch(caseNumberShape); // control: the pattern finds a real case number

    const bodies: { what: string; text: string; headers: Headers }[] = [];
    const record = async (what: string, url: string, init: Parameters<typeof request>[1]) => {
      const response = await fetch(url, {
        method: init?.method ?? (init?.body || init?.raw ? 'POST' : 'GET'),
        headers: { ...bearer(key), ...(init?.body ? { 'content-type': 'application/json' } : {}), ...(init?.raw ? { 'content-type': 'image/jpeg' } : {}) },
        body: init?.raw ? new Uint8Array(init.raw) : init?.body ? JSON.stringify(init.body) : undefined,
      });
      expect(response.status, what).toBe(200);
      bodies.push({ what, text: await response.text(), headers: response.headers });
    };
    const queries = hashed.body.hashes.map((h: { algorithm: string; value: string; dihedral?: unknown }) => ({ algorithm: h.algorithm, value: h.value, dihedral: h.dihedral }));
    await record('match', `${server.url}/v1/match`, { body: { hashes: queries.map(({ algorithm, value }: { algorithm: string; value: string }) => ({ algorithm, value })) } });
    await record('match, dihedral', `${server.url}/v1/match?dihedral=true`, { body: { hashes: queries } });
    await record('match/image', `${server.url}/v1/match/image`, { raw: image });
    await record('match/image, dihedral', `${server.url}/v1/match/image?dihedral=true`, { raw: image });
    let after = 0;
    for (let page = 0; page < 100; page++) {
      await record(`sync after ${after}`, `${server.url}/v1/sync?after=${after}&limit=5`, {});
      const body = JSON.parse(bodies.at(-1)!.text) as { cursor: number; more: boolean };
      after = body.cursor;
      if (!body.more) break;
    }
    // The matches are real: the registered image came back from every match route.
    for (const { what, text } of bodies.filter((b) => b.what.startsWith('match'))) expect(text, what).toMatch(/"distance":0/);
    for (const { what, text, headers } of bodies) {
      expect(text, what).not.toMatch(caseNumberShape);
      expect(text.toLowerCase(), what).not.toContain(caseNumber.toLowerCase());
      expect(JSON.stringify([...headers]), what).not.toMatch(caseNumberShape);
    }
  });

  it('stores secrets and keys only as hashes', async () => {
    const created = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: 'c'.repeat(64) }] } });
    const key = await server.createPlatformKey('privacy-key-check');
    await server.server.rempart.store.setSetting('privacy-test', 'checkpoint-2');
    const all = Buffer.concat([...filesUnder(server.dataDir).values()]);
    const secretPart = key.slice('rk_'.length + 12 + 1)!;
    expect(all.includes(Buffer.from(created.body.caseSecret))).toBe(false);
    expect(all.includes(Buffer.from(created.body.caseSecret.replace(/-/g, '')))).toBe(false);
    expect(all.includes(Buffer.from(secretPart))).toBe(false);
    expect(server.logs()).not.toContain(created.body.caseSecret);
    expect(server.logs()).not.toContain(secretPart);
  });

  it('never serves the hash list without a platform key', async () => {
    for (const url of ['/v1/sync', '/v1/sync?after=0&limit=10']) {
      const response = await request(`${server.url}${url}`);
      expect(response.status).toBe(401);
      expect(JSON.stringify(response.body)).not.toMatch(/[0-9a-f]{64}/);
    }
  });
});
