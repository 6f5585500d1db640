/**
 * PDQ behaviour on synthetic images built for the purpose: the bit layout, quality,
 * dihedral geometry, channel handling, buffer reuse and input checks.
 */
import { describe, expect, it } from 'vitest';
import { pdq, pdqCoefficients, pdqDihedral, pdqHash } from '../src/hashing/pdq.js';
import { dctMatrix } from '../src/hashing/pdq/dct.js';
import { correctlyRoundedCos } from '../src/hashing/pdq/cosine.js';
import { bytesToHex } from '../src/hashing/codec.js';
import { getAlgorithm } from '../src/hashing/registry.js';
import { DIHEDRAL_NAMES, type Pixels } from '../src/hashing/types.js';

/** An RGB image from a grey-level function (R = G = B, so luma ≈ the level). */
function greyImage(width: number, height: number, level: (x: number, y: number) => number): Pixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.fill(level(x, y), 3 * (y * width + x), 3 * (y * width + x) + 3);
  }
  return { width, height, channels: 3, data };
}

/** Smooth, asymmetric colour content (no symmetry would hide a wrong transform). */
function scene(width: number, height: number): Pixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / width;
      const v = y / height;
      const base = 128 + 60 * Math.sin(7 * u + 3 * v) + 40 * Math.cos(11 * u * v) + (u < 0.3 && v < 0.25 ? 30 : 0);
      for (let c = 0; c < 3; c++) data[3 * (y * width + x) + c] = Math.max(0, Math.min(255, Math.round(base + 9 * c * u)));
    }
  }
  return { width, height, channels: 3, data };
}

/** Maps output (x, y) to the input pixel it copies; `swapsSides` for 90° turns and diagonals. */
interface PixelTransform {
  swapsSides: boolean;
  source(x: number, y: number, width: number, height: number): [number, number];
}

/** What each dihedral name means on the pixels (found to match the reference's DCT maps). */
const PIXEL_TRANSFORMS: Record<Exclude<(typeof DIHEDRAL_NAMES)[number], 'original'>, PixelTransform> = {
  rotate90: { swapsSides: true, source: (x, y, w) => [w - 1 - y, x] }, // counter-clockwise
  rotate180: { swapsSides: false, source: (x, y, w, h) => [w - 1 - x, h - 1 - y] },
  rotate270: { swapsSides: true, source: (x, y, _w, h) => [y, h - 1 - x] }, // clockwise
  flipX: { swapsSides: false, source: (x, y, _w, h) => [x, h - 1 - y] }, // upside down
  flipY: { swapsSides: false, source: (x, y, w) => [w - 1 - x, y] }, // left-right mirror
  flipPlus1: { swapsSides: true, source: (x, y) => [y, x] }, // main-diagonal transpose
  flipMinus1: { swapsSides: true, source: (x, y, w, h) => [w - 1 - y, h - 1 - x] }, // anti-diagonal
};

function transformPixels(pixels: Pixels, transform: PixelTransform): Pixels {
  const { width, height, channels } = pixels;
  const outWidth = transform.swapsSides ? height : width;
  const outHeight = transform.swapsSides ? width : height;
  const data = new Uint8Array(outWidth * outHeight * channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const [sx, sy] = transform.source(x, y, width, height);
      for (let c = 0; c < channels; c++) data[channels * (y * outWidth + x) + c] = pixels.data[channels * (sy * width + sx) + c]!;
    }
  }
  return { width: outWidth, height: outHeight, channels, data };
}

/**
 * Bit (i, j) of a hash read the way the reference defines it: bit k = 16·i + j lives in
 * bit k mod 16 of 16-bit word ⌊k/16⌋, and the hex string lists words 15 down to 0.
 */
function referenceBit(hex: string, i: number, j: number): number {
  const k = 16 * i + j;
  const word = parseInt(hex.slice(4 * (15 - (k >> 4)), 4 * (15 - (k >> 4)) + 4), 16);
  return (word >> (k & 15)) & 1;
}

describe('bit layout and DCT basis', () => {
  // 32 distinct bytes with 4 bits set each: 128 ones, so the median splits them exactly.
  const fourBitBytes = Array.from({ length: 256 }, (_, b) => b).filter((b) => b.toString(2).replace(/0/g, '').length === 4);
  const expected = bytesToHex(Uint8Array.from(fourBitBytes.slice(0, 32)));

  it('hashes a 64 × 64 sum of DCT basis images to the bits of their signs', () => {
    // Coefficient (i, j) is vertical frequency i + 1 and horizontal frequency j + 1; a
    // 64-pixel side makes the tent filter and decimation the identity.
    const amplitude = 1.5;
    const basis = (frequency: number, t: number) => Math.cos((Math.PI * frequency * (2 * t + 1)) / 128);
    let clipped = false;
    const image = greyImage(64, 64, (x, y) => {
      let sum = 0;
      for (let i = 0; i < 16; i++) {
        for (let j = 0; j < 16; j++) sum += (referenceBit(expected, i, j) ? 1 : -1) * basis(i + 1, y) * basis(j + 1, x);
      }
      const level = Math.round(128 + amplitude * sum);
      if (level < 0 || level > 255) clipped = true;
      return level;
    });
    expect(clipped).toBe(false);
    expect(bytesToHex(pdqHash(image).hash)).toBe(expected);
  });

  it('builds the DCT matrix with correctly rounded cosines (Math.cos is 1 ulp off on some)', () => {
    const matrix = dctMatrix();
    // Values the C library's cos (and the reference) gives where V8's Math.cos differs.
    expect(matrix[17]).toBe(0.6531728429537768);
    expect(matrix[3 * 64 + 21]).toBe(-0.47139673682599786);
    expect(matrix[15 * 64 + 31]).toBe(0.9238795325112868);
    for (let k = 0; k < 16 * 64; k++) {
      const x = (Math.PI / 2 / 64) * (Math.floor(k / 64) + 1) * (2 * (k % 64) + 1);
      expect(Math.abs(matrix[k]! - Math.cos(x))).toBeLessThanOrEqual(2.3e-16);
    }
    expect(correctlyRoundedCos(0)).toBe(1);
    expect(correctlyRoundedCos(Math.PI)).toBe(-1);
  });
});

