import { DIHEDRAL_NAMES } from './types.js';
import type { ComputedHash, DihedralName, HashAlgorithm, Pixels } from './types.js';
import { bytesToHex } from './codec.js';
import { fillLuma } from './pdq/luma.js';
import { jaroszFilter } from './pdq/jarosz.js';
import { DECIMATED_SIDE, decimate } from './pdq/decimate.js';
import { pdqQuality } from './pdq/quality.js';
import { DCT_SIDE, dct64To16 } from './pdq/dct.js';
import { transformCoefficients } from './pdq/dihedral.js';
import { coefficientsToHash } from './pdq/bits.js';

/**
 * PDQ (facebook/ThreatExchange, pdq/), bit for bit as its pure-Python reference computes
 * it in float64: luma → Jarosz tent filter → 64 × 64 decimation → quality → 16 × 16 DCT →
 * median threshold. Hash the image as the reference does, i.e. after shrinking it to fit
 * 512 × 512 (the pipeline's job): this module hashes whatever pixels it is given.
 */

export interface PdqResult {
  /** 32 bytes, in the order of the reference's hex string. */
  hash: Uint8Array;
  /** 0..100; the PDQ authors treat hashes below 50 as unreliable. */
  quality: number;
}

export interface PdqDihedralResult {
  /** The hash of each of the 8 rotations/mirrors of the image, from one DCT. */
  hashes: Record<DihedralName, Uint8Array>;
  quality: number;
}

export interface PdqCoefficients {
  /** The 16 × 16 DCT coefficients (row-major, frequencies 1..16), a fresh copy. */
  coefficients: Float64Array;
  quality: number;
}

/** Full-size buffers up to this many pixels are kept for the next call (512 × 512 fits). */
const MAX_RETAINED_PIXELS = 1 << 20;

/**
 * Scratch buffers reused across calls (one set per isolate: the computation is
 * synchronous). Every call wipes what it used before returning, so no trace of an image
 * outlives the call.
 */
const scratch = {
  luma: new Float64Array(0),
  between: new Float64Array(0),
  columnSums: new Float64Array(0),
  decimated: new Float64Array(DECIMATED_SIDE * DECIMATED_SIDE),
  dctTemp: new Float64Array(DCT_SIDE * DECIMATED_SIDE),
  coefficients: new Float64Array(DCT_SIDE * DCT_SIDE),
  transformed: new Float64Array(DCT_SIDE * DCT_SIDE),
};

