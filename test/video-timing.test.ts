/**
 * Time for the victim's page to hash a 1-minute 1080p phone video (target: 15 s on a
 * laptop-class machine), measured in Chromium, recorded and not asserted, beside each
 * stage of the pipeline timed alone on the same file in the same browser: the bare decode
 * (demux + WebCodecs, every frame closed at once: the baseline), decode + reading the probe
 * frames, the hashing (and as it was before), the MD5 (src/web/client/video/profile-worker.ts). Opt-in, as it
 * builds a 60 s 1080p file first (cached in bench/results/tmp/):
 *
 *   REMPART_VIDEO_TIMING=1 npx vitest run test/video-timing.test.ts
 *
 * Results go to test-output/web/video-timing.json (see docs/video.md).
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phoneLikeVideo } from '../src/eval/video/corpus.js';
import { launchChromium, openPage, startWebServer, writeOutput, type WebServer } from './helpers/browser.js';
import { FFMPEG } from './helpers/videos.js';

const ENABLED = process.env.REMPART_VIDEO_TIMING === '1';
const RUNS = Number(process.env.REMPART_VIDEO_TIMING_RUNS ?? 3);

const STAGES = ['decode', 'frames', 'frames-canvas', 'hash', 'hash-before', 'md5', 'page'] as const;

/** A page of its own (another origin than the victim's page) running the profile worker. */
async function startProfileServer(): Promise<{ url: string; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-video-profile-'));
  await build({
    entryPoints: [path.resolve('src/web/client/video/profile-worker.ts')],
    outfile: path.join(dir, 'worker.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    logLevel: 'warning',
  });
  const worker = readFileSync(path.join(dir, 'worker.js'));
  rmSync(dir, { recursive: true, force: true });
  const html = '<!doctype html><meta charset="utf-8"><title>profile</title><input type="file" id="file">';
  const server: Server = createServer((request, response) => {
    if (request.url === '/worker.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(worker);
    else response.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.skipIf(!ENABLED)('hashing a 1-minute 1080p video in the browser (REMPART_VIDEO_TIMING=1)', () => {
  let server: WebServer;
  let profile: Awaited<ReturnType<typeof startProfileServer>>;
  let browser: Browser;
  let file: string;

  beforeAll(async () => {
    // REMPART_VIDEO_TIMING_FILE: another file instead (e.g. a shorter cut for a quick profile).
    file = process.env.REMPART_VIDEO_TIMING_FILE ?? (await phoneLikeVideo(FFMPEG, path.resolve('bench', 'results', 'tmp', 'phone-1080p-60s.mp4'), 60));
    [server, browser, profile] = await Promise.all([startWebServer(), launchChromium(), startProfileServer()]);
  }, 1_800_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await profile?.close();
  });

  it('times each stage alone on the same file: the bare decode is the baseline', async () => {
    const times: Record<string, number[]> = Object.fromEntries(STAGES.map((s) => [s, []]));
    const page = await browser.newPage();
    await page.goto(profile.url);
    await page.locator('#file').setInputFiles(file);
    // Round robin, so that a load spike on this shared machine falls on every stage alike.
    for (let run = 0; run < RUNS; run++) {
      for (const mode of STAGES) {
        const result = await page.evaluate(
          (mode) =>
            new Promise<{ ok: boolean; ms: number; frames: number; error?: string }>((resolve) => {
              const worker = new Worker('/worker.js');
              worker.onmessage = (event) => {
                worker.terminate();
                resolve(event.data);
              };
              worker.postMessage({ mode, file: (document.getElementById('file') as HTMLInputElement).files![0] });
            }),
          mode,
        );
        expect(result.ok, result.error).toBe(true);
        times[mode]!.push(Math.round(result.ms));
      }
    }
    await page.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const record = { cores: os.cpus().length, load: os.loadavg(), runs: RUNS, ms: times, medianMs: Object.fromEntries(STAGES.map((s) => [s, median(times[s]!)])) };
    writeOutput('video-stages.json', `${JSON.stringify(record, null, 2)}\n`);
    console.log(`stages (median ms): ${STAGES.map((s) => `${s} ${record.medianMs[s]}`).join(', ')}`);
  }, 1_800_000);

  it('records the time from picking the file to its hashes, with progress shown meanwhile', async () => {
    const runs: { elapsedMs: number; progressSteps: number; frames: number; decoder: string | null }[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { page, context } = await openPage(browser, server.url, { locale: 'en-GB' });
      await page.goto(server.url);
      await page.locator('#image-input').setInputFiles(file);
      const item = page.locator('.item[data-kind="video"]');
      await item.waitFor();
      // Progress as the victim sees it: sample the bar until the analysis ends.
      const seen = new Set<string>();
      while ((await item.getAttribute('data-state')) === 'hashing') {
        const value = await item.locator('progress').getAttribute('value').catch(() => null);
        if (value) seen.add(value);
        await page.waitForTimeout(250);
      }
      expect(await item.getAttribute('data-state')).toBe('ready');
      runs.push({
        elapsedMs: Number(await item.getAttribute('data-elapsed-ms')),
        progressSteps: seen.size,
        frames: await item.locator('code[data-algorithm="pdq"][data-role="frame"]').count(),
        decoder: await item.getAttribute('data-decoder'),
      });
      await context.close();
    }
    const record = { file: '60 s, 1920×1080, 30 fps, H.264 High, ~10 Mbit/s', cores: os.cpus().length, load: os.loadavg()[0], runs };
    writeOutput('video-timing.json', `${JSON.stringify(record, null, 2)}\n`);
    console.log(`1-minute 1080p video hashed in the browser in ${runs.map((r) => (r.elapsedMs / 1000).toFixed(1)).join(', ')} s`);
    expect(runs.every((r) => r.progressSteps > 1)).toBe(true);
  }, 1_800_000);
});
