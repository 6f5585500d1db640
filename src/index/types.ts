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
  /**
   * Every indexed code within distance <= radius, sorted by distance then id; only the first
   * `limit` of them when given (the closest: a clustered index must not make one query
   * allocate and sort thousands of matches).
   */
  search(code: Uint8Array, radius: number, limit?: number): Match[];
  /** `search` for each query, in order. */
  searchBatch(codes: readonly Uint8Array[], radius: number, limit?: number): Match[][];
  /** Approximate bytes held by the index (codes, ids and tables). */
  memoryBytes(): number;
}

export function compareMatches(a: Match, b: Match): number {
  return a.distance - b.distance || a.id - b.id;
}

/**
 * The `limit` closest of `n` hits given by index, sorted by distance then id. Distances are
 * small integers, so a count per distance finds the cut-off in one pass; only the hits up to
 * it become objects and get sorted.
 */
export function closestMatches(
  n: number,
  idOf: (i: number) => number,
  distanceOf: (i: number) => number,
  limit: number = Infinity,
): Match[] {
  let cutoff = Infinity;
  if (n > limit) {
    const counts = new Uint32Array(257);
    for (let i = 0; i < n; i++) counts[distanceOf(i)]!++;
    let seen = 0;
    for (cutoff = 0; cutoff < 256 && seen + counts[cutoff]! < limit; cutoff++) seen += counts[cutoff]!;
  }
  const out: Match[] = [];
  for (let i = 0; i < n; i++) {
    const distance = distanceOf(i);
    if (distance <= cutoff) out.push({ id: idOf(i), distance });
  }
  if (out.length > 1) out.sort(compareMatches);
  if (out.length > limit) out.length = limit;
  return out;
}

export function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
    throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  }
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
