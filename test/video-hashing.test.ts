/**
 * The pure video-hashing core on synthetic probe frames: which frames are kept (regular
 * samples and scene cuts), the summary, and how a query is matched to a registered video.
 */
import { describe, expect, it } from 'vitest';
import { hammingDistance, hexToBytes } from '../src/hashing/index.js';
import { pdq } from '../src/hashing/pdq.js';
import type { Pixels } from '../src/hashing/types.js';
import {
  aggregateFrameHits,
  compareSignatures,
  DEFAULT_VIDEO_MATCH_POLICY,
  hashVideoFrames,
  summaryCosine,
  summaryDistance,
  staticBandCrop,
  VIDEO_PROFILE,
  VideoHasher,
} from '../src/hashing/video/index.js';
import { mirrored, videoFrames } from './helpers/frames.js';

const FPS = VIDEO_PROFILE.probeFps;
// Three shots of 3 s, 2 s and 4 s, then 1 s of black and a last shot of 3 s.
const SHOTS = [
  { seed: 1, frames: 3 * FPS },
  { seed: 2, frames: 2 * FPS + 2 },
  { seed: 3, frames: 4 * FPS },
  { seed: 0, frames: FPS },
  { seed: 4, frames: 3 * FPS - 2 },
];
const frames = videoFrames(SHOTS);
const signature = hashVideoFrames(frames);
const FLOOR = 50;

/** The centred `scale` of each side of a frame, as a crop tool cuts it (whole pixels). */
function cropCentre(pixels: Pixels, scale: number): Pixels {
  const width = Math.round(pixels.width * scale);
  const height = Math.round(pixels.height * scale);
  const x0 = Math.round((pixels.width - width) / 2);
  const y0 = Math.round((pixels.height - height) / 2);
  const data = new Uint8Array(width * height * pixels.channels);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * pixels.width + x0) * pixels.channels;
    data.set(pixels.data.subarray(from, from + width * pixels.channels), y * width * pixels.channels);
  }
  return { width, height, channels: pixels.channels, data };
}

describe('VideoHasher', () => {
  it('keeps every sampleEvery-th probe frame (2.5 a second) and the first frame after each cut', () => {
    expect(signature.probeFrames).toBe(frames.length);
    expect(signature.duration).toBe(frames.length / FPS);
    const EVERY = VIDEO_PROFILE.sampleEvery;
    const intervals = signature.frames.filter((f) => f.origin === 'interval').map((f) => f.t);
    expect(intervals).toEqual(Array.from({ length: Math.ceil(frames.length / EVERY) }, (_, i) => Math.round(((i * EVERY) / FPS) * 1000) / 1000));
    // Shot starts: 3.0, 5.4, (9.4 is black), 10.4 after black. Each is kept: as a regular
    // sample when it falls on one (10.4), else as a cut frame.
    const kept = signature.frames.map((f) => f.t);
    for (const start of [3, 5.4, 10.4]) expect(kept).toContain(start);
    const cuts = signature.frames.filter((f) => f.origin === 'cut').map((f) => f.t);
    expect(cuts).toEqual([3, 5.4]);
    // Times are increasing; each kept frame is PDQ of its probe frame.
    for (const frame of signature.frames) {
      const index = Math.round(frame.t * FPS);
      const expected = pdq.hash(frames[index]!);
      expect(frame.value).toBe(expected.value);
      expect(frame.quality).toBe(expected.quality);
    }
  });

  it('hashes the centred window (90 % of each side) of each kept frame when registering: PDQ of that crop', () => {
    expect(signature.frames.every((f) => f.window === undefined)).toBe(true);
    const withWindows = hashVideoFrames(frames, { windows: true });
    expect(withWindows.frames.map((f) => f.value)).toEqual(signature.frames.map((f) => f.value));
    for (const frame of withWindows.frames) {
      const crop = cropCentre(frames[Math.round(frame.t * FPS)]!, VIDEO_PROFILE.windowScale);
      expect(crop.width).toBe(230);
      const expected = pdq.hash(crop);
      expect(frame.window).toEqual({ value: expected.value, quality: expected.quality });
      // The window is another picture than the frame: a cropped copy needs it.
      if (frame.quality >= FLOOR) expect(hammingDistance(hexToBytes(frame.window!.value), hexToBytes(frame.value))).toBeGreaterThan(20);
    }
  });

  it('gives black frames quality 0 and leaves them out of the summary', () => {
    const black = signature.frames.find((f) => f.t === 10)!;
    expect(black.quality).toBe(0);
    expect(signature.summary!.frames).toBe(frames.length - FPS);
  });

  it('derives dihedral hashes equal to PDQ dihedral hashes of the frame', () => {
    const withDihedral = hashVideoFrames(frames.slice(0, 6), { dihedral: true });
    // The second kept frame is the second regular sample.
    const expected = pdq.hash(frames[VIDEO_PROFILE.sampleEvery]!, { dihedral: true });
    expect(withDihedral.frames[1]!.dihedral).toEqual(expected.dihedral);
    expect(withDihedral.summary!.dihedral).toBeDefined();
  });

  it('summarises a flat video as no summary, and refuses use after finish', () => {
    const hasher = new VideoHasher();
    for (const f of videoFrames([{ seed: 0, frames: 10 }])) hasher.push(f);
    const flat = hasher.finish();
    expect(flat.summary).toBeNull();
    expect(flat.frames.every((f) => f.quality === 0)).toBe(true);
    expect(() => hasher.push(frames[0]!)).toThrow(/after finish/);
    expect(() => hasher.finish()).toThrow(/twice/);
  });

  it('summaries: the same video is identical, a trimmed copy close, another video far', () => {
    const trimmed = hashVideoFrames(frames.slice(4));
    const other = hashVideoFrames(videoFrames([{ seed: 7, frames: 30 }, { seed: 8, frames: 40 }]));
    expect(summaryDistance(signature.summary!, signature.summary!)).toBe(0);
    expect(summaryCosine(signature.summary!, signature.summary!)).toBeCloseTo(1, 6);
    expect(summaryDistance(signature.summary!, trimmed.summary!)).toBeLessThan(30);
    expect(summaryCosine(signature.summary!, trimmed.summary!)).toBeGreaterThan(0.95);
    expect(summaryDistance(signature.summary!, other.summary!)).toBeGreaterThan(70);
    expect(summaryCosine(signature.summary!, other.summary!)).toBeLessThan(0.7);
  });
});

