/**
 * Genuine and impostor distance histograms from packed codes. Codes are held as
 * 32-bit words in one typed array and compared with popcount: the impostor side is
 * every cross-image pair, millions of them, which hex strings could not afford.
 */
import { popcount32 } from '../hashing/hamming.js';
import { emptyHistogram, type Histogram } from './metrics.js';

/** Hex (most significant nibble first) to big-endian 32-bit words, as the index stores codes. */
export function hexToWords(hex: string, out: Uint32Array, offset: number): void {
  if (hex.length % 8 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new RangeError(`hash "${hex}" is not a whole number of 32-bit hex words`);
  for (let k = 0; k < hex.length / 8; k++) out[offset + k] = parseInt(hex.slice(8 * k, 8 * k + 8), 16) >>> 0;
}

/** All hashes of one algorithm over the run: one entry per (image, variant) that hashed. */
export interface CodeSet {
  readonly bits: number;
  readonly wordsPerCode: number;
  /** Hashes per entry: 1, or 8 for dihedral matching (index 0 is the image's own hash). */
  readonly perEntry: number;
  readonly count: number;
  /** count × perEntry × wordsPerCode words. */
  readonly words: Uint32Array;
  /** Which original each entry comes from. */
  readonly source: Int32Array;
  /** 0 for the original, 1 + transformation index for a variant. */
  readonly variant: Int32Array;
}

export interface CodeEntry {
  source: number;
  variant: number;
  /** Hex codes: the image's own hash first, then (dihedral) the 7 others. */
  hashes: readonly string[];
}

export function packCodes(bits: number, perEntry: number, entries: readonly CodeEntry[]): CodeSet {
  if (bits % 32 !== 0) throw new RangeError(`bits must be a multiple of 32, got ${bits}`);
  const wordsPerCode = bits / 32;
  const words = new Uint32Array(entries.length * perEntry * wordsPerCode);
  const source = new Int32Array(entries.length);
  const variant = new Int32Array(entries.length);
  entries.forEach((entry, i) => {
    if (entry.hashes.length < perEntry) throw new RangeError(`entry ${i} has ${entry.hashes.length} hashes, needs ${perEntry}`);
    for (let k = 0; k < perEntry; k++) {
      const hex = entry.hashes[k]!;
      if (hex.length * 4 !== bits) throw new RangeError(`hash of ${hex.length * 4} bits in a ${bits}-bit set`);
      hexToWords(hex, words, (i * perEntry + k) * wordsPerCode);
    }
    source[i] = entry.source;
    variant[i] = entry.variant;
  });
  return { bits, wordsPerCode, perEntry, count: entries.length, words, source, variant };
}

/** Distance between hash `k` of entry a and the own hash (index 0) of entry b. */
function distance(set: CodeSet, a: number, k: number, b: number): number {
  const w = set.wordsPerCode;
  const oa = (a * set.perEntry + k) * w;
  const ob = b * set.perEntry * w;
  let d = 0;
  for (let j = 0; j < w; j++) d += popcount32(set.words[oa + j]! ^ set.words[ob + j]!);
  return d;
}

/**
 * Match distance of entry b against registered entry a: with dihedral matching, the
 * smallest distance over a's 8 hashes, so impostors get the same 8 chances genuines do.
 */
export function matchDistance(set: CodeSet, a: number, b: number): number {
  let best = distance(set, a, 0, b);
  for (let k = 1; k < set.perEntry && best > 0; k++) best = Math.min(best, distance(set, a, k, b));
  return best;
}

export interface GenuineResult {
  /** Per transformation index (variant − 1). */
  byTransformation: Histogram[];
  overall: Histogram;
}

/** Each variant against its own original (the original is the registered side). */
export function genuineHistograms(set: CodeSet, transformations: number): GenuineResult {
  const byTransformation = Array.from({ length: transformations }, () => emptyHistogram(set.bits));
  const overall = emptyHistogram(set.bits);
  const originalOf = new Map<number, number>();
  for (let i = 0; i < set.count; i++) if (set.variant[i] === 0) originalOf.set(set.source[i]!, i);
  for (let i = 0; i < set.count; i++) {
    const v = set.variant[i]!;
    if (v === 0) continue;
    const original = originalOf.get(set.source[i]!);
    if (original === undefined) continue;
    const d = matchDistance(set, original, i);
    byTransformation[v - 1]![d]!++;
    overall[d]!++;
  }
  return { byTransformation, overall };
}

export interface ImpostorResult {
  /** Every pair of entries from different originals (originals and variants alike). */
  all: Histogram;
  /** Only original-vs-original pairs: a registry of victims' images against innocent uploads. */
  originals: Histogram;
  /** The closest impostor pair, to let an operator check for near-duplicate photos. */
  closest: { a: number; b: number; distance: number } | undefined;
}

/** Every unordered pair of entries whose originals differ; O(count²), a few seconds for 5,000 entries. */
export function impostorHistograms(set: CodeSet): ImpostorResult {
  const all = emptyHistogram(set.bits);
  const originals = emptyHistogram(set.bits);
  let closest: ImpostorResult['closest'];
  for (let a = 0; a < set.count; a++) {
    const sourceA = set.source[a]!;
    const aIsOriginal = set.variant[a] === 0;
    for (let b = a + 1; b < set.count; b++) {
      if (set.source[b] === sourceA) continue;
      const d = matchDistance(set, a, b);
      all[d]!++;
      if (aIsOriginal && set.variant[b] === 0) originals[d]!++;
      if (!closest || d < closest.distance) closest = { a, b, distance: d };
    }
  }
  return { all, originals, closest };
}
