/**
 * The matcher's contract: exact Hamming range search over 256-bit codes.
 * Knows nothing of HTTP or SQL; ids are the store's numeric hash ids.
 */
export interface Match {
  /** The id given to `add`. */
  id: number;
  /** Hamming distance to the query (0..256). */
  distance: number;
}

export interface HashIndex {
  /** Number of codes currently indexed. */
  readonly size: number;
  /** Adds a 32-byte code under a unique non-negative integer id (< 2^32). Throws if the id is present. */
  add(id: number, code: Uint8Array): void;
  /** Removes an id; returns false if it was not present. */
  remove(id: number): boolean;
  has(id: number): boolean;
  /** Every indexed code within distance <= radius, sorted by distance then id. */
  search(code: Uint8Array, radius: number): Match[];
  /** `search` for each query, in order. */
  searchBatch(codes: readonly Uint8Array[], radius: number): Match[][];
  /** Approximate bytes held by the index (codes, ids and tables). */
  memoryBytes(): number;
}

export function compareMatches(a: Match, b: Match): number {
  return a.distance - b.distance || a.id - b.id;
}

export function checkRadius(radius: number): void {
  if (!Number.isInteger(radius) || radius < 0 || radius > 256) {
    throw new RangeError(`radius must be an integer from 0 to 256, got ${radius}`);
  }
}

export function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new RangeError(`id must be an integer from 0 to 2^32-1, got ${id}`);
  }
}