describe('matching a query video to a registered one', () => {
  it('matches a copy trimmed by 1.4 s, at offset 1.4 s, with most seconds (query: every probe frame)', () => {
    const query = hashVideoFrames(frames.slice(7), { keep: 'every-probe' });
    expect(query.frames).toHaveLength(frames.length - 7);
    const match = compareSignatures(query, signature, { qualityFloor: FLOOR })!;
    expect(match.matched).toBe(true);
    expect(match.offset).toBeCloseTo(1.4, 1);
    expect(match.share).toBeGreaterThan(0.8);
    expect(match.bestDistance).toBe(0);
  });

  it('matches a 4 s clip from the middle and says where it comes from', () => {
    const start = 6 * FPS + 1; // 6.2 s
    const query = hashVideoFrames(frames.slice(start, start + 4 * FPS), { keep: 'every-probe' });
    const match = compareSignatures(query, signature, { qualityFloor: FLOOR })!;
    expect(match.matched).toBe(true);
    expect(match.offset).toBeGreaterThan(5.8);
    expect(match.offset).toBeLessThan(6.6);
  });

  it('matches a mirrored copy only with dihedral matching, and names the transform', () => {
    const query = hashVideoFrames(mirrored(frames), { dihedral: true, keep: 'every-probe' });
    const plain = compareSignatures(query, signature, { qualityFloor: FLOOR });
    expect(plain?.matched ?? false).toBe(false);
    const dihedral = compareSignatures(query, signature, { qualityFloor: FLOOR, dihedral: true })!;
    expect(dihedral.matched).toBe(true);
    expect(dihedral.transform).toBe('flipY');
  });

  it('does not match an unrelated video', () => {
    const other = hashVideoFrames(videoFrames([{ seed: 11, frames: 25 }, { seed: 12, frames: 25 }]), { keep: 'every-probe', dihedral: true });
    expect(compareSignatures(other, signature, { qualityFloor: FLOOR, dihedral: true })?.matched ?? false).toBe(false);
  });

  it('matches a single still frame (an image posted from the video)', () => {
    const still = pdq.hash(frames[33]!);
    const stillSignature = { duration: 0, probeFrames: 1, summary: null, frames: [{ t: 0, value: still.value, quality: still.quality!, origin: 'interval' as const }] };
    const match = compareSignatures(stillSignature, signature, { qualityFloor: FLOOR })!;
    expect(match.matched).toBe(true);
    // 6.6 s lies between the samples at 6.4 s and 6.8 s: the nearer-looking one is reported.
    expect([6.4, 6.8]).toContain(match.frames[0]!.referenceT);
  });
});

