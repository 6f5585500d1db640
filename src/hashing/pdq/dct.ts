import { correctlyRoundedCos } from './cosine.js';
import { DECIMATED_SIDE } from './decimate.js';

/** PDQ keeps the 16 × 16 lowest non-DC frequencies of the 64-point DCT. */
export const DCT_SIDE = 16;

const N = DECIMATED_SIDE;
const K = DCT_SIDE;

let matrix: Float64Array | undefined;

/**
 * Rows 1..16 of the 64-point DCT-II basis, unscaled as in the reference (a common scale
 * would not change any comparison but would change the rounding). Built once, lazily.
 */
export function dctMatrix(): Float64Array {
  if (!matrix) {
    const m = new Float64Array(K * N);
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < N; j++) m[i * N + j] = correctlyRoundedCos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1));
    }
    matrix = m;
  }
  return matrix;
}

/**
 * out (16 × 16) = D · input (64 × 64) · Dᵀ, via `temp` (16 × 64) = D · input.
 * Each output sums its 64 products in increasing k from 0.0, the reference's order; the
 * loops are arranged for memory order without changing any element's summation order.
 */
export function dct64To16(input: Float64Array, temp: Float64Array, out: Float64Array): void {
  const d = dctMatrix();
  temp.fill(0, 0, K * N);
  for (let i = 0; i < K; i++) {
    const t = i * N;
    for (let k = 0; k < N; k++) {
      const dik = d[i * N + k]!;
      const a = k * N;
      for (let j = 0; j < N; j++) temp[t + j]! += dik * input[a + j]!;
    }
  }
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      let sum = 0;
      for (let k = 0; k < N; k++) sum += temp[i * N + k]! * d[j * N + k]!;
      out[i * K + j] = sum;
    }
  }
}
