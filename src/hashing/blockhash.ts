import { bmvbhash } from 'blockhash-core';
import type { HashAlgorithm, Pixels } from './types.js';

/** Blocks per side: 16 x 16 = 256 bits. */
const BLOCKS_PER_SIDE = 16;

/** blockhash-core reads RGBA; RGB input is widened with an opaque alpha channel. */
function asRgba(pixels: Pixels): Pixels {
  if (pixels.channels === 4) return pixels;
  const n = pixels.width * pixels.height;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    rgba[4 * i] = pixels.data[j]!;
    rgba[4 * i + 1] = pixels.data[j + 1]!;
    rgba[4 * i + 2] = pixels.data[j + 2]!;
    rgba[4 * i + 3] = 255;
  }
  return { width: pixels.width, height: pixels.height, channels: 4, data: rgba };
}

/**
 * Blockhash method 2 ("precise", bmvbhash) at 16x16 blocks, as blockhash-js computes it.
 * Fully transparent pixels count as white, as in the reference.
 */
export const blockhash: HashAlgorithm = {
  name: 'blockhash',
  bits: 256,
  // From `rempart eval` (bench/results/eval.md): different photos in the same frame
  // (screenshots, padding) can hash identically, so FPR 0 is out of reach; 7 is the
  // threshold at impostor FPR <= 1e-4 (9) less a 25% margin.
  defaultThreshold: 7,
  hasQuality: false,
  hasDihedral: false,
  description: 'Blockhash method 2 (bmvbhash), 16x16 blocks, 256 bits',
  hash(pixels) {
    const rgba = asRgba(pixels);
    return { algorithm: 'blockhash', value: bmvbhash(rgba, BLOCKS_PER_SIDE) };
  },
};
