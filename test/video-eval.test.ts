/**
 * `rempart eval-video`'s runner and report on two small real videos (ffmpeg-made, written
 * to a temporary folder as `--videos DIR` reads them): each registered as the service
 * does, a re-encode, a mirrored copy and a still of each matched against both; the report
 * gives recall per transformation, false matches, and the registration densities.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_VIDEO_MATCH_POLICY } from '../src/hashing/video/match.js';
import { VIDEO_PROFILE } from '../src/hashing/video/profile.js';
import { evaluatePolicy } from '../src/eval/video/analyse.js';
import { listVideoFiles } from '../src/eval/video/corpus.js';
import { videoSummaryMarkdown } from '../src/eval/video/report.js';
import { runVideoEvaluation, SERVICE_DENSITY, type VideoEvalResults } from '../src/eval/video/runner.js';
import { runFfmpeg } from '../src/eval/video/ffmpeg-run.js';
import { impostorImageFalseMatches } from '../src/eval/video/impostor-images.js';
import { scene } from './helpers/photos.js';
import { FFMPEG, makeVideo } from './helpers/videos.js';

let dir: string;
let results: VideoEvalResults;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-eval-video-'));
  const [a, b] = await Promise.all([
    makeVideo({ shots: [{ seed: 81, seconds: 3.2 }, { seed: 82, seconds: 3 }], width: 320, height: 180, pan: 30 }),
    makeVideo({ shots: [{ seed: 91, seconds: 2.8 }, { seed: 92, seconds: 3.4 }], width: 320, height: 180, pan: 30 }),
  ]);
  writeFileSync(path.join(dir, 'a.mp4'), a);
  writeFileSync(path.join(dir, 'b.mp4'), b);
  // Impostor images: three unrelated pictures, and a still of b (on one of its samples) twice: once said to be b's
  // (its pairs with b are genuine, left out), once not (a planted impostor the count must see).
  const images = path.join(dir, 'images');
  mkdirSync(images);
  // Frame 40 exactly (1.6 s at 25 fps: a registered sample), lossless, at the probe frames'
  // size and colours (this synthetic texture's fine grain moves PDQ ~40 bits when resized).
  const probe = "scale=256:144:flags=area:in_color_matrix=bt709,format=rgb24";
  const stillOfB = await runFfmpeg({ binary: FFMPEG, args: ['-i', path.join(dir, 'b.mp4'), '-vf', `select=eq(n\\,40),${probe}`, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', 'pipe:1'] });
  writeFileSync(path.join(images, 'b-still.png'), stillOfB);
  for (const seed of [101, 102, 103]) writeFileSync(path.join(images, `scene-${seed}.jpg`), await scene(seed));
  const impostorImages = [
    ...[101, 102, 103].map((seed) => ({ name: `scene-${seed}`, path: path.join(images, `scene-${seed}.jpg`) })),
    { name: 'b-still-tagged', path: path.join(images, 'b-still.png'), video: 'b' },
    { name: 'b-still-planted', path: path.join(images, 'b-still.png') },
  ];
  results = await runVideoEvaluation({ videos: listVideoFiles(dir), ffmpeg: FFMPEG, transformations: ['h264-800k', 'mirror'], stills: 1, impostorImages });
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('eval-video', () => {
  it('registers at the service’s density and records every query against every video at each density', () => {
    expect(results.errors).toEqual([]);
    expect(SERVICE_DENSITY).toBe(`${VIDEO_PROFILE.probeFps / VIDEO_PROFILE.sampleEvery}fps+windows`);
    expect(results.serviceDensity).toBe(SERVICE_DENSITY);
    expect(results.registered.map((r) => r.name)).toEqual(['a', 'b']);
    for (const video of results.registered) {
      // 2.5 regular samples a second plus cut frames.
      expect(video.frames).toBeGreaterThanOrEqual(Math.floor(video.duration * 2.5));
      expect(video.frames).toBeLessThanOrEqual(Math.ceil(video.duration * 2.5) + video.cutFrames);
    }
    expect(results.queries.map((q) => q.transformation).sort()).toEqual(['h264-800k', 'h264-800k', 'mirror', 'mirror', 'still', 'still']);
    // 6 queries × 2 registered videos × 4 registrations; one genuine video per query.
    expect(results.pairs).toHaveLength(6 * 2 * 4);
    expect(results.pairs.filter((p) => p.genuine)).toHaveLength(6 * 4);
    for (const video of results.registered) expect(video.windows).toBeGreaterThan(video.frames / 2);
  });

  it('finds re-encodes, mirrored copies with dihedral matching, and no impostor', () => {
    const choice = { ...DEFAULT_VIDEO_MATCH_POLICY, dihedral: false };
    const plain = evaluatePolicy(results, choice);
    const dihedral = evaluatePolicy(results, { ...choice, dihedral: true });
    const recall = (outcome: typeof plain, family: string) => outcome.families.find((f) => f.family === family)!.recall;
    expect(recall(plain, 're-encode')).toBe(1);
    expect(recall(plain, 'mirror')).toBe(0);
    expect(recall(dihedral, 'mirror')).toBe(1);
    expect(plain.falseMatches).toBe(0);
    expect(dihedral.falseMatches).toBe(0);
  });

  it('uses images as impostors: as stills against every registered video, registered against every upload', () => {
    const images = results.impostorImages!;
    expect(images.images).toBe(5);
    expect(images.usable).toBe(5);
    // 4 images × 2 videos, and the tagged still against a only.
    expect(images.stillPairs).toBe(4 * 2 + 1);
    // Video uploads (stills excluded): 4 of them; the tagged still is not paired with b's 2.
    expect(images.registeredPairs).toBe(4 * 4 + 2);
    // Only the planted still meets a video: b, as a still and in b's uploads.
    expect(new Set(images.stillMatches.map((m) => `${m.image}→${m.video}`))).toEqual(new Set(['b-still-planted→b']));
    expect(new Set(images.registeredMatches.map((m) => m.image))).toEqual(new Set(['b-still-planted']));
    expect(images.registeredMatches.every((m) => m.query.startsWith('b/'))).toBe(true);
    const counted = impostorImageFalseMatches(images, DEFAULT_VIDEO_MATCH_POLICY.minSeconds);
    expect(counted.stills).toBe(1);
    expect(counted.examples[0]).toMatch(/^still b-still-planted → b/);
  });

  it('reports recall per transformation, false matches and densities in Markdown', () => {
    const summary = videoSummaryMarkdown(results, { ...DEFAULT_VIDEO_MATCH_POLICY, dihedral: false });
    expect(summary).toMatch(/frames registered at 2\.5fps/);
    expect(summary).toMatch(/\| h264-800k \| re-encode \| 2 \| 100\.0 % \| 100\.0 % \|/);
    expect(summary).toMatch(/\| mirror \| mirror \| 2 \| 0\.0 % \| 100\.0 % \|/);
    expect(summary).toMatch(/False matches: \*\*0\*\* of 6 impostor pairs/);
    expect(summary).toMatch(/\| 1fps \|[\s\S]*\| 2\.5fps \|[\s\S]*\| 5fps \|[\s\S]*\| 2\.5fps\+windows \|/);
    expect(summary).toMatch(/## Impostor images/);
  });
});
