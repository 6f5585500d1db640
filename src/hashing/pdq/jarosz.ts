/**
 * Jarosz tent filter (W. Jarosz, "Fast Image Convolutions", 2001): two rounds of a 1-D
 * box filter along rows then along columns approximate a 2-D tent filter.
 *
 * Each box keeps a running sum and divides by the number of samples actually in the
 * window, which shrinks at both edges. The adds and subtracts happen in the reference's
 * order (add the entering sample, then subtract the leaving one) so every output is the
 * same double the reference computes.
 */

/** PDQ decimates to 64 × 64; two passes of half a block (1/128 of the side) make a block. */
const WINDOW_DIVISOR = 128;
const XY_PASSES = 2;

/** Box window length for an image side: side / 128, rounded up. */
export function jaroszWindowSize(side: number): number {
  return Math.floor((side + WINDOW_DIVISOR - 1) / WINDOW_DIVISOR);
}

/** How many steps each phase of a box pass takes over a line of `length` samples. */
interface BoxPhases {
  /** Samples summed before the first write. */
  readonly warmUp: number;
  /** Writes while the window is still growing at the leading edge. */
  readonly growing: number;
  /** Writes with the full window (add one, drop one). */
  readonly full: number;
  /** Writes while the window shrinks at the trailing edge. */
  readonly shrinking: number;
}

function boxPhases(length: number, window: number): BoxPhases {
  const half = Math.floor((window + 2) / 2); // 7 → 4, 8 → 5
  return { warmUp: half - 1, growing: window - half + 1, full: length - window, shrinking: half - 1 };
}

/** Box-filters each row of `input` (rows × cols, row-major) into `output`. */
function boxAlongRows(input: Float64Array, output: Float64Array, rows: number, cols: number, window: number): void {
  const { warmUp, growing, full, shrinking } = boxPhases(cols, window);
  for (let row = 0; row < rows; row++) {
    const base = row * cols;
    let sum = 0;
    let size = 0;
    let left = base; // next sample to leave the window
    let right = base; // next sample to enter it
    let out = base;
    for (let i = 0; i < warmUp; i++) {
      sum += input[right++]!;
      size++;
    }
    for (let i = 0; i < growing; i++) {
      sum += input[right++]!;
      size++;
      output[out++] = sum / size;
    }
    for (let i = 0; i < full; i++) {
      sum += input[right++]!;
      sum -= input[left++]!;
      output[out++] = sum / size;
    }
    for (let i = 0; i < shrinking; i++) {
      sum -= input[left++]!;
      size--;
      output[out++] = sum / size;
    }
  }
}

/**
 * Box-filters each column of `input` into `output`. All columns advance together, one
 * row at a time (memory order), each with its own running sum in `sums`; per column the
 * arithmetic is exactly that of a column-by-column pass.
 */
function boxAlongColumns(
  input: Float64Array,
  output: Float64Array,
  rows: number,
  cols: number,
  window: number,
  sums: Float64Array,
): void {
  const { warmUp, growing, full, shrinking } = boxPhases(rows, window);
  sums.fill(0, 0, cols);
  let size = 0;
  let left = 0; // offset of the row leaving the window
  let right = 0; // offset of the row entering it
  let out = 0;
  for (let i = 0; i < warmUp; i++, right += cols) {
    for (let c = 0; c < cols; c++) sums[c]! += input[right + c]!;
    size++;
  }
  for (let i = 0; i < growing; i++, right += cols, out += cols) {
    size++;
    for (let c = 0; c < cols; c++) {
      const sum = sums[c]! + input[right + c]!;
      sums[c] = sum;
      output[out + c] = sum / size;
    }
  }
  for (let i = 0; i < full; i++, right += cols, left += cols, out += cols) {
    for (let c = 0; c < cols; c++) {
      const sum = sums[c]! + input[right + c]! - input[left + c]!;
      sums[c] = sum;
      output[out + c] = sum / size;
    }
  }
  for (let i = 0; i < shrinking; i++, left += cols, out += cols) {
    size--;
    for (let c = 0; c < cols; c++) {
      const sum = sums[c]! - input[left + c]!;
      sums[c] = sum;
      output[out + c] = sum / size;
    }
  }
}

/**
 * Applies the tent filter to `image` in place (rows × cols, row-major), using `scratch`
 * (same size) between passes and `columnSums` (at least `cols` long).
 */
export function jaroszFilter(
  image: Float64Array,
  scratch: Float64Array,
  rows: number,
  cols: number,
  columnSums: Float64Array,
): void {
  const windowAlongRows = jaroszWindowSize(cols);
  const windowAlongColumns = jaroszWindowSize(rows);
  for (let pass = 0; pass < XY_PASSES; pass++) {
    boxAlongRows(image, scratch, rows, cols, windowAlongRows);
    boxAlongColumns(scratch, image, rows, cols, windowAlongColumns, columnSums);
  }
}
