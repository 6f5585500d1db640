import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../src/hashing/codec.js';
import { hammingDistance } from '../src/hashing/hamming.js';
import { HashingPool } from '../src/pipeline/pool.js';

const VECTORS = fileURLToPath(new URL('../../shared/vectors/blockhash/', import.meta.url));
if (!existsSync(VECTORS)) console.warn(`blockhash vectors skipped: ${VECTORS} is missing (../shared/vectors/blockhash)`);

/** blockhash-js's own test accepts this distance to absorb JPEG decoder differences. */
const BLOCKHASH_JS_TOLERANCE = 3;

describe.skipIf(!existsSync(VECTORS))('blockhash vectors through the real pipeline (method 2, 16×16)', () => {
  let pool: HashingPool;
  const distances: Record<string, number> = {};
  beforeAll(() => {
    pool = new HashingPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
    console.info('blockhash vector distances:', JSON.stringify(distances));
  });

  const images = existsSync(VECTORS) ? readdirSync(VECTORS).filter((f) => /\.(jpg|png)$/.test(f)).sort() : [];
  it('finds the 17 vectors', () => {
    expect(images).toHaveLength(17);
  });

  for (const file of images) {
    it(`${file} is within distance < ${BLOCKHASH_JS_TOLERANCE} of ${file.replace(/\.\w+$/, '')}_16_2.txt`, async () => {
      const expected = readFileSync(`${VECTORS}${file.replace(/\.\w+$/, '')}_16_2.txt`, 'utf8').split(/\s+/)[0]!;
      const image = await pool.hashImage(readFileSync(`${VECTORS}${file}`), { algorithms: ['blockhash'] });
      const distance = hammingDistance(hexToBytes(image.hashes[0]!.value), hexToBytes(expected));
      distances[file] = distance;
      expect(distance).toBeLessThan(BLOCKHASH_JS_TOLERANCE);
    });
  }
});
