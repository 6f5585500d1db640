import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../src/hashing/codec.js';
import { hammingDistance } from '../src/hashing/hamming.js';
import { algorithmNames } from '../src/hashing/registry.js';
import { HashingPool } from '../src/pipeline/pool.js';
import { VECTORS_DIR, vectorsAvailable } from './helpers/vectors.js';

const VECTORS = path.join(VECTORS_DIR, 'pdq');
const MANIFEST = path.join(VECTORS, 'manifest.json');
const hasVectors = vectorsAvailable('PDQ pipeline vectors', ['pdq/manifest.json']);
const hasPdq = algorithmNames.includes('pdq');
if (!hasPdq) console.warn('PDQ pipeline vectors skipped: no "pdq" algorithm in src/hashing/registry.ts yet');

interface Entry {
  image: string;
  pixels: string;
  pdq: string;
  quality: number;
  dihedral: Record<string, string>;
}

/** The PDQ README's bound for a conforming hasher with a different decoder. */
const CONFORMING_DISTANCE = 10;
/** Measured exceptions, explained in docs/pipeline.md ("PDQ through the pipeline"). */
const MEASURED_BOUNDS: Record<string, number> = {
  // PIL resizes mode "1" (bilevel) images with NEAREST; we filter properly: 14 bits.
  'images/misc-images/modes/1.png': 14,
};
/** How each EXIF orientation displays the stored pixels, as a clockwise rotation (sharp.rotate). */
const ORIENTATION_ROTATION: Record<number, number> = { 3: 180, 6: 90, 8: 270 };
/** The reference's dihedral hash for that display (PDQ's rotate90 turns counter-clockwise). */
const ORIENTATION_DIHEDRAL: Record<number, string> = { 3: 'rotate180', 6: 'rotate270', 8: 'rotate90' };

const distance = (a: string, b: string) => hammingDistance(hexToBytes(a), hexToBytes(b));

describe.skipIf(!hasVectors || !hasPdq)('PDQ on the original images through the pipeline', () => {
  const entries: Entry[] = hasVectors ? JSON.parse(readFileSync(MANIFEST, 'utf8')) : [];
  let pool: HashingPool;
  let largest = { image: '', distance: 0 };
  beforeAll(() => {
    pool = new HashingPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
    console.info(`PDQ pipeline: largest distance ${largest.distance} (${largest.image})`);
  });

  const pdqOf = async (bytes: Uint8Array) => (await pool.hashImage(bytes, { algorithms: ['pdq'] })).hashes[0]!;

  for (const entry of entries.filter((e) => e.quality >= 80)) {
    it(`${entry.image}`, async () => {
      const bytes = readFileSync(path.join(VECTORS, entry.image));
      const orientation = (await sharp(bytes).metadata()).orientation ?? 1;
      const ours = await pdqOf(bytes);
      let expected = entry.pdq;
      if (orientation !== 1) {
        // The reference hashed the stored pixels, unoriented; we hash them as displayed.
        // Expected: PDQ of the reference's own pixels turned the way EXIF displays them.
        const rotation = ORIENTATION_ROTATION[orientation];
        expect(rotation, `orientation ${orientation} has no mapping`).toBeDefined();
        const displayed = await sharp(readFileSync(path.join(VECTORS, entry.pixels))).rotate(rotation).png().toBuffer();
        expected = (await pdqOf(displayed)).value;
        // And the reference's dihedral hash for that display is the nearest of the 8.
        const all = { original: entry.pdq, ...entry.dihedral };
        const nearest = Object.entries(all).sort(([, a], [, b]) => distance(ours.value, a) - distance(ours.value, b))[0]![0];
        expect(nearest).toBe(ORIENTATION_DIHEDRAL[orientation]);
      }
      const d = distance(ours.value, expected);
      if (d > largest.distance) largest = { image: entry.image, distance: d };
      expect(d).toBeLessThanOrEqual(MEASURED_BOUNDS[entry.image] ?? CONFORMING_DISTANCE);
      expect(ours.quality).toBeGreaterThanOrEqual(80);
    });
  }
});
