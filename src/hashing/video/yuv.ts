/**
 * A decoded YCbCr 4:2:0 picture (I420 or NV12, as WebCodecs' software decoders give them)
 * turned into a probe frame: each plane averaged over exact areas down to the probe size,
 * then converted to RGB with the BT.709 matrix, as the server's ffmpeg does it
 * (`scale=…:flags=area:in_color_matrix=bt709,format=rgb24` scales the planes, then
 * converts). Pure code over typed arrays: the victim's page runs it on each probe frame
 * instead of drawing the full-size picture on a canvas (which costs more than decoding).
 */

export interface YuvPicture {
  /** Visible size of the luma plane. */
  width: number;
  height: number;
  /** 'I420': three planes; 'NV12': luma, then one plane of interleaved Cb, Cr. */
  layout: 'I420' | 'NV12';
  data: Uint8Array;
  /** Offset and stride of each plane in `data` (2 planes for NV12, 3 for I420). */
  planes: readonly { offset: number; stride: number }[];
  /** Full-range samples (0–255) rather than studio range (16–235 luma, 16–240 chroma). */
  fullRange: boolean;
}

/**
 * For each of `to` output cells along an axis of `from` samples, the source samples it
 * covers and their weights (exact areas: a cell spans from/to samples, edges fractional).
 */
function areaWeights(from: number, to: number): { start: Int32Array; count: Int32Array; weights: Float32Array; width: number } {
  const scale = from / to;
  const width = Math.ceil(scale) + 1;
  const start = new Int32Array(to);
  const count = new Int32Array(to);
  const weights = new Float32Array(to * width);
  for (let j = 0; j < to; j++) {
    const a = j * scale;
    const b = Math.min(from, (j + 1) * scale);
    const first = Math.floor(a);
    start[j] = first;
    let n = 0;
    for (let i = first; i < b && n < width; i++, n++) weights[j * width + n] = (Math.min(b, i + 1) - Math.max(a, i)) / (b - a);
    count[j] = n;
  }
  return { start, count, weights, width };
}

/**
 * One plane (samples `step` apart within a row: 1, or 2 for NV12's interleaved chroma)
 * averaged down to `outWidth` × `outHeight`, separably: rows first, then columns.
 */
function shrinkPlane(
  data: Uint8Array,
  offset: number,
  stride: number,
  step: number,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const h = areaWeights(width, outWidth);
  const v = areaWeights(height, outHeight);
  const rows = new Float32Array(height * outWidth);
  for (let y = 0; y < height; y++) {
    const row = offset + y * stride;
    for (let j = 0; j < outWidth; j++) {
      let sum = 0;
      const s = h.start[j]!;
      const base = j * h.width;
      for (let k = 0; k < h.count[j]!; k++) sum += h.weights[base + k]! * data[row + (s + k) * step]!;
      rows[y * outWidth + j] = sum;
    }
  }
  const out = new Float32Array(outWidth * outHeight);
  for (let i = 0; i < outHeight; i++) {
    const s = v.start[i]!;
    const base = i * v.width;
    for (let j = 0; j < outWidth; j++) {
      let sum = 0;
      for (let k = 0; k < v.count[i]!; k++) sum += v.weights[base + k]! * rows[(s + k) * outWidth + j]!;
      out[i * outWidth + j] = sum;
    }
  }
  rows.fill(0);
  return out;
}

const clamp = (x: number): number => (x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x));

/**
 * The probe frame of a picture: RGBA, `outWidth` × `outHeight` after a clockwise turn of
 * `rotation` degrees (the track's display rotation; a quarter turn swaps the sides, so the
 * planes are shrunk to the swapped size first).
 */
export function probeFrameFromYuv(picture: YuvPicture, outWidth: number, outHeight: number, rotation: 0 | 90 | 180 | 270 = 0): Uint8ClampedArray {
  const quarter = rotation === 90 || rotation === 270;
  const w = quarter ? outHeight : outWidth;
  const h = quarter ? outWidth : outHeight;
  const { data, planes, width, height } = picture;
  const cw = (width + 1) >> 1;
  const ch = (height + 1) >> 1;
  const y = shrinkPlane(data, planes[0]!.offset, planes[0]!.stride, 1, width, height, w, h);
  const nv12 = picture.layout === 'NV12';
  const cb = shrinkPlane(data, planes[1]!.offset, planes[1]!.stride, nv12 ? 2 : 1, cw, ch, w, h);
  const cr = nv12
    ? shrinkPlane(data, planes[1]!.offset + 1, planes[1]!.stride, 2, cw, ch, w, h)
    : shrinkPlane(data, planes[2]!.offset, planes[2]!.stride, 1, cw, ch, w, h);
  // BT.709 (Kr 0.2126, Kb 0.0722), studio or full range.
  const ys = picture.fullRange ? 1 : 255 / 219;
  const cs = picture.fullRange ? 1 : 255 / 224;
  const y0 = picture.fullRange ? 0 : 16;
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  // Where the source pixel (j, i) lands once turned clockwise: output x = x0 + j·xj + i·xi,
  // output y = y0 + j·yj + i·yi.
  const [ox, xj, xi, oy, yj, yi] =
    rotation === 90 ? [h - 1, 0, -1, 0, 1, 0] : rotation === 180 ? [w - 1, -1, 0, h - 1, 0, -1] : rotation === 270 ? [0, 0, 1, w - 1, -1, 0] : [0, 1, 0, 0, 0, 1];
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const p = i * w + j;
      const luma = (y[p]! - y0) * ys;
      const u = (cb[p]! - 128) * cs;
      const v = (cr[p]! - 128) * cs;
      const o = ((oy + j * yj + i * yi) * outWidth + (ox + j * xj + i * xi)) * 4;
      out[o] = clamp(luma + 1.5748 * v);
      out[o + 1] = clamp(luma - 0.187324 * u - 0.468124 * v);
      out[o + 2] = clamp(luma + 1.8556 * u);
      out[o + 3] = 255;
    }
  }
  y.fill(0);
  cb.fill(0);
  cr.fill(0);
  return out;
}
