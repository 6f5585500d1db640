/** Hamming distance on 256-bit codes, in the two layouts the engine uses. */

/** Population count of a 32-bit integer (SWAR; no lookup table, no allocation). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Distance between two byte codes of equal length. */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`codes differ in length (${a.length} and ${b.length} bytes)`);
  let d = 0;
  let i = 0;
  for (; i + 4 <= a.length; i += 4) {
    d += popcount32(
      ((a[i]! ^ b[i]!) << 24) | ((a[i + 1]! ^ b[i + 1]!) << 16) | ((a[i + 2]! ^ b[i + 2]!) << 8) | (a[i + 3]! ^ b[i + 3]!),
    );
  }
  for (; i < a.length; i++) d += popcount32(a[i]! ^ b[i]!);
  return d;
}

/** Number of 32-bit words in a 256-bit code. */
export const WORDS_PER_CODE = 8;

/**
 * Reads a 32-byte code as 8 big-endian 32-bit words into `out` at `offset`
 * (the layout of the in-memory index: word k holds hex characters 8k..8k+7).
 */
export function writeWords(code: Uint8Array, out: Uint32Array, offset = 0): void {
  for (let k = 0; k < WORDS_PER_CODE; k++) {
    const i = 4 * k;
    out[offset + k] = ((code[i]! << 24) | (code[i + 1]! << 16) | (code[i + 2]! << 8) | code[i + 3]!) >>> 0;
  }
}

/** The inverse of writeWords: code `index` of `words` (8 words per code) as 32 bytes. */
export function readCode(words: Uint32Array, index: number, out: Uint8Array = new Uint8Array(4 * WORDS_PER_CODE)): Uint8Array {
  for (let k = 0; k < WORDS_PER_CODE; k++) {
    const w = words[index * WORDS_PER_CODE + k]!;
    out[4 * k] = w >>> 24;
    out[4 * k + 1] = (w >>> 16) & 255;
    out[4 * k + 2] = (w >>> 8) & 255;
    out[4 * k + 3] = w & 255;
  }
  return out;
}

export function toWords(code: Uint8Array): Uint32Array {
  const out = new Uint32Array(WORDS_PER_CODE);
  writeWords(code, out);
  return out;
}

/** Distance between code `i` of `a` and code `j` of `b` (8 words per code): two packed sets compared in place. */
export function codeDistance(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  const x = i * WORDS_PER_CODE;
  const y = j * WORDS_PER_CODE;
  let d = 0;
  for (let k = 0; k < WORDS_PER_CODE; k++) d += popcount32(a[x + k]! ^ b[y + k]!);
  return d;
}

/** Distance between code `i` of `words` (8 words per code) and the query words. */
export function hammingWords(words: Uint32Array, i: number, q: Uint32Array): number {
  const o = i * WORDS_PER_CODE;
  return (
    popcount32(words[o]! ^ q[0]!) +
    popcount32(words[o + 1]! ^ q[1]!) +
    popcount32(words[o + 2]! ^ q[2]!) +
    popcount32(words[o + 3]! ^ q[3]!) +
    popcount32(words[o + 4]! ^ q[4]!) +
    popcount32(words[o + 5]! ^ q[5]!) +
    popcount32(words[o + 6]! ^ q[6]!) +
    popcount32(words[o + 7]! ^ q[7]!)
  );
}

/**
 * Appends to `hits` and `distances` each code i in [0, count) of `words` within `radius` of
 * the query words, in order: the scan of both indexes. It repeats hammingWords' sum with the
 * query held in locals, on purpose: measured with bench/index-compare.bench.ts (100k codes,
 * CPU time), a scan calling hammingWords per code ran at 0.77x, one calling a shared
 * 10-argument helper at 0.70x, and one reporting hits through a callback at 0.81x.
 */
export function scanWords(words: Uint32Array, count: number, q: Uint32Array, radius: number, hits: number[], distances: number[]): void {
  const q0 = q[0]!, q1 = q[1]!, q2 = q[2]!, q3 = q[3]!, q4 = q[4]!, q5 = q[5]!, q6 = q[6]!, q7 = q[7]!;
  for (let i = 0, o = 0; i < count; i++, o += WORDS_PER_CODE) {
    const d =
      popcount32(words[o]! ^ q0) +
      popcount32(words[o + 1]! ^ q1) +
      popcount32(words[o + 2]! ^ q2) +
      popcount32(words[o + 3]! ^ q3) +
      popcount32(words[o + 4]! ^ q4) +
      popcount32(words[o + 5]! ^ q5) +
      popcount32(words[o + 6]! ^ q6) +
      popcount32(words[o + 7]! ^ q7);
    if (d <= radius) {
      hits.push(i);
      distances.push(d);
    }
  }
}
