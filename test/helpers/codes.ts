import { seededRandom } from './random.js';

/** A random 32-byte code (about half its bits set, as real PDQ and blockhash values). */
export function randomCode(next: () => number): Uint8Array {
  return Uint8Array.from({ length: 32 }, () => Math.floor(next() * 256));
}

/** `code` with exactly `distance` distinct bits flipped. */
export function flipBits(code: Uint8Array, distance: number, next: () => number): Uint8Array {
  const out = Uint8Array.from(code);
  const bits = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0; i < distance; i++) {
    const k = i + Math.floor(next() * (256 - i));
    [bits[i], bits[k]] = [bits[k]!, bits[i]!];
    out[bits[i]! >> 3]! ^= 0x80 >> (bits[i]! & 7);
  }
  return out;
}

/** `n` random hash values as 64 hex digits, the same for the same seed. */
export function hexHashValues(seed: number, n: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: n }, () => Buffer.from(randomCode(next)).toString('hex'));
}
