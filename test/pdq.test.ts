/**
 * PDQ conformance: every vector of ../shared/vectors/pdq must come out bit for bit as the
 * pure-Python reference computed it (hash, quality and the 7 other dihedral hashes).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pdq } from '../src/hashing/pdq.js';
import type { Pixels } from '../src/hashing/types.js';
import { VECTORS_DIR, vectorsAvailable } from './helpers/vectors.js';

const VECTORS = path.join(VECTORS_DIR, 'pdq');
const MANIFEST = path.join(VECTORS, 'manifest.json');
const haveVectors = vectorsAvailable('PDQ conformance', ['pdq/manifest.json']);

interface VectorEntry {
  image: string;
  pixels: string;
  pixelsSize: [number, number];
  pdq: string;
  quality: number;
  dihedral: Record<string, string>;
}

const entries: VectorEntry[] = haveVectors ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as VectorEntry[]) : [];

/**
 * A deliberately minimal PNG decoder (8-bit RGB, not interlaced): an independent witness
 * that the bytes sharp hands over are exactly the bytes stored in the file.
 */
function decodeRgbPng(file: Buffer): { width: number; height: number; data: Uint8Array } {
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('latin1', offset + 4, offset + 8);
    const body = file.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colourType, , , interlace] = body.subarray(8);
      if (depth !== 8 || colourType !== 2 || interlace !== 0) throw new Error('test decoder reads 8-bit RGB only');
    } else if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const left = x >= 3 ? out[y * stride + x - 3]! : 0;
      const up = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const upLeft = x >= 3 && y > 0 ? out[(y - 1) * stride + x - 3]! : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const p = left + up - upLeft;
        const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      out[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, data: out };
}

/**
 * Decodes a vector losslessly. `ignoreIcc` matters: several vectors carry an ICC profile
 * (PIL copied it from the source) and sharp would otherwise convert their colours.
 */
async function decodeVector(file: string): Promise<Pixels> {
  const { data, info } = await sharp(file, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  expect(data.length).toBe(info.width * info.height * 3); // one byte per sample
  return { width: info.width, height: info.height, channels: 3, data };
}

describe.skipIf(!haveVectors)('PDQ conformance with the Python reference (../shared/vectors/pdq)', () => {
  it('has vectors to check', () => {
    expect(entries.length).toBeGreaterThanOrEqual(40);
  });

  it.each(entries.map((e) => [e.pixels, e] as const))('%s: hash, quality and 8 dihedral hashes bit for bit', async (_, entry) => {
    const file = path.join(VECTORS, entry.pixels);
    const pixels = await decodeVector(file);
    expect([pixels.width, pixels.height]).toEqual(entry.pixelsSize);
    expect(Buffer.from(pixels.data).equals(Buffer.from(decodeRgbPng(readFileSync(file)).data))).toBe(true);

    const result = pdq.hash(pixels, { dihedral: true });
    expect(result.value).toBe(entry.pdq);
    expect(result.quality).toBe(entry.quality);
    expect(result.dihedral).toEqual(entry.dihedral);
    expect(pdq.hash(pixels)).toEqual({ algorithm: 'pdq', value: entry.pdq, quality: entry.quality });
  });

  it("sharp's default colour management alters ICC-tagged vectors (why decoding ignores ICC)", async () => {
    const tagged = entries.find((e) => e.pixels.endsWith('wee.rgb.png'));
    expect(tagged).toBeDefined();
    const file = path.join(VECTORS, tagged!.pixels);
    const managed = await sharp(file).removeAlpha().raw().toBuffer();
    expect(Buffer.from(decodeRgbPng(readFileSync(file)).data).equals(managed)).toBe(false);
  });
});
