import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { scene } from './helpers/photos.js';

/** Every regular file under `dir` (modified since `since`, if given), with its bytes. */
function filesUnder(dir: string, since = 0): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      try {
        if (entry.isDirectory()) walk(p);
        else if (entry.isFile() && fs.statSync(p).mtimeMs >= since) out.set(p, fs.readFileSync(p));
      } catch {
        /* vanished or unreadable (another test's temp file): not ours */
      }
    }
  };
  walk(dir);
  return out;
}

/** Distinctive slices of the image, in the encodings a leak could take. */
function needles(image: Buffer): string[] {
  const slices = [0.3, 0.5, 0.7].map((f) => image.subarray(Math.floor(image.length * f), Math.floor(image.length * f) + 48));
  return slices.flatMap((s) => [s.toString('latin1'), s.toString('base64'), s.toString('hex')]);
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
    const started = Date.now();

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
    // Anything written to the temp dir while we hashed (other suites' files included: they must not hold our bytes either).
    const newTmpFiles = [...filesUnder(os.tmpdir(), started)].filter(([file]) => !file.startsWith(server.dataDir));
    const logs = server.logs();
    expect(logs).toContain('request completed'); // the log is really captured

    for (const image of images) {
      for (const needle of needles(image)) {
        for (const [file, bytes] of [...dataFiles, ...newTmpFiles]) {
          expect(bytes.includes(Buffer.from(needle, 'latin1')), `image bytes found in ${file}`).toBe(false);
        }
        expect(logs.includes(needle), 'image bytes found in the log').toBe(false);
      }
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
