import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, fromRaw, scene, withOrientation, type RawImage } from './helpers/images.js';
import { NeedleSet } from './helpers/needles.js';
import { addPlatformByCli, killHard, REPO_ROOT, spawnServer, type ServerProcess } from './helpers/process.js';
import { bearer, request } from './helpers/server.js';

/**
 * Everything that happens in `dir`, as inotify reports it. libvips spills to O_TMPFILE
 * files, which never appear in a listing (they have no name) but do raise events (named
 * "#<inode>"): only watching while the decode runs can see them.
 */
function watch(dir: string): { events: string[]; close(): void } {
  const events: string[] = [];
  const watcher = fs.watch(dir, (event, name) => events.push(`${event} ${name}`));
  return { events, close: () => watcher.close() };
}

/** libvips in a child process with this TMPDIR, reading `image` with random access (sharp's stats() asks for it). */
function randomAccessDecode(image: Buffer, tmpdir: string): Promise<number> {
  const script = `import sharp from 'sharp';
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    const stats = await sharp(Buffer.concat(chunks)).stats();
    if (stats.channels.length < 3) process.exit(3);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, TMPDIR: tmpdir },
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  child.stdin.end(image);
  return new Promise((resolve) => child.once('close', (code) => resolve(code ?? -1)));
}

/** 7000 × 5000: 105 MB of decoded RGB, past libvips' 100 MB threshold for decoding through a temp file. */
async function largeImage(): Promise<RawImage> {
  const data = await fromRaw(scene(700, 500, 5)).resize(7000, 5000).raw().toBuffer();
  return { data, width: 7000, height: 5000, channels: 3 };
}

/**
 * Decoded pixels must never reach the disk, not even as libvips' temp files: a server process
 * gets a temp folder of its own, watched while it hashes and matches images large enough to
 * spill, after a control proves that a spill of the same image would be seen there.
 */
describe('no image reaches the temp folder', () => {
  let tmpdir: string;
  let dataDir: string;
  let server: ServerProcess | undefined;
  let apiKey: string;
  let big: RawImage;
  let bigJpeg: Buffer;

  beforeAll(async () => {
    tmpdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-private-tmp-'));
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-tmp-watch-'));
    apiKey = await addPlatformByCli(dataDir, 'temp-watch');
    big = await largeImage();
    bigJpeg = await encode.jpeg(big);
  });
  afterAll(async () => {
    if (server && server.child.exitCode === null) await killHard(server.child);
    fs.rmSync(tmpdir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('control: a random-access decode of the same image spills into the watched folder, and is seen', async () => {
    const watcher = watch(tmpdir);
    try {
      expect(await randomAccessDecode(bigJpeg, tmpdir)).toBe(0);
      await sleep(100);
      expect(watcher.events.length).toBeGreaterThan(0);
      // The spill is invisible afterwards: a listing alone proves nothing.
      expect(fs.readdirSync(tmpdir)).toEqual([]);
    } finally {
      watcher.close();
    }
  });

  it('hashes and matches large, rotated, lossless and broken images without a single temp file', async () => {
    server = await spawnServer(dataDir, { TMPDIR: tmpdir });
    const inputs: [string, Buffer][] = [
      ['image/jpeg', bigJpeg],
      ['image/jpeg', await withOrientation(big, 6)],
      ['image/png', await encode.png(big)],
      ['image/tiff', await encode.tiff(big)],
    ];
    const watcher = watch(tmpdir);
    try {
      for (const [contentType, bytes] of inputs) {
        const hashed = await request(`${server.url}/v1/hash?dihedral=true`, { raw: bytes, contentType });
        expect(hashed.status, contentType).toBe(200);
        const matched = await request(`${server.url}/v1/match/image?dihedral=true`, { raw: bytes, contentType, headers: bearer(apiKey) });
        expect(matched.status, contentType).toBe(200);
      }
      const broken = bigJpeg.subarray(0, bigJpeg.length >> 1);
      expect((await request(`${server.url}/v1/hash`, { raw: broken, contentType: 'image/jpeg' })).status).toBe(422);
      await sleep(100);
    } finally {
      watcher.close();
    }
    expect(watcher.events).toEqual([]);
    expect(fs.readdirSync(tmpdir)).toEqual([]);
    // Nor did the pixels go anywhere else the server writes: its data directory.
    const pixels = new NeedleSet([0.3, 0.5, 0.7].map((f) => big.data.subarray(Math.floor(big.data.length * f), Math.floor(big.data.length * f) + 48)));
    for (const name of fs.readdirSync(dataDir)) {
      const file = path.join(dataDir, name);
      if (fs.statSync(file).isFile()) expect(pixels.firstIn(fs.readFileSync(file)), name).toBeUndefined();
    }
  });
});
