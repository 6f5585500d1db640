import { popcount32 } from '../hashing/index.js';

/** Bits set in a code. */
export function popcount(code: Uint8Array): number {
  let bits = 0;
  for (const byte of code) bits += popcount32(byte);
  return bits;
}