describe('aggregateFrameHits', () => {
  const times = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  it('counts only hits at one consistent offset', () => {
    // Query frames 0..4 hit the registered video 10 s later; frames 5..9 hit it at random times.
    const aligned = [0, 1, 2, 3, 4].map((q) => ({ query: q, reference: 'v', referenceT: q + 10, distance: 5 + q }));
    const scattered = [5, 6, 7, 8, 9].map((q, i) => ({ query: q, reference: 'v', referenceT: 60 - 9 * i, distance: 3 }));
    const [match] = aggregateFrameHits(times, [...aligned, ...scattered]);
    expect(match!.matchedSeconds).toBe(5);
    expect(match!.offset).toBe(10);
    expect(match!.share).toBe(0.5);
    expect(match!.bestDistance).toBe(5);
    expect(match!.matched).toBe(true);
  });

  it('refuses scattered chance hits and hits over the threshold', () => {
    const scattered = times.map((q) => ({ query: q, reference: 'v', referenceT: (q * 37) % 50, distance: 20 }));
    expect(aggregateFrameHits(times, scattered)[0]!.matched).toBe(false);
    const far = times.map((q) => ({ query: q, reference: 'v', referenceT: q, distance: DEFAULT_VIDEO_MATCH_POLICY.frameThreshold + 1 }));
    expect(aggregateFrameHits(times, far)).toEqual([]);
  });

  it('matches a registered part of a longer upload: 3 aligned seconds of 25 (12 %)', () => {
    const long = Array.from({ length: 25 }, (_, i) => i);
    const hits = [11, 12, 13].map((q) => ({ query: q, reference: 'v', referenceT: q - 9, distance: 12 }));
    const [match] = aggregateFrameHits(long, hits);
    expect(match).toMatchObject({ matchedSeconds: 3, querySeconds: 25, offset: -9, matched: true });
    expect(match!.share).toBeCloseTo(0.12);
    // Two seconds of 25 are not enough.
    expect(aggregateFrameHits(long, hits.slice(0, 2))[0]!.matched).toBe(false);
  });

  it('ranks registered videos: matched first, then more frames', () => {
    const hits = [
      ...[0, 1].map((q) => ({ query: q, reference: 'a', referenceT: q, distance: 0 })),
      ...[0, 1, 2, 3].map((q) => ({ query: q, reference: 'b', referenceT: q + 3, distance: 9 })),
    ];
    const [first, second] = aggregateFrameHits(times, hits);
    expect(first!.reference).toBe('b');
    expect(second!.reference).toBe('a');
    expect(second!.matched).toBe(true);
  });

  it('hex helpers agree with the frame values', () => {
    const a = signature.frames[0]!.value;
    expect(hammingDistance(hexToBytes(a), hexToBytes(a))).toBe(0);
  });
});

describe('static bands', () => {
  /** The frames with a static white band of `rows` rows on top (over the picture). */
  const withBar = (source: typeof frames, rows: number) =>
    source.map((p) => {
      const data = new Uint8Array(p.data);
      data.fill(255, 0, rows * p.width * p.channels);
      for (let x = 60; x < 190; x += 20) for (let y = 6; y < 14; y++) data.fill(0, (y * p.width + x) * 3, (y * p.width + x + 8) * 3); // "text"
      return { ...p, data };
    });

  it('finds a caption bar over time and gives the crop that removes it', () => {
    const signature = hashVideoFrames(withBar(frames.slice(0, 40), 26), { keep: 'every-probe', bands: true });
    expect(signature.staticCrop).toEqual([0, 26 / 144, 1, 1].map((x) => Math.round(x * 10000) / 10000));
  });

  it('finds nothing in a video without bands, nor in a still one', () => {
    expect(hashVideoFrames(frames.slice(0, 40), { keep: 'every-probe', bands: true }).staticCrop).toBeUndefined();
    const still = Array.from({ length: 20 }, () => frames[3]!);
    expect(hashVideoFrames(still, { bands: true }).staticCrop).toBeUndefined();
  });

  it('leaves thin edges (compression noise) and huge bands (a mostly still picture) alone', () => {
    expect(staticBandCrop(Float64Array.from({ length: 100 }, (_, i) => (i < 2 ? 0 : 10)), new Float64Array(100).fill(10))).toBeUndefined();
    expect(staticBandCrop(Float64Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : 10)), new Float64Array(100).fill(10))).toBeUndefined();
    expect(staticBandCrop(new Float64Array(100).fill(10), Float64Array.from({ length: 100 }, (_, i) => (i < 10 || i >= 90 ? 0.1 : 10)))).toEqual([0.1, 0, 0.9, 1]);
  });
});
