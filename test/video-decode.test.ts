/**
 * The server's video decoder on real files made by ffmpeg: containers and codecs phones
 * and platforms use, the MP4 index at the end (as phones write it), hashes that agree
 * across encodings, and every limit enforced by killing the decoder.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSignatures } from '../src/hashing/video/match.js';
import { VIDEO_PROFILE } from '../src/hashing/video/profile.js';
import { decodeVideoFrames } from '../src/pipeline/video/decode.js';
import { streamableSegments } from '../src/pipeline/video/faststart.js';
import { hashVideoBytes, type VideoHashes } from '../src/pipeline/video/hash-video.js';
import { DEFAULT_VIDEO_LIMITS, type VideoLimits } from '../src/pipeline/video/limits.js';
import { sniffVideoFormat } from '../src/pipeline/video/sniff.js';
import { FFMPEG, makeVideo, type VideoSpec } from './helpers/videos.js';

const LIMITS: VideoLimits = { ...DEFAULT_VIDEO_LIMITS, videoTimeoutSeconds: 60 };
// 3 s, a cut, 2.4 s, 1 s of black, 2 s: 8.4 s.
const SHOTS = [
  { seed: 21, seconds: 3 },
  { seed: 22, seconds: 2.4 },
  { seed: 0, seconds: 1 },
  { seed: 23, seconds: 2 },
];
const SPECS = {
  mp4: { shots: SHOTS },
  mp4Faststart: { shots: SHOTS, faststart: true },
  mov: { shots: SHOTS, container: 'mov' },
  hevc: { shots: SHOTS, codec: 'hevc' },
  webm: { shots: SHOTS, codec: 'vp9', container: 'webm' },
  avi: { shots: SHOTS, codec: 'mpeg4', container: 'avi' },
} satisfies Record<string, VideoSpec>;

let videos: Record<keyof typeof SPECS, Buffer>;
const hashOf = (bytes: Uint8Array, limits = LIMITS) => hashVideoBytes(new Uint8Array(bytes), { dihedral: false, keep: 'samples' }, limits, FFMPEG);

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  const entries = await Promise.all(Object.entries(SPECS).map(async ([name, spec]) => [name, await makeVideo(spec)] as const));
  videos = Object.fromEntries(entries) as typeof videos;
});

describe('containers', () => {
  it('sniffs each container from its bytes', () => {
    expect(sniffVideoFormat(videos.mp4)).toEqual({ container: 'mp4', demuxer: 'mov' });
    expect(sniffVideoFormat(videos.mov)).toEqual({ container: 'mov', demuxer: 'mov' });
    expect(sniffVideoFormat(videos.webm)).toEqual({ container: 'webm', demuxer: 'matroska' });
    expect(sniffVideoFormat(videos.avi)).toEqual({ container: 'avi', demuxer: 'avi' });
    expect(sniffVideoFormat(new TextEncoder().encode('<html><body>video</body></html>'))).toBeUndefined();
  });

  it('moves an MP4 index written at the end before the media, offsets shifted', async () => {
    const segments = streamableSegments(videos.mp4);
    expect(segments.length).toBeGreaterThan(1);
    expect(Buffer.from(segments[1]!.subarray(4, 8)).toString()).toBe('moov');
    expect(segments.reduce((n, s) => n + s.length, 0)).toBe(videos.mp4.length);
    expect(streamableSegments(videos.mp4Faststart)).toHaveLength(1);
    // Same encoded stream, index at the end or in front: the same frames, the same hashes.
    const [end, front] = await Promise.all([hashOf(videos.mp4), hashOf(videos.mp4Faststart)]);
    expect(end.signature).toEqual(front.signature);
    expect(end.md5).not.toBe(front.md5);
  });
});

describe('hashing decoded videos', () => {
  let hashes: Record<keyof typeof SPECS, VideoHashes>;
  beforeAll(async () => {
    const names = Object.keys(SPECS) as (keyof typeof SPECS)[];
    const results: VideoHashes[] = [];
    for (const name of names) results.push(await hashOf(videos[name]));
    hashes = Object.fromEntries(names.map((name, i) => [name, results[i]!])) as typeof hashes;
  });

  it('samples 5 probe frames a second, fitted inside 256 px, with cuts found', () => {
    const { mp4 } = hashes;
    expect(mp4.kind).toBe('video');
    expect(mp4.format).toBe('mp4');
    expect(mp4.signature.probeFrames).toBe(8.4 * VIDEO_PROFILE.probeFps);
    expect(mp4.duration).toBe(8.4);
    expect([mp4.frameWidth, mp4.frameHeight]).toEqual([256, 144]);
    expect(mp4.md5).toMatch(/^[0-9a-f]{32}$/);
    const intervals = mp4.signature.frames.filter((f) => f.origin === 'interval');
    // 2.5 regular samples a second: every other probe frame, 0.4 s apart.
    expect(intervals.map((f) => f.t)).toEqual(Array.from({ length: 21 }, (_, i) => Math.round(i * 4) / 10));
    const cuts = mp4.signature.frames.filter((f) => f.origin === 'cut').map((f) => f.t);
    // Shots start at 3 s (between two samples: a cut frame), 5.4 s (black) and 6.4 s (a regular sample already).
    expect(cuts).toEqual([3]);
    expect(mp4.signature.frames.find((f) => f.t === 6)!.quality).toBeLessThan(10); // black
  });

  it('gives the same video the same frames whatever the container and codec', () => {
    for (const name of ['mov', 'hevc', 'webm', 'avi'] as const) {
      const match = compareSignatures(hashes[name].signature, hashes.mp4.signature, { qualityFloor: 50 })!;
      expect(match.matched, name).toBe(true);
      expect(match.offset, name).toBe(0);
      expect(match.share, name).toBe(1);
      // Frame by frame: four lossy encodings of the same pictures (HEVC at ultrafast is the
      // farthest, 20 bits measured), all well inside the frame threshold (31).
      const worst = Math.max(...match.frames.map((f) => f.distance));
      expect(worst, name).toBeLessThanOrEqual(24);
    }
  });
});

describe('bad input', () => {
  it('refuses empty, unrecognised and broken videos with clear errors', async () => {
    expect(await failure(hashOf(new Uint8Array(0)))).toMatchObject({ code: 'VIDEO_EMPTY' });
    expect(await failure(hashOf(new TextEncoder().encode('hello, this is not a video at all')))).toMatchObject({
      code: 'VIDEO_UNSUPPORTED',
      message: expect.stringMatching(/not recognised.*MP4, MOV/),
    });
    // Cut before its index (a phone recording that was interrupted).
    const truncated = videos.mp4.subarray(0, Math.floor(videos.mp4.length / 2));
    expect(await failure(hashOf(truncated))).toMatchObject({ code: 'VIDEO_CORRUPT', message: 'MP4 video is corrupt or truncated and cannot be decoded' });
    // A valid header followed by noise.
    const noise = Buffer.concat([videos.webm.subarray(0, 64), Buffer.alloc(5000, 0x5a)]);
    expect((await failure(hashOf(noise))).code).toMatch(/VIDEO_CORRUPT|VIDEO_EMPTY/);
  });

  it('says when the file has no video track', async () => {
    // An MP4 holding only its index and no samples: make one by keeping the ftyp and moov of a
    // file whose video track is removed is complex; an AVI header with no streams will do.
    const riff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('AVI LIST'), Buffer.alloc(64)]);
    expect((await failure(hashOf(riff))).code).toMatch(/VIDEO_CORRUPT|VIDEO_UNSUPPORTED/);
  });
});

describe('limits: the decoder is killed the moment one is crossed', () => {
  it('bytes, seconds and pixels', async () => {
    expect(await failure(hashOf(videos.mp4, { ...LIMITS, maxVideoBytes: 1000 }))).toMatchObject({
      code: 'VIDEO_TOO_LARGE',
      message: expect.stringMatching(/over the limit of 1000 bytes/),
    });
    expect(await failure(hashOf(videos.mp4, { ...LIMITS, maxVideoSeconds: 5 }))).toMatchObject({
      code: 'VIDEO_TOO_LONG',
      message: 'video is longer than the limit of 5 s',
    });
    expect(await failure(hashOf(videos.mp4, { ...LIMITS, maxVideoPixels: 320 * 180 - 1 }))).toMatchObject({
      code: 'VIDEO_TOO_MANY_PIXELS',
    });
  });

  it('wall time', async () => {
    const started = performance.now();
    // 1 ms: starting ffmpeg alone takes longer; the whole 8.4 s HEVC decodes in ~40 ms on a
    // quiet machine, so 50 ms did not always run out.
    expect(await failure(hashOf(videos.hevc, { ...LIMITS, videoTimeoutSeconds: 0.001 }))).toMatchObject({
      code: 'VIDEO_TIMEOUT',
      message: 'video took longer than 0.001 s to decode',
    });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('memory: the address-space limit stops the decoder', async () => {
    const error = await failure(hashOf(videos.mp4, { ...LIMITS, videoMemoryBytes: 100 * 1024 * 1024 }));
    expect(error.code).toMatch(/VIDEO_TOO_COSTLY|VIDEO_CORRUPT/);
    // The default limit decodes the same file.
    await expect(hashOf(videos.mp4)).resolves.toMatchObject({ kind: 'video' });
  });

  it('CPU time: a decoder burning CPU is stopped by RLIMIT_CPU', async () => {
    // A stand-in decoder that never ends: only the CPU limit can stop it (no wall timeout here).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-busy-'));
    const busy = path.join(dir, 'busy-decoder');
    writeFileSync(busy, '#!/bin/sh\nwhile :; do :; done\n');
    chmodSync(busy, 0o755);
    const error = await failure(
      decodeVideoFrames(new Uint8Array(videos.mp4), { ...LIMITS, videoCpuSeconds: 1 }, { ffmpeg: busy }, () => {}),
    );
    expect(error).toMatchObject({ code: 'VIDEO_TOO_COSTLY', message: 'video needs more than 1 s of CPU time to decode, the limit' });
  });
});
