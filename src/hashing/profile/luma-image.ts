/**
 * Grey-level images and exact area sampling for the derived regions of a matching
 * profile. Pure code over typed arrays (no Node APIs): the victim's page runs it too.
 */
import type { Pixels } from '../types.js';
import { DECIMATED_SIDE } from '../pdq/decimate.js';

/** Luma (0..255, PDQ's weights) of an image, row-major. */
export interface LumaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** An axis-aligned rectangle in pixel coordinates: [x0, x1) × [y0, y1), fractional allowed. */
export interface Box {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export function lumaOf(pixels: Pixels): LumaImage {
  const { width, height, channels, data } = pixels;
  const out = new Float32Array(width * height);
  for (let i = 0, p = 0; i < out.length; i++, p += channels) out[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
  return { width, height, data: out };
}

export const boxWidth = (b: Box): number => b.x1 - b.x0;
export const boxHeight = (b: Box): number => b.y1 - b.y0;

/** A box in fractions of the image's width and height (what a registered region records). */
export function relativeBox(box: Box, width: number, height: number): Box {
  return { x0: box.x0 / width, y0: box.y0 / height, x1: box.x1 / width, y1: box.y1 / height };
}

/**
 * Summed-area table of a luma image: the mean over any box, fractional edges included,
 * in four lookups. Pixels are constant squares, so the integral is bilinear between
 * table entries and interpolating it is exact.
 */
export class AreaSampler {
  private readonly sums: Float64Array;
  private readonly stride: number;

  constructor(readonly image: LumaImage) {
    const { width, height, data } = image;
    this.stride = width + 1;
    const sums = new Float64Array((width + 1) * (height + 1));
    for (let y = 0; y < height; y++) {
      let row = 0;
      const o = (y + 1) * this.stride;
      const p = y * this.stride;
      for (let x = 0; x < width; x++) {
        row += data[y * width + x]!;
        sums[o + x + 1] = sums[p + x + 1]! + row;
      }
    }
    this.sums = sums;
  }

  /** Integral of the image over [0, x) × [0, y), for 0 ≤ x ≤ width, 0 ≤ y ≤ height. */
  private integral(x: number, y: number): number {
    const { width, height } = this.image;
    const cx = x <= 0 ? 0 : x >= width ? width : x;
    const cy = y <= 0 ? 0 : y >= height ? height : y;
    const ix = Math.min(width - 1, Math.floor(cx));
    const iy = Math.min(height - 1, Math.floor(cy));
    const fx = cx - ix;
    const fy = cy - iy;
    const s = this.sums;
    const r0 = iy * this.stride;
    const r1 = r0 + this.stride;
    const top = s[r0 + ix]! + fx * (s[r0 + ix + 1]! - s[r0 + ix]!);
    const bottom = s[r1 + ix]! + fx * (s[r1 + ix + 1]! - s[r1 + ix]!);
    return top + fy * (bottom - top);
  }

  /** Mean luma over a box (clipped to the image). */
  mean(x0: number, y0: number, x1: number, y1: number): number {
    const area = (x1 - x0) * (y1 - y0);
    if (area <= 0) return 0;
    return (this.integral(x1, y1) - this.integral(x0, y1) - this.integral(x1, y0) + this.integral(x0, y0)) / area;
  }

  /**
   * The box as PDQ's 64 × 64 grid of cell means (row-major), into `out`: what PDQ's tent
   * filter and decimation approximate on a whole image, exact here for any box.
   */
  sampleBox(box: Box, out: Float64Array = new Float64Array(DECIMATED_SIDE * DECIMATED_SIDE)): Float64Array {
    const n = DECIMATED_SIDE;
    const cw = (box.x1 - box.x0) / n;
    const ch = (box.y1 - box.y0) / n;
    for (let i = 0; i < n; i++) {
      const y0 = box.y0 + i * ch;
      for (let j = 0; j < n; j++) {
        const x0 = box.x0 + j * cw;
        out[i * n + j] = this.mean(x0, y0, x0 + cw, y0 + ch);
      }
    }
    return out;
  }
}

/**
 * A rectangle turned by `angle` radians about its centre (image coordinates, y down: a
 * positive angle turns clockwise as displayed), sampled as 64 × 64 cell means by supersampling: for windows of a tilted
 * picture. `supersample` points per cell side, bilinear between pixels.
 */
export function sampleRotated(
  image: LumaImage,
  centre: { x: number; y: number },
  halfWidth: number,
  halfHeight: number,
  angle: number,
  out: Float64Array = new Float64Array(DECIMATED_SIDE * DECIMATED_SIDE),
): Float64Array {
  const n = DECIMATED_SIDE;
  const cellSide = Math.max((2 * halfWidth) / n, (2 * halfHeight) / n);
  const s = Math.max(1, Math.min(8, Math.ceil(cellSide)));
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const { width, height, data } = image;
  const at = (x: number, y: number): number => {
    const cx = x < 0 ? 0 : x > width - 1 ? width - 1 : x;
    const cy = y < 0 ? 0 : y > height - 1 ? height - 1 : y;
    const ix = Math.min(width - 2, Math.floor(cx));
    const iy = Math.min(height - 2, Math.floor(cy));
    const fx = cx - ix;
    const fy = cy - iy;
    const o = iy * width + ix;
    const top = data[o]! + fx * (data[o + 1]! - data[o]!);
    const bottom = data[o + width]! + fx * (data[o + width + 1]! - data[o + width]!);
    return top + fy * (bottom - top);
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let a = 0; a < s; a++) {
        // Position inside the window, −1..1 on each axis, at the centre of a sub-cell.
        const v = ((i + (a + 0.5) / s) / n) * 2 - 1;
        for (let b = 0; b < s; b++) {
          const u = ((j + (b + 0.5) / s) / n) * 2 - 1;
          const dx = u * halfWidth;
          const dy = v * halfHeight;
          sum += at(centre.x - 0.5 + dx * cos - dy * sin, centre.y - 0.5 + dx * sin + dy * cos);
        }
      }
      out[i * n + j] = sum / (s * s);
    }
  }
  return out;
}

/** Shrinks a luma image by area averaging so its longer side is at most `maxSide`. */
export function shrinkLuma(image: LumaImage, maxSide: number): LumaImage {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  if (scale === 1) return image;
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const sampler = new AreaSampler(image);
  const data = new Float32Array(width * height);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data[y * width + x] = sampler.mean(x * sx, y * sy, (x + 1) * sx, (y + 1) * sy);
  }
  return { width, height, data };
}
