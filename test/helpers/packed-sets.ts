/**
 * Hand-made registered and query sets for the eval-profile analysis tests (profile-analysis,
 * profile-eval-rules, profile-tail): codes as 8 32-bit words, packed the way the eval's
 * worker packs a picture's derived hashes (src/eval/profile-task.ts PackedSet).
 */
import { ROLES, TEXTURE_SCALE, type PackedSet } from '../../src/eval/profile-task.js';
import type { Role } from '../../src/hashing/profile/profile.js';

/**
 * One code of a set. `quality`: its PDQ quality (90, well above every floor, when absent);
 * `flat`: the share of its box that is exactly flat (a flat graphic above the gate's share);
 * `box`: the hashed box in fractions of the picture (the whole picture when absent).
 */
export interface TestCode {
  role: Role;
  words: number[];
  quality?: number;
  flat?: number;
  box?: [number, number, number, number];
}

export function packSet(codes: TestCode[]): PackedSet {
  const words = new Uint32Array(8 * codes.length);
  codes.forEach((c, i) => words.set(c.words, 8 * i));
  const boxes = new Float32Array(4 * codes.length);
  codes.forEach((c, i) => boxes.set(c.box ?? [0, 0, 1, 1], 4 * i));
  return {
    words,
    roles: Uint8Array.from(codes.map((c) => ROLES.indexOf(c.role))),
    quality: Uint8Array.from(codes.map((c) => c.quality ?? 90)),
    flat: Uint8Array.from(codes.map((c) => Math.round((c.flat ?? 0) * TEXTURE_SCALE))),
    levels: new Uint8Array(codes.length),
    boxes,
    hashes: codes.length,
  };
}

/** A random 256-bit code as 8 words. */
export const randomWords = (random: () => number): number[] => Array.from({ length: 8 }, () => Math.floor(random() * 2 ** 32) >>> 0);

/** A code a few bits away from `base` (flips `bits` random bits; a bit drawn twice flips back). */
export function nearWords(base: number[], bits: number, random: () => number): number[] {
  const out = [...base];
  for (let i = 0; i < bits; i++) {
    const bit = Math.floor(random() * 256);
    out[bit >> 5] = (out[bit >> 5]! ^ (1 << (bit & 31))) >>> 0;
  }
  return out;
}
