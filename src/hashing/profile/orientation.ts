/**
 * The picture's own orientation, read from its content: the dominant direction of its
 * edges, modulo a quarter turn. Turning a picture by α turns every edge by α, so this
 * angle moves by exactly α too, whatever the frame does: a tilt with filled corners, a
 * tilt cut back to its inner rectangle, or no tilt at all. Regions boxed in the frame
 * turned by this angle ("upright" regions) therefore hold the same content on a
 * registered picture and on a tilted copy of it, without knowing the tilt.
 *
 * Each gradient votes for four times its direction (so horizontal and vertical edges,
 * and both signs of an edge, vote alike), weighted by its strength and by a Gaussian
 * window about the centre. Only a centred disc is read: the corners a tilt fills or cuts
 * off lie outside it, and a turn about the centre keeps the disc's content. The length
 * of the mean vote (coherence, 0..1) says how much the picture has a direction at all:
 * grass or gravel has none, and their angle is noise.
 */
import { shrinkLuma, type LumaImage } from './luma-image.js';

export interface Orientation {
  /** Radians in (−π/4, π/4], image coordinates (y down): the same sense as a tilt's angle. */
  readonly angle: number;
  /** 0..1: length of the mean vote. */
  readonly coherence: number;
}

export interface OrientationRules {
  /** Longest side the gradients are read at. */
  readonly side: number;
  /** Gaussian smoothing before the gradients, in pixels at `side` (pixel-grid bias on fine texture). */
  readonly smoothing: number;
  /** Standard deviation of the centre weight, as a share of the shorter side. */
  readonly window: number;
  /** Radius of the disc read, as a share of the shorter side. */
  readonly disc: number;
}

export const DEFAULT_ORIENTATION_RULES: OrientationRules = { side: 512, smoothing: 2, window: 0.25, disc: 0.45 };

/** Separable Gaussian blur (edges clamped). */
function gaussian(image: LumaImage, sigma: number): Float32Array {
  const { width: w, height: h, data } = image;
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) total += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= total;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let i = -radius; i <= radius; i++) {
        const xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
        sum += kernel[i + radius]! * data[row + xx]!;
      }
      tmp[row + x] = sum;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let i = -radius; i <= radius; i++) {
        const yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
        sum += kernel[i + radius]! * tmp[yy * w + x]!;
      }
      out[y * w + x] = sum;
    }
  }
  return out;
}

export function dominantOrientation(image: LumaImage, rules: OrientationRules = DEFAULT_ORIENTATION_RULES): Orientation {
  const small = shrinkLuma(image, rules.side);
  const { width: w, height: h } = small;
  const data = gaussian(small, rules.smoothing);
  const cx = w / 2;
  const cy = h / 2;
  const short = Math.min(w, h);
  const disc2 = (rules.disc * short) ** 2;
  const spread2 = 2 * (rules.window * short) ** 2;
  let re = 0;
  let im = 0;
  let total = 0;
  for (let y = 1; y < h - 1; y++) {
    const dy2 = (y + 0.5 - cy) ** 2;
    for (let x = 1; x < w - 1; x++) {
      const r2 = (x + 0.5 - cx) ** 2 + dy2;
      if (r2 > disc2) continue;
      const i = y * w + x;
      const gx = data[i + 1]! - data[i - 1]!;
      const gy = data[i + w]! - data[i - w]!;
      const m2 = gx * gx + gy * gy;
      if (m2 < 1e-6) continue;
      // (gx + i·gy)^4 / |g|^3: the vote at four times the direction, weighted by |g|.
      const c2 = (gx * gx - gy * gy) / m2;
      const s2 = (2 * gx * gy) / m2;
      const weight = Math.exp(-r2 / spread2) * Math.sqrt(m2);
      re += weight * (c2 * c2 - s2 * s2);
      im += weight * (2 * c2 * s2);
      total += weight;
    }
  }
  if (total === 0) return { angle: 0, coherence: 0 };
  return { angle: Math.atan2(im, re) / 4, coherence: Math.hypot(re, im) / total };
}
