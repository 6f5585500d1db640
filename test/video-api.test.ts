/**
 * Videos over real HTTP: POST /v1/hash takes a video (told apart from images by its
 * bytes), answers its MD5, sampled frames and summary, and refuses bad videos with clear
 * 4xx errors; nothing of the video is logged.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeVideo } from './helpers/videos.js';
import { request, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer;
let mp4: Buffer;
let webm: Buffer;

beforeAll(async () => {
  [server, mp4, webm] = await Promise.all([
    startTestServer({ config: { maxVideoBytes: String(2 * 1024 * 1024) } }),
    makeVideo({ shots: [{ seed: 31, seconds: 2.2 }, { seed: 32, seconds: 2 }] }),
    makeVideo({ shots: [{ seed: 31, seconds: 2.2 }, { seed: 32, seconds: 2 }], codec: 'vp9', container: 'webm' }),
  ]);
});
afterAll(async () => {
  await server?.close();
});

describe('POST /v1/hash with a video', () => {
  it('answers the MD5, 2.5 frames a second plus cuts with times, and a summary', async () => {
    const { status, body } = await request(`${server.url}/v1/hash`, { raw: mp4, contentType: 'video/mp4' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ kind: 'video', format: 'mp4', duration: 4.2, frameWidth: 256, frameHeight: 144 });
    expect(body.md5).toBe(createHash('md5').update(mp4).digest('hex'));
    expect(body.frames.map((f: { t: number; origin: string }) => `${f.t}:${f.origin}`)).toEqual([
      '0:interval', '0.4:interval', '0.8:interval', '1.2:interval', '1.6:interval', '2:interval',
      '2.2:cut', '2.4:interval', '2.8:interval', '3.2:interval', '3.6:interval', '4:interval',
    ]);
    for (const frame of body.frames) {
      expect(frame.value).toMatch(/^[0-9a-f]{64}$/);
      expect(frame.quality).toBeGreaterThan(50);
      expect(frame.dihedral).toBeUndefined();
    }
    expect(body.summary.value).toMatch(/^[0-9a-f]{64}$/);
    expect(body.summary.frames).toBe(21);
    expect(body.summary.vector).toBeUndefined();
  });

  it('tells a video from an image by its bytes, whatever the Content-Type, and gives dihedral hashes on request', async () => {
    const { status, body } = await request(`${server.url}/v1/hash?dihedral=true`, { raw: webm, contentType: 'application/octet-stream' });
    expect(status).toBe(200);
    expect(body.format).toBe('webm');
    expect(Object.keys(body.frames[0].dihedral)).toHaveLength(7);
    expect(Object.keys(body.summary.dihedral)).toHaveLength(7);
    const mislabelled = await request(`${server.url}/v1/hash`, { raw: mp4, contentType: 'image/jpeg' });
    expect(mislabelled.status).toBe(200);
    expect(mislabelled.body.kind).toBe('video');
  });

  it('refuses bad videos with 4xx JSON errors naming the problem, and logs nothing of them', async () => {
    const truncated = await request(`${server.url}/v1/hash`, { raw: mp4.subarray(0, mp4.length >> 1), contentType: 'video/mp4' });
    expect(truncated).toMatchObject({ status: 422, body: { error: 'VIDEO_CORRUPT' } });
    const big = Buffer.concat([mp4, Buffer.alloc(2 * 1024 * 1024)]);
    const tooLarge = await request(`${server.url}/v1/hash`, { raw: big, contentType: 'video/mp4' });
    expect(tooLarge).toMatchObject({ status: 413, body: { error: 'VIDEO_TOO_LARGE', message: expect.stringMatching(/over the limit of 2097152 bytes$/) } });
    const empty = await request(`${server.url}/v1/hash`, { raw: new Uint8Array(0), contentType: 'video/mp4' });
    expect(empty.status).toBe(400);
    expect(server.logs()).not.toContain(mp4.subarray(100, 140).toString('base64'));
  });
});
