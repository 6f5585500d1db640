/**
 * Synthetic probe frames for the pure video-hashing tests: shots that pan slowly across a
 * textured scene, so consecutive frames differ a little and shots differ a lot, as in a
 * real video.
 */
import type { Pixels } from '../../src/hashing/types.js';
import { seededRandom } from './random.js';

export interface Shot {
  /** Scene seed; 0 is a black shot. */
  seed: number;
  /** Probe frames in the shot. */
  frames: number;
}

export const FRAME_WIDTH = 256;
export const FRAME_HEIGHT = 144;
/** Pixels the camera pans per probe frame. */
export const PAN = 1;

/** Random colour cells of 24 px, bilinearly blended: texture at every scale, one picture per seed. */
export function texturedScene(width: number, height: number, seed: number): { data: Uint8Array } {
  const random = seededRandom(seed);
  const cell = 24;
  const columns = Math.ceil(width / cell) + 2;
  const rows = Math.ceil(height / cell) + 2;
  const grid = Float64Array.from({ length: columns * rows * 3 }, () => random() * 255);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const fy = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const fx = gx - x0;
      for (let c = 0; c < 3; c++) {
        const at = (r: number, q: number) => grid[(r * columns + q) * 3 + c]!;
        const top = at(y0, x0) * (1 - fx) + at(y0, x0 + 1) * fx;
        const bottom = at(y0 + 1, x0) * (1 - fx) + at(y0 + 1, x0 + 1) * fx;
        data[(y * width + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { data };
}

/** A shot's frames: a 256×144 window moving PAN px right per probe frame (5 px/s) over a wider scene. */
export function shotFrames(shot: Shot): Pixels[] {
  const width = FRAME_WIDTH + PAN * shot.frames;
  const source = shot.seed === 0 ? undefined : texturedScene(width, FRAME_HEIGHT, shot.seed);
  const out: Pixels[] = [];
  for (let f = 0; f < shot.frames; f++) {
    const data = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT * 3);
    if (source) {
      for (let y = 0; y < FRAME_HEIGHT; y++) {
        const from = (y * width + PAN * f) * 3;
        data.set(source.data.subarray(from, from + FRAME_WIDTH * 3), y * FRAME_WIDTH * 3);
      }
    }
    out.push({ width: FRAME_WIDTH, height: FRAME_HEIGHT, channels: 3, data });
  }
  return out;
}

export function videoFrames(shots: readonly Shot[]): Pixels[] {
  return shots.flatMap(shotFrames);
}

/** The frames mirrored left to right. */
export function mirrored(frames: readonly Pixels[]): Pixels[] {
  return frames.map((p) => {
    const data = new Uint8Array(p.data.length);
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        const from = (y * p.width + x) * p.channels;
        data.set(p.data.subarray(from, from + p.channels), (y * p.width + (p.width - 1 - x)) * p.channels);
      }
    }
    return { ...p, data };
  });
}