describe('quality', () => {
  it('is 0 for flat images of any size and colour', () => {
    for (const [width, height] of [[1, 1], [64, 64], [300, 200], [512, 512]] as const) {
      expect(pdqHash(greyImage(width, height, () => 90)).quality).toBe(0);
    }
  });

  it('counts quantized gradients: one sharp edge across 64 rows scores ⌊64·78/90⌋ = 55', () => {
    // |0 − 200| is 78.4 % of full scale, truncated to 78, on each of 64 rows; divided by 90.
    const vertical = greyImage(64, 64, (x) => (x < 32 ? 0 : 200));
    const horizontal = greyImage(64, 64, (_x, y) => (y < 32 ? 0 : 200));
    expect(pdqHash(vertical).quality).toBe(55);
    expect(pdqHash(horizontal).quality).toBe(55);
  });

  it('caps at 100 for busy images', () => {
    expect(pdqHash(greyImage(64, 64, (x, y) => ((x + y) % 2 ? 250 : 0))).quality).toBe(100);
  });
});

describe('dihedral hashes', () => {
  it('equal the hash of the transformed pixels exactly when filtering is symmetric (64 × 64)', () => {
    const image = scene(64, 64);
    const { hashes } = pdqDihedral(image);
    expect(bytesToHex(hashes.original)).toBe(bytesToHex(pdqHash(image).hash));
    for (const [name, transform] of Object.entries(PIXEL_TRANSFORMS)) {
      expect(bytesToHex(pdqHash(transformPixels(image, transform)).hash), name).toBe(
        bytesToHex(hashes[name as keyof typeof PIXEL_TRANSFORMS]),
      );
    }
  });

  it('are all distinct and come from one DCT (pdq.hash returns the 7 others by name)', () => {
    const result = pdq.hash(scene(300, 200), { dihedral: true });
    expect(Object.keys(result.dihedral!).sort()).toEqual(DIHEDRAL_NAMES.filter((n) => n !== 'original').sort());
    expect(new Set([result.value, ...Object.values(result.dihedral!)]).size).toBe(8);
    expect(pdq.hash(scene(300, 200))).toEqual({ algorithm: 'pdq', value: result.value, quality: result.quality });
  });
});

describe('input handling', () => {
  it('ignores alpha: RGBA gives the same hashes as RGB', () => {
    const rgb = scene(300, 200);
    const rgba = new Uint8Array(300 * 200 * 4);
    for (let i = 0; i < 300 * 200; i++) {
      rgba.set(rgb.data.subarray(3 * i, 3 * i + 3), 4 * i);
      rgba[4 * i + 3] = (i * 37) & 0xff;
    }
    const fromRgba = pdq.hash({ width: 300, height: 200, channels: 4, data: rgba }, { dihedral: true });
    expect(fromRgba).toEqual(pdq.hash(rgb, { dihedral: true }));
  });

  it('accepts Uint8ClampedArray (canvas ImageData) like Uint8Array', () => {
    const image = scene(120, 90);
    const clamped = { ...image, data: new Uint8ClampedArray(image.data) };
    expect(pdq.hash(clamped)).toEqual(pdq.hash(image));
  });

  it('gives the same result whatever was hashed before (scratch buffers are reused and wiped)', () => {
    const small = scene(200, 150);
    const first = pdqCoefficients(small);
    pdqHash(scene(512, 512));
    pdqHash(scene(1100, 1000)); // past the retained-buffer limit
    pdqDihedral(greyImage(7, 3, () => 255));
    const again = pdqCoefficients(small);
    expect(Array.from(again.coefficients)).toEqual(Array.from(first.coefficients));
    expect(again.quality).toBe(first.quality);
  });

  it('rejects malformed pixels with a message naming the field', () => {
    const data = new Uint8Array(12);
    expect(() => pdqHash({ width: 0, height: 4, channels: 3, data })).toThrow(/pixels\.width/);
    expect(() => pdqHash({ width: 2, height: 2.5, channels: 3, data })).toThrow(/pixels\.height/);
    expect(() => pdqHash({ width: 2, height: 2, channels: 2 as 3, data })).toThrow(/pixels\.channels/);
    expect(() => pdqHash({ width: 2, height: 2, channels: 4, data })).toThrow(/pixels\.data must hold 2×2×4 = 16 bytes, got 12/);
    expect(() => pdqHash({ width: 2, height: 2, channels: 3, data })).not.toThrow();
  });

  it('is registered as "pdq" with its matching parameters', () => {
    const algorithm = getAlgorithm('pdq');
    expect(algorithm).toBe(pdq);
    expect(algorithm).toMatchObject({ bits: 256, defaultThreshold: 31, hasQuality: true, hasDihedral: true });
    expect(pdq.hash(scene(50, 40)).value).toMatch(/^[0-9a-f]{64}$/);
  });
});
