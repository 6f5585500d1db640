/**
 * Real video files made at test time by ffmpeg (the binary Rempart itself finds: the
 * npm package's on a fresh machine) from frames drawn here: textured shots that pan, cut
 * and fade, encoded as a phone or a platform would. Small and short, to keep the suite fast.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireFfmpeg } from '../../src/pipeline/video/ffmpeg-binary.js';
import { texturedScene } from './frames.js';

export const FFMPEG = requireFfmpeg(process.env.REMPART_FFMPEG).path;

export interface VideoShot {
  /** Scene seed; 0 is black. */
  seed: number;
  seconds: number;
}

export type Codec = 'h264' | 'vp9' | 'mpeg4' | 'hevc';
export type Container = 'mp4' | 'mov' | 'webm' | 'mkv' | 'avi';

export interface VideoSpec {
  shots: readonly VideoShot[];
  width?: number;
  height?: number;
  fps?: number;
  codec?: Codec;
  container?: Container;
  /** Put the MP4 index first (default: at the end, as phones write it). */
  faststart?: boolean;
  /** Camera pan in pixels per second. */
  pan?: number;
  /** Seconds cut off the start (a trimmed copy). */
  start?: number;
  /** Mirrored left to right. */
  mirror?: boolean;
  /** ffmpeg filters applied while encoding (e.g. a caption bar). */
  filters?: string;
}

const ENCODERS: Record<Codec, string[]> = {
  h264: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'],
  hevc: ['-c:v', 'libx265', '-preset', 'ultrafast', '-crf', '26', '-pix_fmt', 'yuv420p', '-x265-params', 'log-level=error'],
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-pix_fmt', 'yuv420p'],
  mpeg4: ['-c:v', 'mpeg4', '-q:v', '4', '-pix_fmt', 'yuv420p'],
};

/** The raw RGB frames of the spec, in order (what the video shows, before encoding). */
export function* specFrames(spec: VideoSpec): Generator<Uint8Array> {
  const width = spec.width ?? 320;
  const height = spec.height ?? 180;
  const fps = spec.fps ?? 25;
  const pan = spec.pan ?? 12;
  let skip = Math.round((spec.start ?? 0) * fps);
  for (const shot of spec.shots) {
    const count = Math.round(shot.seconds * fps);
    const travel = Math.ceil((pan * count) / fps) + 1;
    const scene = shot.seed === 0 ? undefined : texturedScene(width + travel, height, shot.seed).data;
    for (let f = 0; f < count; f++) {
      if (skip > 0) {
        skip--;
        continue;
      }
      const frame = new Uint8Array(width * height * 3);
      if (scene) {
        const shift = Math.floor((pan * f) / fps);
        for (let y = 0; y < height; y++) {
          const from = (y * (width + travel) + shift) * 3;
          frame.set(scene.subarray(from, from + width * 3), y * width * 3);
        }
      }
      if (spec.mirror) {
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width >> 1; x++) {
            for (let c = 0; c < 3; c++) {
              const a = (y * width + x) * 3 + c;
              const b = (y * width + (width - 1 - x)) * 3 + c;
              const v = frame[a]!;
              frame[a] = frame[b]!;
              frame[b] = v;
            }
          }
        }
      }
      yield frame;
    }
  }
}

/** Encodes the spec with ffmpeg; the file goes through a temporary folder, then is deleted. */
export async function makeVideo(spec: VideoSpec): Promise<Buffer> {
  const width = spec.width ?? 320;
  const height = spec.height ?? 180;
  const fps = spec.fps ?? 25;
  const codec = spec.codec ?? 'h264';
  const container = spec.container ?? 'mp4';
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-test-video-'));
  const file = path.join(dir, `video.${container}`);
  try {
    const args = [
      '-hide_banner', '-loglevel', 'error', '-y',
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      ...(spec.filters ? ['-vf', spec.filters] : []),
      ...ENCODERS[codec],
      ...(spec.faststart ? ['-movflags', '+faststart'] : []),
      file,
    ];
    const child = spawn(FFMPEG, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const done = new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg failed (${code}): ${log}`))));
    });
    for (const frame of specFrames(spec)) {
      if (!child.stdin.write(frame)) await new Promise((resolve) => child.stdin.once('drain', resolve));
    }
    child.stdin.end();
    await done;
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
