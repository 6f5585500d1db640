import { HASH_BYTES } from '../types.js';
import { DCT_SIDE } from './dct.js';
import { torbenMedian } from './median.js';

/**
 * The 256-bit hash of 16 × 16 DCT coefficients: bit k = 16·i + j is set when coefficient
 * (i, j) exceeds their median. The reference stores bit k in bit (k mod 16) of 16-bit
 * word ⌊k/16⌋ and prints the words from last to first, so row i lands in bytes
 * 2·(15 − i) (columns 8..15) and 2·(15 − i) + 1 (columns 0..7) of the hex string.
 */
export function coefficientsToHash(coefficients: Float64Array): Uint8Array {
  const median = torbenMedian(coefficients, DCT_SIDE * DCT_SIDE);
  const bytes = new Uint8Array(HASH_BYTES);
  for (let i = 0; i < DCT_SIDE; i++) {
    const highByte = 2 * (DCT_SIDE - 1 - i);
    for (let j = 0; j < DCT_SIDE; j++) {
      if (coefficients[i * DCT_SIDE + j]! > median) bytes[j < 8 ? highByte + 1 : highByte]! |= 1 << (j & 7);
    }
  }
  return bytes;
}
