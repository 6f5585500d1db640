import type { DihedralName } from '../types.js';
import { DCT_SIDE } from './dct.js';

/**
 * How each dihedral transform of the image acts on its DCT coefficients, as the PDQ
 * reference derives them: mirroring an axis negates that axis's odd frequencies (row or
 * column index even, since index i holds frequency i + 1); swapping the axes transposes.
 * Rows are vertical frequencies, so `mirrorRows` turns the image upside down.
 */
interface CoefficientMap {
  readonly transpose: boolean;
  readonly mirrorRows: boolean;
  readonly mirrorColumns: boolean;
}

const MAPS: Readonly<Record<DihedralName, CoefficientMap>> = {
  original: { transpose: false, mirrorRows: false, mirrorColumns: false },
  rotate90: { transpose: true, mirrorRows: false, mirrorColumns: true },
  rotate180: { transpose: false, mirrorRows: true, mirrorColumns: true },
  rotate270: { transpose: true, mirrorRows: true, mirrorColumns: false },
  flipX: { transpose: false, mirrorRows: true, mirrorColumns: false },
  flipY: { transpose: false, mirrorRows: false, mirrorColumns: true },
  flipPlus1: { transpose: true, mirrorRows: false, mirrorColumns: false },
  flipMinus1: { transpose: true, mirrorRows: true, mirrorColumns: true },
};

/** Writes into `out` the 16 × 16 coefficients of the `name` transform of the image. */
export function transformCoefficients(name: DihedralName, coefficients: Float64Array, out: Float64Array): void {
  const { transpose, mirrorRows, mirrorColumns } = MAPS[name];
  const n = DCT_SIDE;
  for (let i = 0; i < n; i++) {
    const negateRow = mirrorRows && (i & 1) === 0;
    for (let j = 0; j < n; j++) {
      const negate = negateRow !== (mirrorColumns && (j & 1) === 0);
      const value = coefficients[i * n + j]!;
      out[transpose ? j * n + i : i * n + j] = negate ? -value : value;
    }
  }
}
