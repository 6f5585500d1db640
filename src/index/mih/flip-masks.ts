/**
 * Every `bits`-bit mask with at most `maxWeight` bits set, lightest first, with its weight.
 * Probing bucket key ^ mask for each mask visits every bucket within `maxWeight` of key.
 * Precomputed once per (bits, weight) so the query loop allocates nothing.
 */
export interface FlipMasks {
  readonly masks: Uint32Array;
  readonly weights: Uint8Array;
}

const cache = new Map<number, FlipMasks>();

/** Number of masks of `bits` bits with weight ≤ maxWeight (the Hamming ball volume). */
export function ballVolume(bits: number, maxWeight: number): number {
  let total = 0;
  let binomial = 1;
  for (let w = 0; w <= Math.min(maxWeight, bits); w++) {
    total += binomial;
    binomial = (binomial * (bits - w)) / (w + 1);
  }
  return Math.round(total);
}

export function flipMasks(bits: number, maxWeight: number): FlipMasks {
  const key = bits * 64 + maxWeight;
  let found = cache.get(key);
  if (!found) {
    found = enumerate(bits, maxWeight);
    cache.set(key, found);
  }
  return found;
}

function enumerate(bits: number, maxWeight: number): FlipMasks {
  const size = ballVolume(bits, maxWeight);
  const masks = new Uint32Array(size);
  const weights = new Uint8Array(size);
  let n = 0;
  // Weight by weight, choose positions p[0] < p[1] < … < p[w-1] in lexicographic order.
  const positions = new Int32Array(Math.max(maxWeight, 1));
  for (let w = 0; w <= Math.min(maxWeight, bits); w++) {
    for (let i = 0; i < w; i++) positions[i] = i;
    for (;;) {
      let mask = 0;
      for (let i = 0; i < w; i++) mask |= 1 << positions[i]!;
      masks[n] = mask >>> 0;
      weights[n] = w;
      n++;
      // Advance to the next combination: bump the rightmost position that can move.
      let i = w - 1;
      while (i >= 0 && positions[i] === bits - w + i) i--;
      if (i < 0) break;
      positions[i] = positions[i]! + 1;
      for (let k = i + 1; k < w; k++) positions[k] = positions[k - 1]! + 1;
    }
  }
  return { masks, weights };
}
