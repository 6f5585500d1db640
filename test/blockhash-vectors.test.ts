import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../src/hashing/codec.js';
import { hammingDistance } from '../src/hashing/hamming.js';
import { HashingPool } from '../src/pipeline/pool.js';
import { VECTORS_DIR, vectorsAvailable } from './helpers/vectors.js';

const VECTORS = path.join(VECTORS_DIR, 'blockhash');
const hasVectors = vectorsAvailable('blockhash vectors', ['blockhash']);

/** blockhash-js's own test accepts this distance to absorb JPEG decoder differences. */
const BLOCKHASH_JS_TOLERANCE = 3;

describe.skipIf(!hasVectors)('blockhash vectors through the real pipeline (method 2, 16×16)', () => {
  let pool: HashingPool;
  const distances: Record<string, number> = {};
  beforeAll(() => {
    pool = new HashingPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
    console.info('blockhash vector distances:', JSON.stringify(distances));
  });

  const images = hasVectors ? readdirSync(VECTORS).filter((f) => /\.(jpg|png)$/.test(f)).sort() : [];
  it('finds the 17 vectors', () => {
    expect(images).toHaveLength(17);
  });

  for (const file of images) {
    it(`${file} is within distance < ${BLOCKHASH_JS_TOLERANCE} of ${file.replace(/\.\w+$/, '')}_16_2.txt`, async () => {
      const expected = readFileSync(path.join(VECTORS, `${file.replace(/\.\w+$/, '')}_16_2.txt`), 'utf8').split(/\s+/)[0]!;
      const image = await pool.hashImage(readFileSync(path.join(VECTORS, file)), { algorithms: ['blockhash'] });
      const distance = hammingDistance(hexToBytes(image.hashes[0]!.value), hexToBytes(expected));
      distances[file] = distance;
      expect(distance).toBeLessThan(BLOCKHASH_JS_TOLERANCE);
    });
  }
});
