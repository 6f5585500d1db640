/**
 * Videos end to end over real HTTP, on real files decoded by ffmpeg: a victim registers a
 * video (hashed by POST /v1/hash) and a photo in one case; a platform uploads copies of the
 * video (the same file, another codec, a trimmed copy, a mirrored copy, an unrelated video),
 * a still from it as an image, and the video's hashes as JSON; the sync feed carries the
 * frames and the MD5; after withdrawal nothing matches.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scene } from './helpers/photos.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { FFMPEG, makeVideo, type VideoSpec } from './helpers/videos.js';

const SHOTS = [
  { seed: 41, seconds: 3.2 },
  { seed: 42, seconds: 2.6 },
  { seed: 43, seconds: 3 },
];
const SPECS = {
  original: { shots: SHOTS },
  webm: { shots: SHOTS, codec: 'vp9', container: 'webm' },
  trimmed: { shots: SHOTS, start: 1.3 },
  mirrored: { shots: SHOTS, mirror: true },
  unrelated: { shots: [{ seed: 51, seconds: 3 }, { seed: 52, seconds: 3 }] },
  // 5 % cropped off each side (and scaled back to the size: what an editor's crop tool gives).
  cropped: { shots: SHOTS, filters: 'crop=trunc(iw*0.9/2)*2:trunc(ih*0.9/2)*2,scale=320:180' },
  // A meme-style repost: a white caption bar (18 % of the height, with "text") added on top.
  captioned: {
    shots: SHOTS,
    filters: 'pad=iw:ceil(ih/0.82/2)*2:0:oh-ih:white,drawbox=x=iw*0.25:y=ih*0.05:w=iw*0.5:h=ih*0.07:color=black:t=fill',
  },
} satisfies Record<string, VideoSpec>;

let server: TestServer;
let apiKey: string;
let videos: Record<keyof typeof SPECS, Buffer>;
let registered: { caseNumber: string; caseSecret: string; hashCount: number };
let original: any;

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

const matchVideo = (bytes: Buffer, query = '') =>
  request(`${server.url}/v1/match/video${query}`, { raw: bytes, contentType: 'video/mp4', headers: bearer(apiKey) });

beforeAll(async () => {
  const entries = await Promise.all(Object.entries(SPECS).map(async ([name, spec]) => [name, await makeVideo(spec)] as const));
  videos = Object.fromEntries(entries) as typeof videos;
  server = await startTestServer();
  apiKey = await server.createPlatformKey();
  original = (await request(`${server.url}/v1/hash`, { raw: videos.original, contentType: 'video/mp4' })).body;
  const photo = (await request(`${server.url}/v1/hash`, { raw: await scene(7), contentType: 'image/jpeg' })).body;
  const created = await request(`${server.url}/v1/cases`, { body: { hashes: photo.hashes, videos: [original] } });
  expect(created.status).toBe(201);
  registered = created.body;
});
afterAll(async () => {
  await server?.close();
});

describe('a registered video', () => {
  it('is one case with the photo: every frame and frame window above the quality floor, the MD5 and the photo’s hashes', () => {
    const usable = original.frames.filter((f: { quality: number }) => f.quality >= 50).length;
    const windows = original.frames.filter((f: { window: { quality: number } }) => f.window.quality >= 50).length;
    expect(usable).toBeGreaterThan(8);
    expect(windows).toBeGreaterThan(8);
    expect(registered.hashCount).toBe(usable + windows + 1 + 2);
  });

  it('matches the same file exactly (MD5) and by its frames', async () => {
    const { status, body } = await matchVideo(videos.original);
    expect(status).toBe(200);
    expect(body.video).toMatchObject({ kind: 'video', format: 'mp4', duration: 8.8, md5: original.md5, frames: 44 });
    expect(body.matched).toBe(true);
    expect(body.matches).toHaveLength(1);
    const [m] = body.matches;
    expect(m).toMatchObject({ kind: 'video', exact: true, offset: 0, bestDistance: 0 });
    expect(m.item).toMatch(/^i_/);
    expect(m.share).toBeGreaterThan(0.9);
    expect(JSON.stringify(body)).not.toContain(registered.caseNumber);
  });

  it('matches another encoding (VP9 in WebM) and a copy with 1.3 s trimmed off, at the right offset', async () => {
    const webm = (await matchVideo(videos.webm)).body;
    expect(webm.matches[0]).toMatchObject({ exact: false, offset: 0 });
    expect(webm.matches[0].share).toBeGreaterThan(0.8);
    const trimmed = (await matchVideo(videos.trimmed)).body;
    expect(trimmed.matched).toBe(true);
    expect(trimmed.matches[0].offset).toBeCloseTo(1.3, 0);
    expect(trimmed.matches[0].frames[0]).toMatchObject({ queryT: expect.any(Number), referenceT: expect.any(Number) });
  });

  it('matches a mirrored copy only with dihedral matching, and says so', async () => {
    expect((await matchVideo(videos.mirrored)).body.matched).toBe(false);
    const dihedral = (await matchVideo(videos.mirrored, '?dihedral=true')).body;
    expect(dihedral.matched).toBe(true);
    expect(dihedral.matches[0].transform).toBe('flipY');
  });

  it('matches a copy with a caption bar added, through its frames without the static band', async () => {
    const { body } = await matchVideo(videos.captioned);
    expect(body.video.staticCrop).toBeDefined();
    expect(body.video.staticCrop[1]).toBeGreaterThan(0.15); // the bar's 18 % off the top
    expect(body.video.staticCrop[1]).toBeLessThan(0.21);
    expect(body.matched).toBe(true);
    expect(body.matches[0].offset).toBe(0);
  });

  it('matches a copy cropped 5 % on each side through the frames’ centred windows, and only through them', async () => {
    const { body } = await matchVideo(videos.cropped);
    expect(body.matched).toBe(true);
    expect(Math.abs(body.matches[0].offset)).toBeLessThanOrEqual(0.2); // within a probe interval
    // The same registration without its windows does not catch that copy: the windows do.
    const withoutWindows = original.frames.map(({ window: _window, ...frame }: { window?: unknown }) => frame);
    const bare = await startTestServer();
    try {
      const key = await bare.createPlatformKey();
      expect((await request(`${bare.url}/v1/cases`, { body: { videos: [{ md5: original.md5, frames: withoutWindows }] } })).status).toBe(201);
      const miss = await request(`${bare.url}/v1/match/video`, { raw: videos.cropped, contentType: 'video/mp4', headers: bearer(key) });
      expect(miss.body.matched).toBe(false);
      expect(withoutWindows.length).toBe(original.frames.length);
    } finally {
      await bare.close();
    }
  });

  it('does not match an unrelated video', async () => {
    const { body } = await matchVideo(videos.unrelated, '?dihedral=true');
    expect(body).toMatchObject({ matched: false, matches: [] });
  });

  it('is found from a still posted as an image', async () => {
    const { status, body } = await request(`${server.url}/v1/match/image`, { raw: await still(videos.original, 4.4), contentType: 'image/jpeg', headers: bearer(apiKey) });
    expect(status).toBe(200);
    expect(body.matched).toBe(true);
    expect(body.matches.some((m: { algorithm: string; distance: number }) => m.algorithm === 'pdq' && m.distance <= 31)).toBe(true);
  });

  it('is matched from hashes the platform computed itself (JSON)', async () => {
    const trimmed = (await request(`${server.url}/v1/hash`, { raw: videos.trimmed, contentType: 'video/mp4' })).body;
    const { status, body } = await request(`${server.url}/v1/match/video-hashes`, { body: { frames: trimmed.frames }, headers: bearer(apiKey) });
    expect(status).toBe(200);
    expect(body.matched).toBe(true);
    const bad = await request(`${server.url}/v1/match/video-hashes`, { body: { frames: [{ t: 0, value: 'zz' }] }, headers: bearer(apiKey) });
    expect(bad.status).toBe(400);
  });

  it('reaches the sync feed as frames with their time and the MD5, all under one item', async () => {
    const { body } = await request(`${server.url}/v1/sync?after=0&limit=1000`, { headers: bearer(apiKey) });
    const adds = body.changes.filter((c: { op: string }) => c.op === 'add');
    const frames = adds.filter((c: { role: string }) => c.role === 'frame');
    const windows = adds.filter((c: { role: string; item: string }) => c.role === 'window' && c.item === frames[0]?.item);
    const file = adds.find((c: { role: string }) => c.role === 'file');
    expect(file).toMatchObject({ algorithm: 'video-md5', value: original.md5 });
    expect(frames.length + windows.length).toBe(registered.hashCount - 3);
    expect(windows.length).toBeGreaterThan(frames.length / 2);
    expect(new Set([...frames, ...windows].map((f: { item: string }) => f.item))).toEqual(new Set([file.item]));
    expect(frames.every((f: { detail: { t: number } }) => typeof f.detail.t === 'number')).toBe(true);
    // A window carries its frame's time and its box in fractions of the frame.
    expect(windows.every((w: { detail: { t: number; box: number[] } }) => typeof w.detail.t === 'number' && w.detail.box.join() === '0.05,0.05,0.95,0.95')).toBe(true);
  });

  it('stops matching once the case is withdrawn', async () => {
    const withdrawn = await request(`${server.url}/v1/cases/${registered.caseNumber}`, { method: 'DELETE', headers: bearer(registered.caseSecret) });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.removedHashes).toBe(registered.hashCount);
    expect((await matchVideo(videos.original)).body).toMatchObject({ matched: false, matches: [] });
  });
});

describe('registration refuses bad videos clearly', () => {
  it('a video without any usable frame nor MD5, a bad frame hash, too many videos', async () => {
    const flat = { frames: [{ t: 0, value: '0'.repeat(64), quality: 10 }] };
    const low = await request(`${server.url}/v1/cases`, { body: { videos: [flat] } });
    expect(low).toMatchObject({ status: 422, body: { error: 'LOW_QUALITY', message: expect.stringMatching(/^videos\[0\]: no frame/) } });
    const bad = await request(`${server.url}/v1/cases`, { body: { videos: [{ frames: [{ t: 0, value: 'x', quality: 90 }] }] } });
    expect(bad).toMatchObject({ status: 400, body: { error: 'HASH_FORMAT', message: expect.stringMatching(/^videos\[0\]\.frames\[0\]/) } });
    const md5 = await request(`${server.url}/v1/cases`, { body: { videos: [{ md5: 'ABC', frames: [] }] } });
    expect(md5).toMatchObject({ status: 400, body: { error: 'HASH_FORMAT' } });
    const empty = await request(`${server.url}/v1/cases`, { body: {} });
    expect(empty).toMatchObject({ status: 400, body: { error: 'BAD_REQUEST' } });
  });
});
