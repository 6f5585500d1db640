/**
 * Stable LSD radix sort of (key, value) pairs by key, for building the static tier.
 * Random writes into large arrays are slow here (a TLB miss per page on a VM without huge
 * pages): a radix pass streams into at most 2^11 sequential outputs instead, so building
 * the CSR tables costs a few sequential passes instead of one random access per entry.
 */
const MAX_DIGIT_BITS = 11;

export interface SortedPairs {
  keys: Uint32Array;
  values: Uint32Array;
}

/**
 * Sorts the first n pairs of (keys, values) by key (keys < 2^bits). Uses the scratch arrays
 * (each ≥ n long); the result is in either the inputs or the scratch arrays, as returned.
 */
export function radixSortPairs(
  keys: Uint32Array,
  values: Uint32Array,
  n: number,
  bits: number,
  scratchKeys: Uint32Array,
  scratchValues: Uint32Array,
): SortedPairs {
  const passes = Math.max(1, Math.ceil(bits / MAX_DIGIT_BITS));
  const digitBits = Math.ceil(bits / passes);
  const radix = 1 << digitBits;
  const mask = radix - 1;
  const counts = new Uint32Array(radix);
  let inKeys = keys, inValues = values, outKeys = scratchKeys, outValues = scratchValues;
  for (let pass = 0, shift = 0; pass < passes; pass++, shift += digitBits) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(inKeys[i]! >>> shift) & mask]!++;
    let sum = 0;
    for (let d = 0; d < radix; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = inKeys[i]!;
      const at = counts[(key >>> shift) & mask]!++;
      outKeys[at] = key;
      outValues[at] = inValues[i]!;
    }
    [inKeys, outKeys] = [outKeys, inKeys];
    [inValues, outValues] = [outValues, inValues];
  }
  return { keys: inKeys, values: inValues };
}

/** CSR offsets (buckets + 1 values) from n keys sorted ascending: one sequential pass. */
export function offsetsFromSorted(sorted: Uint32Array, n: number, off: Uint32Array, buckets: number): void {
  let b = 0;
  for (let i = 0; i < n; i++) {
    const key = sorted[i]!;
    while (b <= key) off[b++] = i;
  }
  while (b <= buckets) off[b++] = n;
}
