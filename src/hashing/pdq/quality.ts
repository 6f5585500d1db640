import { DECIMATED_SIDE } from './decimate.js';

/** Constants tuned by the PDQ authors (see the PDQ hashing document). */
const PERCENT = 100;
const FULL_SCALE = 255;
const GRADIENT_SUM_PER_QUALITY_POINT = 90;
const MAX_QUALITY = 100;

/**
 * One neighbour difference in percent of full scale, truncated toward zero so that only
 * significant gradients count. Multiply then divide, as the reference does, so it rounds
 * identically.
 */
function quantizedGradient(u: number, v: number): number {
  return Math.abs(Math.trunc(((u - v) * PERCENT) / FULL_SCALE));
}

/**
 * PDQ quality (0..100): the sum of quantized vertical and horizontal gradients of the
 * 64 × 64 decimated luma, divided by 90 and capped at 100. Flat images score 0.
 */
export function pdqQuality(decimated: Float64Array): number {
  const n = DECIMATED_SIDE;
  let gradientSum = 0;
  for (let i = 0; i < n - 1; i++) {
    for (let j = 0; j < n; j++) gradientSum += quantizedGradient(decimated[i * n + j]!, decimated[(i + 1) * n + j]!);
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n - 1; j++) gradientSum += quantizedGradient(decimated[i * n + j]!, decimated[i * n + j + 1]!);
  }
  return Math.min(MAX_QUALITY, Math.floor(gradientSum / GRADIENT_SUM_PER_QUALITY_POINT));
}
