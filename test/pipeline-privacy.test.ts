import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HashingPool } from '../src/pipeline/pool.js';
import { encode, fromRaw, scene, withOrientation, type RawImage } from './helpers/images.js';

// This file runs in its own process (vitest forks): point TMPDIR at an empty folder
// before libvips starts, so any temporary file it made would land there.
const systemTmp = tmpdir();
const privateTmp = mkdtempSync(join(systemTmp, 'rempart-privacy-'));
process.env.TMPDIR = privateTmp;

function listRecursively(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const libvipsTemp = (names: string[]) => names.filter((name) => /vips|sharp/i.test(name));

describe('image bytes never reach the disk', () => {
  afterAll(() => rmSync(privateTmp, { recursive: true, force: true }));

  it('leaves the temp folders untouched while hashing large, rotated and broken images', async () => {
    const systemBefore = libvipsTemp(readdirSync(systemTmp));
    const pool = new HashingPool({ threads: 2 });
    try {
      // 12 MP: past any "small image" shortcut (upscaled: generating it in JS is slow).
      const data = await fromRaw(scene(1000, 750, 9)).resize(4000, 3000).raw().toBuffer();
      const big: RawImage = { data, width: 4000, height: 3000, channels: 3 };
      const inputs = [await encode.jpeg(big), await encode.png(big), await withOrientation(big, 6), await encode.tiff(big)];
      for (const bytes of inputs) {
        const image = await pool.hashImage(bytes);
        expect(image.hashes.length).toBeGreaterThan(0);
      }
      await expect(pool.hashImage(Buffer.from('not an image'))).rejects.toThrow(/unsupported/);
    } finally {
      await pool.close();
    }
    expect(listRecursively(privateTmp)).toEqual([]);
    expect(libvipsTemp(readdirSync(systemTmp))).toEqual(systemBefore);
  });
});
