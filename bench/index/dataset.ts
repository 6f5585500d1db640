/**
 * Seeded benchmark data: packed 256-bit codes (8 uint32 words each) and planted queries.
 * - uniform: every bit independent and fair (the worst case for bucket balance is none,
 *   the worst case for candidate filtering: nothing but the planted code is near).
 * - clustered: codes around 4,096 random centres, each bit flipped with probability 1/8
 *   (≈32 bits from the centre, ≈56 between cluster mates), so substring buckets are skewed
 *   the way real image hashes are.
 */
import { readCode } from '../../src/hashing/hamming.js';

export type DatasetKind = 'uniform' | 'clustered';

export const CLUSTER_CENTRES = 4096;

/** sfc32: fast, seedable, 32-bit output. */
export function prng(seed: number): () => number {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

export interface Dataset {
  kind: DatasetKind;
  ids: Uint32Array;
  words: Uint32Array;
}

export function generate(kind: DatasetKind, n: number, seed: number): Dataset {
  const random = prng(seed);
  const words = new Uint32Array(n * 8);
  const ids = new Uint32Array(n);
  // Ids are spread out like store ids after deletions, not 0..n-1.
  for (let i = 0; i < n; i++) ids[i] = i * 3 + 1;
  if (kind === 'uniform') {
    for (let i = 0; i < words.length; i++) words[i] = random();
    return { kind, ids, words };
  }
  const centres = new Uint32Array(CLUSTER_CENTRES * 8);
  for (let i = 0; i < centres.length; i++) centres[i] = random();
  for (let i = 0; i < n; i++) {
    const c = (random() % CLUSTER_CENTRES) * 8;
    for (let k = 0; k < 8; k++) words[i * 8 + k] = (centres[c + k]! ^ (random() & random() & random())) >>> 0;
  }
  return { kind, ids, words };
}

export interface PlantedQuery {
  code: Uint8Array;
  /** The stored id the query was made from, and its exact distance to it. */
  sourceId: number;
  distance: number;
}

/** Queries made by flipping exactly k random bits (k uniform in 0..radius) of stored codes. */
export function plantQueries(data: Dataset, count: number, radius: number, seed: number): PlantedQuery[] {
  const random = prng(seed);
  const n = data.ids.length;
  const queries: PlantedQuery[] = [];
  for (let q = 0; q < count; q++) {
    const slot = random() % n;
    const code = codeAt(data, slot);
    const distance = random() % (radius + 1);
    const flipped = new Set<number>();
    while (flipped.size < distance) flipped.add(random() % 256);
    for (const bit of flipped) code[bit >> 3]! ^= 0x80 >> (bit & 7);
    queries.push({ code, sourceId: data.ids[slot]!, distance });
  }
  return queries;
}

/** Code `slot` of a dataset as bytes (for one-by-one adds). */
export function codeAt(data: Dataset, slot: number): Uint8Array {
  return readCode(data.words, slot);
}
