/**
 * Videos beside images registered with the matching profile (pdq-regions), over real HTTP:
 * a photo registered as an item with its derived set (trimmed content, windows, regions)
 * and a video registered from its real ffmpeg decode. A video's frames meeting the photo's
 * derived hashes are held to the profile's rules, as an image upload is; a still of the
 * video posted as an image, searched with the profile, finds the video item.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hammingDistance, hexToBytes } from '../src/hashing/index.js';
import { grainyScene as scene } from './helpers/photos.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { FFMPEG, makeVideo } from './helpers/videos.js';

const PROFILE = 'pdq-regions';

interface DerivedHash {
  algorithm: string;
  value: string;
  quality: number;
  role: string;
  box: number[];
}

let server: TestServer;
let apiKey: string;
let derived: DerivedHash[];
let video: Buffer;
let videoItem: string;

/** A still of the video at `t` seconds, as a JPEG someone would post. */
function still(bytes: Buffer, t: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-ss', String(t), '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', 'pipe:1']);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stdin.on('error', () => {});
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg ${code}`))));
    child.stdin.end(bytes);
  });
}

beforeAll(async () => {
  server = await startTestServer();
  apiKey = await server.createPlatformKey();
  const photo = await scene(9, 960, 720);
  derived = (await request(`${server.url}/v1/hash?profile=${PROFILE}`, { raw: photo, contentType: 'image/png' })).body.derived.hashes;
  video = await makeVideo({ shots: [{ seed: 71, seconds: 3 }, { seed: 72, seconds: 3 }] });
  const hashed = (await request(`${server.url}/v1/hash`, { raw: video, contentType: 'video/mp4' })).body;
  const hashes = derived.map(({ algorithm, value, quality, role, box }) => ({ algorithm, value, quality, role, box }));
  const created = await request(`${server.url}/v1/cases`, { body: { items: [{ kind: 'image', hashes }], videos: [hashed] } });
  expect(created.status).toBe(201);
  const sync = (await request(`${server.url}/v1/sync?after=0&limit=1000`, { headers: bearer(apiKey) })).body;
  videoItem = sync.changes.find((c: { role: string }) => c.role === 'file').item;
});
afterAll(async () => {
  await server?.close();
});

describe('videos and the matching profile', () => {
  it('holds a frame meeting a photo’s derived hash to the profile: known quality at or above its floor', async () => {
    // A window or region hash of the photo far from its whole-picture hashes, so only it can be met.
    const whole = derived.filter((h) => h.role === 'full' || h.role === 'trimmed').map((h) => hexToBytes(h.value));
    const farthest = (h: DerivedHash) => Math.min(...whole.map((w) => hammingDistance(hexToBytes(h.value), w)));
    const part = derived.filter((h) => h.role === 'window' || h.role === 'region').sort((a, b) => farthest(b) - farthest(a))[0]!;
    expect(farthest(part)).toBeGreaterThan(31);

    // Three seconds of an upload whose frames show that part of the photo.
    const frames = (quality?: number) => [0, 1, 2].map((t) => ({ t, value: part.value, ...(quality === undefined ? {} : { quality }) }));
    const ask = (body: object) => request(`${server.url}/v1/match/video-hashes`, { body, headers: bearer(apiKey) });

    const unknown = await ask({ frames: frames() });
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({ matched: false, matches: [] });

    const known = await ask({ frames: frames(90) });
    expect(known.body.matched).toBe(true);
    expect(known.body.matches).toHaveLength(1);
    expect(known.body.matches[0]).toMatchObject({ kind: 'image', matchedSeconds: 3, bestDistance: 0 });
  });

  it('finds the video from a still posted as an image and searched with the profile, once for the item', async () => {
    const { status, body } = await request(`${server.url}/v1/match/image?profile=${PROFILE}`, {
      raw: await still(video, 4.4),
      contentType: 'image/jpeg',
      headers: bearer(apiKey),
    });
    expect(status).toBe(200);
    expect(body.matched).toBe(true);
    const answers = body.matches.filter((m: { item: string }) => m.item === videoItem);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ role: 'frame', algorithm: 'pdq' });
    expect(answers[0].distance).toBeLessThanOrEqual(31);
  });
});
