/** Side of the square PDQ samples the filtered image down to. */
export const DECIMATED_SIDE = 64;

/**
 * Samples the filtered image (rows × cols, row-major) at the centres of a 64 × 64 grid,
 * into `out` (64 × 64, row-major). The tent filter has already averaged each cell.
 */
export function decimate(image: Float64Array, rows: number, cols: number, out: Float64Array): void {
  for (let i = 0; i < DECIMATED_SIDE; i++) {
    const row = Math.floor(((i + 0.5) * rows) / DECIMATED_SIDE);
    for (let j = 0; j < DECIMATED_SIDE; j++) {
      const col = Math.floor(((j + 0.5) * cols) / DECIMATED_SIDE);
      out[i * DECIMATED_SIDE + j] = image[row * cols + col]!;
    }
  }
}
