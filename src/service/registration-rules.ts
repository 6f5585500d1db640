/**
 * What a registration may hold, beyond a well-formed value: rules that keep one case from
 * filling the index with values no image produces, or with one image many times over
 * (issue 10, item 6: two cases of 1,000 values a few bits apart made every query near
 * them return 2,000 matches).
 */
import { popcount32 } from '../hashing/index.js';
import { createIndex } from '../index/create.js';

/** Bits set in a code. */
export function popcount(code: Uint8Array): number {
  let bits = 0;
  for (const byte of code) bits += popcount32(byte);
  return bits;
}

export interface BitRange {
  min: number;
  max: number;
}

/**
 * How many of the 256 bits a real hash sets. PDQ and blockhash both threshold at a median,
 * so real hashes set about half. Measured by bench/hash-popcount.ts on 4,816 images (95
 * photos x 49 variants and the reference vectors; BENCHMARKS.md, "Bits set in real hashes"):
 * PDQ at quality >= 50 always set exactly 128 bits (38,000 hashes with dihedral ones);
 * blockhash set 112-133 bits in 99.8 % of images, 88 at the extreme (a white photo in
 * 20 % black padding), 156 on a clipart PNG, and 1 on an all-black image. Both take the
 * same wide bounds, a quarter to three quarters of the bits: 24 bits beyond blockhash's
 * lowest real value, and 8 standard deviations from 128 for random bits (which other
 * hashers and benchmarks produce), so no real or random hash is ever refused.
 */
export const PLAUSIBLE_BITS: Readonly<Record<string, BitRange>> = {
  pdq: { min: 64, max: 192 },
  blockhash: { min: 64, max: 192 },
};
/** For an algorithm without a measured range: between a quarter and three quarters. */
export const DEFAULT_PLAUSIBLE_BITS: BitRange = { min: 64, max: 192 };

export function plausibleBits(algorithm: string): BitRange {
  return PLAUSIBLE_BITS[algorithm] ?? DEFAULT_PLAUSIBLE_BITS;
}

/** Why a value cannot come from an image, or undefined when it can. */
export function implausibility(algorithm: string, code: Uint8Array): string | undefined {
  const bits = popcount(code);
  const range = plausibleBits(algorithm);
  if (bits >= range.min && bits <= range.max) return undefined;
  return (
    `${algorithm} value sets ${bits} of ${code.length * 8} bits; hashes computed from images set ` +
    `${range.min} to ${range.max} (about half): this value does not come from an image, or the image is blank`
  );
}

/**
 * Two whole-picture hashes of one case closer than this are the same picture (a re-encoding
 * or a resize moves a hash by a few bits): a quarter of the match threshold. Keeping one
 * costs almost no recall, since a copy within the threshold of the dropped hash is within
 * 1.25 thresholds of the kept one and nearly always within the threshold itself.
 */
export function nearDuplicateRadius(threshold: number): number {
  return Math.floor(threshold / 4);
}

/** A hash as registration sees it; no role means a whole-picture hash. */
export interface CollapsibleHash {
  algorithm: string;
  bytes: Uint8Array;
  role?: string;
}

export interface CollapseResult<I> {
  kept: I[];
  /** How many hashes went with the items dropped as near-duplicates of a kept item. */
  collapsed: number;
}

/** The role of the hash computed from the whole picture; the others (windows, regions…) derive from it. */
const WHOLE_PICTURE = 'full';
/** A video's whole pictures are its frames (its windows derive from them). */
const VIDEO_FRAME = 'frame';

/**
 * Keeps, in order, each item that is not the same picture as an item kept before it. An item
 * is the same picture as an earlier one when every one of its whole-picture ('full') hashes
 * lies within its algorithm's radius of that item's whole-picture hash of the same algorithm
 * (algorithms never mix: their bits mean different things). Items go whole, never hash by
 * hash: an item's own derived hashes are close to each other by design (its 0.96 and 0.92
 * windows) and none of them is ever dropped; an item without a whole-picture hash is kept.
 * Exact duplicates are within any radius, so they always collapse.
 * Videos are compared with videos only, by their frames: a video every frame of which lies
 * within the radius of a frame of one video kept before it is the same video again (sent
 * twice, or re-encoded), and goes whole; frames of one video never collapse into each other.
 */
export function collapseNearDuplicateItems<H extends CollapsibleHash, I extends { kind?: string; hashes: readonly H[] }>(
  items: readonly I[],
  radiusOf: (algorithm: string) => number,
): CollapseResult<I> {
  /** Per algorithm: the kept items' whole-picture hashes, indexed; `owner[id]` = kept item. */
  const byAlgorithm = new Map<string, { index: ReturnType<typeof createIndex>; radius: number; owner: number[] }>();
  const expectedSize = items.length;
  const kept: I[] = [];
  let collapsed = 0;
  for (const item of items) {
    const video = item.kind === 'video';
    const wholeRole = video ? VIDEO_FRAME : WHOLE_PICTURE;
    // Videos and images are indexed apart: a photo is never "the same" as one frame of a video.
    const keyOf = (algorithm: string) => (video ? `video:${algorithm}` : algorithm);
    const whole = item.hashes.filter((hash) => (hash.role ?? WHOLE_PICTURE) === wholeRole);
    // Kept items that every whole-picture hash of this one is close to (undefined: not looked yet).
    let sameAs: Set<number> | undefined;
    for (const hash of whole) {
      const group = byAlgorithm.get(keyOf(hash.algorithm));
      const near = new Set(group ? group.index.search(hash.bytes, group.radius).map((m) => group.owner[m.id]!) : []);
      sameAs = sameAs ? new Set([...sameAs].filter((k) => near.has(k))) : near;
      if (sameAs.size === 0) break;
    }
    if (sameAs && sameAs.size > 0) {
      collapsed += item.hashes.length;
      continue;
    }
    for (const hash of whole) {
      let group = byAlgorithm.get(keyOf(hash.algorithm));
      if (!group) {
        // The engine's own exact index: linear for a case, sub-linear for an operator's import.
        group = { index: createIndex('mih', { expectedSize }), radius: radiusOf(hash.algorithm), owner: [] };
        byAlgorithm.set(keyOf(hash.algorithm), group);
      }
      group.index.add(group.owner.length, hash.bytes);
      group.owner.push(kept.length);
    }
    kept.push(item);
  }
  return { kept, collapsed };
}
