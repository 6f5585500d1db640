/**
 * Blockhash in `rempart eval-profile`. The side pass: every corpus picture and variant also
 * gets the service's blockhash code (what POST /v1/match/image searches beside PDQ), from a
 * side cache of its own so the profile's cached sets are not re-hashed (real files, the real
 * worker pool and the service's decode and hashing path). The decision: the eval's rule
 * answers blockhash pairs exactly as the service does (decision.ts otherWholeAnswered), in
 * recall, in today's matching and in the blockhash impostor counts.
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
import { seededRandom } from './helpers/random.js';
import { blockhashImpostors, blockhashRecall, matchesToday, uploadKind } from '../src/eval/profile-blockhash.js';
import { BLOCKHASH_THRESHOLD, codeHits, decide, shippedRule, type DecisionRule } from '../src/eval/profile-rules.js';
import { DEFAULT_QUALITY_RULES, splitOf, type CorpusEntry } from '../src/eval/profile-analysis.js';
import { ROLES, TEXTURE_SCALE, type PackedSet } from '../src/eval/profile-task.js';
import { PDQ_REGIONS } from '../src/hashing/profile/profile.js';
import { otherWholeAnswered } from '../src/hashing/profile/decision.js';

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

const words = (random: () => number): Uint32Array => Uint32Array.from({ length: 8 }, () => Math.floor(random() * 2 ** 32) >>> 0);
/** `n` bits of a code flipped. */
const flipped = (code: Uint32Array, n: number): Uint32Array => {
  const out = code.slice();
  for (let b = 0; b < n; b++) out[b % 8]! ^= 1 << Math.floor(b / 8);
  return out;
};
/** A set of one whole-picture PDQ code: its quality and flat share say what kind of upload it is. */
function whole(random: () => number, quality = 90, flat = 0): PackedSet {
  return {
    words: words(random),
    roles: Uint8Array.of(ROLES.indexOf('full')),
    quality: Uint8Array.of(quality),
    flat: Uint8Array.of(Math.round(flat * TEXTURE_SCALE)),
    levels: Uint8Array.of(0),
    boxes: Float32Array.of(0, 0, 1, 1),
    hashes: 1,
  };
}
const pdqDistance = (a: Uint32Array, i: number, b: Uint32Array, j: number): number => {
  let d = 0;
  for (let k = 0; k < 8; k++) d += (a[8 * i + k]! ^ b[8 * j + k]!).toString(2).replaceAll('0', '').length;
  return d;
};
const t = { ...PDQ_REGIONS.thresholds };

