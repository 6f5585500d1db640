/**
 * The blockhash side pass of `rempart eval-profile`: every corpus picture and variant also
 * gets the service's blockhash code (what POST /v1/match/image searches beside PDQ), from
 * a side cache of its own so the profile's cached sets are not re-hashed. Real files,
 * the real worker pool and the service's decode and hashing path.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProfileHashing } from '../src/eval/profile-runner.js';
import { applyTransformation, encodeLossless, getTransformation, loadWorkingCopy } from '../src/eval/transforms.js';
import { hashImageBytes } from '../src/pipeline/hash-image.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';
import { hexToBytes } from '../src/hashing/codec.js';
import { writeWords } from '../src/hashing/hamming.js';
import { grainyScene } from './helpers/photos.js';

const dir = mkdtempSync(join(tmpdir(), 'rempart-eval-blockhash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MAX_SIDE = 512;
const TRANSFORMATIONS = ['jpeg-q70', 'crop-5pc'];

/** The service's blockhash of encoded bytes, as 8 words. */
async function serviceBlockhash(bytes: Uint8Array): Promise<number[]> {
  const hashed = await hashImageBytes(bytes, { algorithms: ['blockhash'], dihedral: false }, DEFAULT_LIMITS);
  const words = new Uint32Array(8);
  writeWords(hexToBytes(hashed.hashes[0]!.value), words, 0);
  return [...words];
}

describe('eval-profile blockhash side pass', () => {
  it('gives each photo and variant the service blockhash code, cached beside the profile sets', async () => {
    const photos = join(dir, 'photos');
    const corpus = join(dir, 'corpus');
    mkdirSync(photos, { recursive: true });
    const originals = [await grainyScene(41, 700, 520), await grainyScene(42, 640, 640)];
    originals.forEach((bytes, i) => writeFileSync(join(photos, `p${i}.jpg`), bytes));
    const options = { photosDir: photos, corpusDir: corpus, profile: 'pdq-regions', maxSide: MAX_SIDE, distractors: 0, threads: 1, transformations: TRANSFORMATIONS, dedupe: null };

    const first = await runProfileHashing(options);
    expect(first.photos).toHaveLength(2);
    expect(first.blockhashFiles).toBe(2);
    expect(readdirSync(join(corpus, 'cache', 'blockhash'))).toHaveLength(2);
    for (const [i, photo] of first.photos.entries()) {
      const codes = photo.result.blockhash!;
      const working = await loadWorkingCopy(originals[i]!, MAX_SIDE);
      // Registered: the same lossless working copy profileImage registers; queries: the picture itself, then each variant.
      const registered = await serviceBlockhash(await encodeLossless(working));
      expect([...codes.registered]).toEqual(registered);
      expect(codes.queries).toHaveLength(1 + TRANSFORMATIONS.length);
      expect(photo.result.queries).toHaveLength(codes.queries.length);
      expect([...codes.queries[0]!]).toEqual(registered);
      for (const [t, name] of TRANSFORMATIONS.entries()) {
        const variant = await applyTransformation(working, getTransformation(name));
        expect([...codes.queries[t + 1]!]).toEqual(await serviceBlockhash(variant.bytes));
      }
    }
    // A re-compressed copy stays close, another picture does not (the codes are real blockhash codes).
    const [a, b] = first.photos.map((p) => p.result.blockhash!);
    const bits = (x: Uint32Array, y: Uint32Array) => x.reduce((d, w, k) => d + (w ^ y[k]!).toString(2).replaceAll('0', '').length, 0);
    expect(bits(a!.registered, a!.queries[1]!)).toBeLessThanOrEqual(7);
    expect(bits(a!.registered, b!.registered)).toBeGreaterThan(40);

    // A second run reads both caches and hashes nothing.
    const second = await runProfileHashing(options);
    expect(second.hashedFiles).toBe(0);
    expect(second.blockhashFiles).toBe(0);
    expect(second.photos.map((p) => [...p.result.blockhash!.queries[2]!])).toEqual(first.photos.map((p) => [...p.result.blockhash!.queries[2]!]));
    expect(existsSync(join(corpus, 'cache', 'pdq-regions'))).toBe(true);
  }, 180_000);
});