function checkPixels(pixels: Pixels): void {
  const { width, height, channels, data } = pixels;
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`pixels.width must be a positive integer, got ${width}`);
  if (!Number.isInteger(height) || height < 1) {
    throw new RangeError(`pixels.height must be a positive integer, got ${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new RangeError(`pixels.channels must be 3 or 4, got ${channels}`);
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new RangeError(`pixels.data must hold ${width}×${height}×${channels} = ${expected} bytes, got ${data.length}`);
  }
}

/** Full-size buffers for `count` pixels: the retained ones, grown, or one-off ones if huge. */
function fullSizeBuffers(count: number, columns: number): { luma: Float64Array; between: Float64Array; sums: Float64Array } {
  if (count > MAX_RETAINED_PIXELS) {
    return { luma: new Float64Array(count), between: new Float64Array(count), sums: new Float64Array(columns) };
  }
  if (scratch.luma.length < count) {
    scratch.luma = new Float64Array(count);
    scratch.between = new Float64Array(count);
  }
  if (scratch.columnSums.length < columns) scratch.columnSums = new Float64Array(columns);
  return { luma: scratch.luma, between: scratch.between, sums: scratch.columnSums };
}

/**
 * Runs PDQ up to the DCT: leaves the 16 × 16 coefficients in scratch.coefficients (the
 * caller wipes them) and returns the quality. Wipes every image-sized buffer it used.
 */
function computeCoefficients(pixels: Pixels): number {
  checkPixels(pixels);
  const { width: cols, height: rows } = pixels;
  const count = rows * cols;
  const { luma, between, sums } = fullSizeBuffers(count, cols);
  try {
    fillLuma(pixels, luma);
    jaroszFilter(luma, between, rows, cols, sums);
    decimate(luma, rows, cols, scratch.decimated);
    const quality = pdqQuality(scratch.decimated);
    dct64To16(scratch.decimated, scratch.dctTemp, scratch.coefficients);
    return quality;
  } finally {
    luma.fill(0, 0, count);
    between.fill(0, 0, count);
    sums.fill(0, 0, cols);
    scratch.decimated.fill(0);
    scratch.dctTemp.fill(0);
  }
}

/** PDQ hash and quality of an RGB or RGBA image (alpha is ignored, as in the reference). */
export function pdqHash(pixels: Pixels): PdqResult {
  try {
    const quality = computeCoefficients(pixels);
    return { hash: coefficientsToHash(scratch.coefficients), quality };
  } finally {
    scratch.coefficients.fill(0);
  }
}

/** PDQ hashes of the image and of its 7 other rotations/mirrors, from one DCT. */
export function pdqDihedral(pixels: Pixels): PdqDihedralResult {
  try {
    const quality = computeCoefficients(pixels);
    const hashes = {} as Record<DihedralName, Uint8Array>;
    for (const name of DIHEDRAL_NAMES) {
      transformCoefficients(name, scratch.coefficients, scratch.transformed);
      hashes[name] = coefficientsToHash(scratch.transformed);
    }
    return { hashes, quality };
  } finally {
    scratch.coefficients.fill(0);
    scratch.transformed.fill(0);
  }
}

/** The 16 × 16 DCT coefficients PDQ thresholds, and the quality (for tests and analysis). */
export function pdqCoefficients(pixels: Pixels): PdqCoefficients {
  try {
    const quality = computeCoefficients(pixels);
    return { coefficients: scratch.coefficients.slice(), quality };
  } finally {
    scratch.coefficients.fill(0);
  }
}

/**
 * PDQ's last stages (quality, DCT, median threshold) on a 64 × 64 grid of luma averages
 * that the caller sampled itself: the derived regions of a matching profile
 * (src/hashing/profile/) sample each window straight to 64 × 64 by exact area averages,
 * which is what PDQ's tent filter and decimation approximate on a whole image.
 * Returns the hash and, when asked, the 7 other dihedral hashes (in DIHEDRAL_NAMES order).
 */
export function pdqFromDecimated(decimated: Float64Array, dihedral = false): { hashes: Uint8Array[]; quality: number } {
  if (decimated.length !== DECIMATED_SIDE * DECIMATED_SIDE) {
    throw new RangeError(`decimated must hold ${DECIMATED_SIDE}×${DECIMATED_SIDE} values, got ${decimated.length}`);
  }
  try {
    const quality = pdqQuality(decimated);
    dct64To16(decimated, scratch.dctTemp, scratch.coefficients);
    if (!dihedral) return { hashes: [coefficientsToHash(scratch.coefficients)], quality };
    const hashes = DIHEDRAL_NAMES.map((name) => {
      transformCoefficients(name, scratch.coefficients, scratch.transformed);
      return coefficientsToHash(scratch.transformed);
    });
    return { hashes, quality };
  } finally {
    scratch.dctTemp.fill(0);
    scratch.coefficients.fill(0);
    scratch.transformed.fill(0);
  }
}

export const pdq: HashAlgorithm = {
  name: 'pdq',
  bits: 256,
  defaultThreshold: 31,
  hasQuality: true,
  hasDihedral: true,
  description: 'PDQ (Meta ThreatExchange), 256 bits with quality 0..100 and 8 dihedral variants',
  hash(pixels, options): ComputedHash {
    if (!options?.dihedral) {
      const { hash, quality } = pdqHash(pixels);
      return { algorithm: 'pdq', value: bytesToHex(hash), quality };
    }
    const { hashes, quality } = pdqDihedral(pixels);
    const dihedral: NonNullable<ComputedHash['dihedral']> = {};
    for (const name of DIHEDRAL_NAMES) if (name !== 'original') dihedral[name] = bytesToHex(hashes[name]);
    return { algorithm: 'pdq', value: bytesToHex(hashes.original), quality, dihedral };
  },
};
