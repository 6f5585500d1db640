/**
 * Static bands: rows or columns at the edges of a video that do not change over time while
 * the middle does: a caption bar added above or below the picture (meme style), black or
 * coloured letterbox and pillarbox bars, a static frame around the picture. Per-frame PDQ
 * sees them as part of every picture; found over time, they can be cropped off before
 * hashing (queries only: the registered video is the victim's original).
 */

/** Crop box in fractions of the frame: [x0, y0, x1, y1]. */
export type CropBox = [number, number, number, number];

/** Bands thinner than this share of the side are ignored (compression noise at the edges). */
const MIN_BAND = 0.03;
/** Bands wider than this share of the side are not bars: the picture itself is still there. */
const MAX_BAND = 0.4;
/** A line is static when its activity is below this share of the middle's median activity. */
const STATIC_SHARE = 0.08;

function median(values: Float64Array, from: number, to: number): number {
  const slice = Array.from(values.subarray(from, to)).sort((a, b) => a - b);
  return slice.length === 0 ? 0 : slice[slice.length >> 1]!;
}

/** [start, end) of the active lines, after peeling static lines off both edges. */
function activeSpan(activity: Float64Array): [number, number] {
  const n = activity.length;
  const middle = median(activity, Math.floor(n * 0.3), Math.ceil(n * 0.7));
  if (!(middle > 0)) return [0, n]; // no motion at all: nothing to tell bars from picture
  const threshold = STATIC_SHARE * middle;
  let start = 0;
  while (start < n && activity[start]! < threshold) start++;
  let end = n;
  while (end > start && activity[end - 1]! < threshold) end--;
  if (start < MIN_BAND * n || start > MAX_BAND * n) start = 0;
  if (n - end < MIN_BAND * n || n - end > MAX_BAND * n) end = n;
  return [start, end];
}

/**
 * The crop that removes static bands, from each row's and column's summed temporal
 * activity (absolute luma change between consecutive probe frames); undefined when there
 * is none.
 */
export function staticBandCrop(rowActivity: Float64Array, columnActivity: Float64Array): CropBox | undefined {
  const [top, bottom] = activeSpan(rowActivity);
  const [left, right] = activeSpan(columnActivity);
  if (top === 0 && bottom === rowActivity.length && left === 0 && right === columnActivity.length) return undefined;
  const round = (x: number) => Math.round(x * 10000) / 10000;
  return [round(left / columnActivity.length), round(top / rowActivity.length), round(right / columnActivity.length), round(bottom / rowActivity.length)];
}

/** Accumulates per-row and per-column activity over a stream of frames of one size. */
export class ActivityMeter {
  #previous: Float32Array | undefined;
  #current: Float32Array | undefined;
  #width = 0;
  #height = 0;
  rows = new Float64Array(0);
  columns = new Float64Array(0);
  pairs = 0;

  push(width: number, height: number, channels: number, data: ArrayLike<number>): void {
    if (width !== this.#width || height !== this.#height) {
      this.#width = width;
      this.#height = height;
      this.#previous = undefined;
      this.#current = new Float32Array(width * height);
      this.rows = new Float64Array(height);
      this.columns = new Float64Array(width);
      this.pairs = 0;
    }
    const luma = this.#current!;
    for (let i = 0, p = 0; i < luma.length; i++, p += channels) luma[i] = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
    const previous = this.#previous;
    if (previous) {
      for (let y = 0, i = 0; y < height; y++) {
        let rowSum = 0;
        for (let x = 0; x < width; x++, i++) {
          const d = Math.abs(luma[i]! - previous[i]!);
          rowSum += d;
          this.columns[x]! += d;
        }
        this.rows[y]! += rowSum;
      }
      this.pairs++;
    }
    // Swap: the current frame becomes the previous one (buffers reused, then wiped at the end).
    this.#current = previous ?? new Float32Array(width * height);
    this.#previous = luma;
  }

  /** The crop, once enough frames were seen (at least 2 s of probe frames). */
  crop(minPairs = 10): CropBox | undefined {
    return this.pairs >= minPairs ? staticBandCrop(this.rows, this.columns) : undefined;
  }

  wipe(): void {
    this.#previous?.fill(0);
    this.#current?.fill(0);
  }
}