describe("the eval's decision on blockhash pairs (profile-rules.ts, decision.ts)", () => {
  const rule = shippedRule(PDQ_REGIONS);
  const random = seededRandom(51);
  const registered = whole(random);
  const bh = words(random);
  const near = flipped(bh, 3);
  const photoUpload = whole(random);
  const graphicUpload = whole(random, 90, 0.95);
  const blankUpload = whole(random, 20);

  it('answers a blockhash pair only for an item registered without PDQ, and never for a flat graphic or an upload under the floor', () => {
    expect(rule.otherWhole).toBe(PDQ_REGIONS.decision.otherWhole);
    expect(PDQ_REGIONS.decision.otherWhole).toBe('legacy');
    const decided = (query: PackedSet, legacy: boolean, r: DecisionRule = rule) => decide(codeHits(query, registered, 31, pdqDistance, { query: near, registered: bh, legacy }), r, t);
    // Nothing but the blockhash pair is close: the PDQ codes are unrelated.
    expect(codeHits(photoUpload, registered, 31, pdqDistance)).toEqual([]);
    expect(decided(photoUpload, true)).toBe(true);
    expect(decided(photoUpload, false)).toBe(false);
    expect(decided(graphicUpload, true)).toBe(false);
    expect(decided(blankUpload, true)).toBe(false);
    // Today's matching answers them all; a pair beyond blockhash's threshold matches under no rule.
    const today: DecisionRule = { ...rule, graphic: null, fullFloor: false, otherWhole: 'any' };
    for (const query of [photoUpload, graphicUpload, blankUpload]) expect(decided(query, false, today)).toBe(true);
    expect(decide(codeHits(photoUpload, registered, 31, pdqDistance, { query: flipped(bh, BLOCKHASH_THRESHOLD + 1), registered: bh, legacy: true }), rule, t)).toBe(false);
    // The service's own rule says the same (one function for both).
    expect(otherWholeAnswered({ underFloor: false, graphic: false }, true, PDQ_REGIONS.decision)).toBe(false); // the item holds PDQ
    expect(otherWholeAnswered({ underFloor: false, graphic: false }, false, PDQ_REGIONS.decision)).toBe(true);
    expect(uploadKind(graphicUpload)).toBe('flat graphic');
    expect(uploadKind(blankUpload)).toBe('under the floor');
  });

  it('counts blockhash impostor pairs as each matching answers them, and recall with them', () => {
    const entry = (name: string, group: string, set: PackedSet, codes: Uint32Array, query = codes): CorpusEntry => ({
      name,
      kind: 'distractor',
      group,
      split: splitOf(name),
      result: { width: 100, height: 100, registered: set, queries: [set], baseline: { registered: new Uint32Array(8), queries: [null] }, ms: { register: 0, query: [] }, errors: [], blockhash: { registered: codes, queries: [query] } },
    });
    const entries = [
      entry('registered', 'package:a', registered, bh),
      entry('photo-like', 'package:b', photoUpload, near),
      entry('graphic', 'package:c', graphicUpload, flipped(bh, 5)),
      entry('blank', 'package:d', { ...blankUpload, quality: Uint8Array.of(20) }, bh),
      entry('same package', 'package:a', whole(random), bh),
    ];
    const found = blockhashImpostors(entries, 20);
    // Every entry is also an upload. 'blank' cannot be registered (PDQ quality under the floor): 4 registrable images,
    // of which an upload meets those of other packages: 'registered' and 'same package' 2 each, the others 3 or 4.
    expect(found.setPairs).toEqual({ 'under the floor': 4, 'flat graphic': 3, 'photo-like': 2 + 3 + 2 });
    // Within 7 bits: registered 2, photo-like 3, graphic 3, blank 4, same package 2 pairs; today's matching answers
    // them all, the profile none (every registered image here holds PDQ), a bank of blockhash-only registrations
    // those of the photo-like uploads.
    expect(found.falseMatches).toEqual({ today: 14, profile: 0, profileLegacyBank: 7 });
    expect(found.falseByUpload).toEqual({
      'under the floor': { today: 4, profile: 0, profileLegacyBank: 0 },
      'flat graphic': { today: 3, profile: 0, profileLegacyBank: 0 },
      'photo-like': { today: 7, profile: 0, profileLegacyBank: 7 },
    });
    expect(found.tail['photo-like'].slice(0, 6)).toEqual([0, 0, 1, 4, 0, 2]);
    expect(found.nearestPhotoLike[0]).toMatchObject({ query: 'photo-like / itself', registered: 'graphic', distance: 2, registeredPhotoLike: false });

    // Recall: a photo whose variant only blockhash finds; today's matching takes it, a blockhash-only bank under the profile too.
    const photoCode = words(random);
    const photo: CorpusEntry = {
      ...entry('photo', 'photo:p', registered, photoCode),
      kind: 'photo',
      result: { ...entry('photo', 'photo:p', registered, photoCode).result, queries: [registered, photoUpload], blockhash: { registered: photoCode, queries: [photoCode, flipped(photoCode, 2)] } },
    };
    expect(matchesToday(photo, 1, 200, 31)).toBe(true);
    expect(matchesToday({ ...photo, result: { ...photo.result, blockhash: { registered: photoCode, queries: [photoCode, flipped(photoCode, 9)] } } }, 1, 200, 31)).toBe(false);
    const [recall] = blockhashRecall([photo], ['variant'], () => false);
    expect(recall).toEqual({ name: 'variant', blockhashToday: 1, blockhashProfile: 1, addsToProfile: 1 });
    expect(blockhashRecall([photo], ['variant'], () => true)[0]!.addsToProfile).toBe(0);
    expect(DEFAULT_QUALITY_RULES.derivedFloor).toBe(PDQ_REGIONS.minQuality);
  });
});
