/**
 * A video on the victim's page, in Chromium: picked like a photo, decoded and hashed on the
 * device (WebCodecs in a worker) with progress shown, its hashes agreeing with the server's
 * ffmpeg decode of the same file, registered, then matched by a platform. Every request the
 * page makes is recorded: no byte of the video leaves the browser.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hammingDistance, hexToBytes } from '../src/hashing/index.js';
import { launchChromium, openPage, screenshot, startWebServer, writeOutput, type WebServer } from './helpers/browser.js';
import { makeVideo } from './helpers/videos.js';

const POLL = { timeout: 60_000 };

let server: WebServer;
let browser: Browser;
let file: string;
let bytes: Buffer;

/** True when `body` carries a 48-byte run of `source` (raw, hex or base64), checked every 32 bytes. */
function carries(body: Buffer, source: Buffer): boolean {
  const text = body.toString('latin1');
  for (let offset = 0; offset + 48 <= source.length; offset += 32) {
    const chunk = source.subarray(offset, offset + 48);
    if (body.includes(chunk) || text.includes(chunk.toString('hex'))) return true;
    for (let shift = 0; shift < 3; shift++) if (text.includes(source.subarray(offset + shift, offset + shift + 45).toString('base64'))) return true;
  }
  return false;
}

beforeAll(async () => {
  // A phone-like file: H.264 in MP4 with its index at the end, 640×360, three shots.
  bytes = await makeVideo({ shots: [{ seed: 61, seconds: 3.4 }, { seed: 62, seconds: 2.8 }, { seed: 63, seconds: 3 }], width: 640, height: 360, fps: 30, pan: 20 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-web-video-'));
  file = path.join(dir, 'souvenir.mp4');
  writeFileSync(file, bytes);
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a video on the victim’s page', () => {
  it('is hashed on the device like the server hashes it, registered, matched, and never uploaded', async () => {
    const { page, requests } = await openPage(browser, server.url, { locale: 'en-GB' });
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Your images never leave this device' }).waitFor();
    await page.locator('#image-input').setInputFiles(file);

    const item = page.locator('.item[data-kind="video"]');
    await expect.poll(() => item.getAttribute('data-state'), POLL).not.toBe('hashing');
    expect(await item.getAttribute('data-state')).toBe('ready');
    expect(page.workers().map((worker) => new URL(worker.url()).pathname)).toContain('/assets/video-worker.js');
    expect(await item.textContent()).toMatch(/Ready: the fingerprints of \d+ frames of the video \(9 s\)/);
    // x264 (as most encoders with B-frames) makes pictures no other refers to: those that
    // become no probe frame are not decoded at all (the same frames come out, see below).
    const [decodedFrames, skippedFrames] = (await item.getAttribute('data-frames'))!.match(/\d+/g)!.map(Number);
    expect(skippedFrames).toBeGreaterThan(0);
    expect(decodedFrames! + skippedFrames!).toBe(102 + 84 + 90); // every picture of the 9.2 s at 30 fps
    // Probe frames come from the decoded pictures' planes (software decoding gives I420), not a canvas.
    const [fromPlanes, byCanvas] = (await item.getAttribute('data-reads'))!.match(/\d+/g)!.map(Number);
    expect(fromPlanes).toBeGreaterThan(0);
    expect(byCanvas).toBe(0);
    await screenshot(page, 'en-desktop-video');

    // What the page will send, as it shows it, against the server's ffmpeg decode of the same file.
    const shown = await item.locator('code').evaluateAll((codes) =>
      codes.map((c) => ({ algorithm: c.getAttribute('data-algorithm'), role: c.getAttribute('data-role'), t: Number(c.getAttribute('data-t')), value: c.textContent! })),
    );
    const response = await fetch(`${server.url}/v1/hash`, { method: 'POST', headers: { 'content-type': 'video/mp4' }, body: new Uint8Array(bytes) });
    const serverSide = (await response.json()) as { md5: string; frames: { t: number; value: string; quality: number; window?: { value: string } }[] };
    expect(shown.find((c) => c.algorithm === 'video-md5')!.value).toBe(serverSide.md5);
    const browserFrames = shown.filter((c) => c.algorithm === 'pdq' && c.role === 'frame');
    const serverFrames = serverSide.frames.filter((f) => f.quality >= 50);
    expect(browserFrames.map((f) => f.t)).toEqual(serverFrames.map((f) => f.t));
    const distances = browserFrames.map((f, i) => hammingDistance(hexToBytes(f.value), hexToBytes(serverFrames[i]!.value)));
    // Each frame's centred window (for cropped copies), computed by the same code on both sides.
    const browserWindows = shown.filter((c) => c.algorithm === 'pdq' && c.role === 'window');
    expect(browserWindows.map((w) => w.t)).toEqual(serverFrames.map((f) => f.t));
    const windowDistances = browserWindows.map((w, i) => hammingDistance(hexToBytes(w.value), hexToBytes(serverFrames[i]!.window!.value)));
    writeOutput(
      'video-agreement.json',
      `${JSON.stringify({ distances, windowDistances, elapsedMs: await item.getAttribute('data-elapsed-ms'), browser: browserFrames, server: serverFrames }, null, 2)}\n`,
    );
    // The same frames, decoded by two different decoders (measured: 0-2 bits, mean 0.5, since the page
    // shrinks and converts the planes as ffmpeg does; 0-4, mean 1.5, when it drew them on a canvas).
    expect(Math.max(...distances)).toBeLessThanOrEqual(8);
    expect(Math.max(...windowDistances)).toBeLessThanOrEqual(8);

    await page.getByRole('button', { name: /Send the fingerprints of 0 images and 1 video/ }).click();
    await page.getByTestId('created').waitFor();

    // A platform uploads the same video: the server decodes it with ffmpeg and finds the case.
    const apiKey = await server.createPlatformKey();
    const match = await fetch(`${server.url}/v1/match/video`, {
      method: 'POST',
      headers: { 'content-type': 'video/mp4', authorization: `Bearer ${apiKey}` },
      body: new Uint8Array(bytes),
    });
    const matched = (await match.json()) as { matched: boolean; matches: { exact: boolean; share: number }[] };
    expect(matched.matched).toBe(true);
    expect(matched.matches[0]).toMatchObject({ exact: true });
    expect(matched.matches[0]!.share).toBeGreaterThan(0.8);

    // Nothing of the video left the page: only the API's JSON, with hashes.
    for (const request of requests) {
      expect(new URL(request.url).origin).toBe(server.url);
      if (request.body) expect(carries(request.body, bytes), `${request.method} ${request.url}`).toBe(false);
    }
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => new URL(r.url).pathname)).toEqual(['/v1/cases']);
    const body = JSON.parse(posts[0]!.body!.toString());
    expect(Object.keys(body)).toEqual(['videos']);
    expect(Object.keys(body.videos[0]).sort()).toEqual(['frames', 'md5']);
    expect(body.videos[0].frames.every((f: { window?: { value: string } }) => typeof f.window?.value === 'string')).toBe(true);
  });

  it('reads WebM (VP9) and MKV (H.264) too, with the server’s frame times and hashes', async () => {
    for (const [container, codec, mimeType, decoder] of [['webm', 'vp9', 'video/webm', /^vp09/], ['mkv', 'h264', 'video/x-matroska', /^avc1/]] as const) {
      const video = await makeVideo({ shots: [{ seed: 64, seconds: 2.2 }, { seed: 65, seconds: 2 }], width: 480, height: 270, codec, container });
      const { page } = await openPage(browser, server.url, { locale: 'en-GB' });
      await page.goto(server.url);
      await page.locator('#image-input').setInputFiles({ name: `clip.${container}`, mimeType, buffer: video });
      const item = page.locator('.item[data-kind="video"]');
      await expect.poll(() => item.getAttribute('data-state'), POLL).not.toBe('hashing');
      expect(await item.getAttribute('data-state'), container).toBe('ready');
      expect(await item.getAttribute('data-decoder')).toMatch(decoder);
      const shown = await item.locator('code[data-role="frame"]').evaluateAll((codes) => codes.map((c) => ({ t: Number(c.getAttribute('data-t')), value: c.textContent! })));
      const response = await fetch(`${server.url}/v1/hash`, { method: 'POST', headers: { 'content-type': mimeType }, body: new Uint8Array(video) });
      const serverFrames = ((await response.json()) as { frames: { t: number; value: string; quality: number }[] }).frames.filter((f) => f.quality >= 50);
      expect(shown.map((f) => f.t), container).toEqual(serverFrames.map((f) => f.t));
      const distances = shown.map((f, i) => hammingDistance(hexToBytes(f.value), hexToBytes(serverFrames[i]!.value)));
      expect(Math.max(...distances), container).toBeLessThanOrEqual(8);
    }
  });

  it('says plainly when the browser cannot read a video format here (AVI), and leaves it out', async () => {
    const avi = await makeVideo({ shots: [{ seed: 66, seconds: 1.5 }], codec: 'mpeg4', container: 'avi' });
    const { page } = await openPage(browser, server.url, { locale: 'fr-FR' });
    await page.goto(server.url);
    await page.locator('#image-input').setInputFiles({ name: 'clip.avi', mimeType: 'video/x-msvideo', buffer: avi });
    const item = page.locator('.item[data-kind="video"]');
    await expect.poll(() => item.getAttribute('data-state'), POLL).toBe('failed');
    expect(await item.textContent()).toContain('ne sait pas lire ce format de vidéo');
  });
});
