/**
 * The parts of `rempart eval-profile` that judge false matches: one copy of each picture
 * (dedupe.ts, on generated image files), the decision rules compared in the report
 * (profile-rules.ts: the shipped rule agrees with the impostor search; two regions must
 * agree on one scale and offset), the tail fit of set-pair margins, and the sentence that
 * says where the hashes came from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { findCopies, fingerprint } from '../src/eval/dedupe.js';
import { agree, decide, routeMinima, shippedRule, type CodeHit, type DecisionRule } from '../src/eval/profile-rules.js';
import { PDQ_REGIONS } from '../src/hashing/profile/profile.js';
import { DEFAULT_QUALITY_RULES, fitMarginTail, setDistance, matches } from '../src/eval/profile-analysis.js';
import { hashingSentence } from '../src/eval/profile-report.js';
import type { PackedSet } from '../src/eval/profile-task.js';
import { seededRandom } from './helpers/random.js';
import { packSet, randomWords } from './helpers/packed-sets.js';

const dir = mkdtempSync(join(tmpdir(), 'rempart-dedupe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A clipart-like drawing: shapes on a transparent canvas. */
async function drawing(file: string, size: number, pad: number, colour: string, shape = 'circle'): Promise<string> {
  const s = size;
  const body =
    shape === 'circle'
      ? `<circle cx="${s / 2}" cy="${s / 2}" r="${s * 0.4}" fill="${colour}" stroke="black" stroke-width="${s / 25}"/><rect x="${s * 0.3}" y="${s * 0.45}" width="${s * 0.4}" height="${s * 0.1}" fill="white"/>`
      : `<rect x="${s * 0.1}" y="${s * 0.2}" width="${s * 0.8}" height="${s * 0.6}" fill="${colour}" stroke="black" stroke-width="${s / 25}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${s + 2 * pad}" height="${s + 2 * pad}"><g transform="translate(${pad},${pad})">${body}</g></svg>`;
  const path = join(dir, file);
  await sharp(Buffer.from(svg)).png().toFile(path);
  return path;
}

describe('one copy of each picture (dedupe.ts)', () => {
  it('merges the same drawing shipped at another size with other transparent margins, and nothing else', async () => {
    const files = [
      await drawing('a.png', 300, 0, '#e03020'),
      await drawing('b-copy.png', 180, 40, '#e03020'), // the same drawing, smaller, padded
      await drawing('c-recoloured.png', 300, 0, '#2040e0'), // the same outline, another colour: another picture
      await drawing('d-other.png', 300, 0, '#e03020', 'rect'),
    ];
    const prints = await Promise.all(files.map(fingerprint));
    expect(findCopies(prints).copyOf).toEqual([-1, 0, -1, -1]);
  });

  it('does not take two nearly blank pictures for one (a faint outline on a transparent canvas)', async () => {
    const faint = async (file: string, body: string) => {
      const path = join(dir, file);
      await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300">${body}</svg>`)).png().toFile(path);
      return path;
    };
    // A faint frame keeps the whole canvas after trimming; inside it, a faint star or a faint circle.
    const frame = '<rect x="1" y="1" width="298" height="298" fill="none" stroke="#e0e0e0" stroke-width="2"/>';
    const prints = await Promise.all([
      faint('f-star.png', `${frame}<polygon points="150,30 190,270 30,110 270,110 110,270" fill="none" stroke="#d8d8d8" stroke-width="3"/>`),
      faint('f-mist.png', `${frame}<circle cx="150" cy="150" r="90" fill="none" stroke="#d8d8d8" stroke-width="3"/>`),
    ].map(async (p) => fingerprint(await p)));
    expect(findCopies(prints).copyOf).toEqual([-1, -1]);
    // On absolute differences alone they would be one picture.
    expect(findCopies(prints, { maxMeanDifference: 8, maxInkShare: Number.POSITIVE_INFINITY, maxAspectDifference: 0.1 }).copyOf).toEqual([-1, 0]);
  });

  it('keeps an unreadable file apart', async () => {
    const prints = [await fingerprint(join(dir, 'missing.png')), await fingerprint(await drawing('e.png', 200, 0, '#30a030'))];
    expect(prints[0]).toBeUndefined();
    expect(findCopies(prints).copyOf).toEqual([-1, -1]);
  });
});

const hit = (kind: CodeHit['kind'], distance: number, query: PackedSet, i: number, registered: PackedSet, j: number): CodeHit => ({ kind, distance, query, i, registered, j });
const shipped: DecisionRule = { name: 'shipped', graphic: DEFAULT_QUALITY_RULES.graphic, derivedFloor: 50 };
const t = { full: 31, whole: 31, region: 31 };

describe('decision rules (profile-rules.ts)', () => {
  it('the shipped rule decides as the impostor search does (graphic gate and quality floor)', () => {
    const random = seededRandom(7);
    const c = randomWords(random);
    const registered = packSet([{ role: 'full', words: randomWords(random) }, { role: 'window', words: c }, { role: 'window', words: c, flat: 0.99 }]);
    for (const query of [packSet([{ role: 'full', words: c }]), packSet([{ role: 'full', words: c, flat: 0.99 }]), packSet([{ role: 'full', words: c, quality: 20 }])]) {
      const hits = [hit('whole', 0, query, 0, registered, 1), hit('whole', 0, query, 0, registered, 2)];
      expect(decide(hits, shipped, t)).toBe(matches(setDistance(query, registered), t));
    }
    // Without the gate, the graphic query meets the window.
    const graphic = packSet([{ role: 'full', words: c, flat: 0.99 }]);
    expect(decide([hit('whole', 0, graphic, 0, registered, 1)], { ...shipped, graphic: null }, t)).toBe(true);
    expect(decide([hit('whole', 0, graphic, 0, registered, 1)], shipped, t)).toBe(false);
  });

  it('two regions must agree on one scale and offset, unless one is within the single-region bound', () => {
    const random = seededRandom(8);
    // The upload is the registered picture cropped to its right 80 % (x' = (x - 0.2) / 0.8).
    const reg = packSet([
      { role: 'region', words: randomWords(random), box: [0.3, 0.2, 0.5, 0.4] },
      { role: 'region', words: randomWords(random), box: [0.6, 0.5, 0.9, 0.8] },
    ]);
    const query = packSet([
      { role: 'region', words: randomWords(random), box: [(0.3 - 0.2) / 0.8, 0.2, (0.5 - 0.2) / 0.8, 0.4] },
      { role: 'region', words: randomWords(random), box: [(0.6 - 0.2) / 0.8, 0.5, (0.9 - 0.2) / 0.8, 0.8] },
      { role: 'region', words: randomWords(random), box: [0.0, 0.0, 0.3, 0.3] }, // elsewhere
    ]);
    const two = { singleRegion: 16, agreeScale: 0.08, agreeOffset: 0.03 };
    const rule: DecisionRule = { ...shipped, twoRegions: two };
    const a = hit('region', 24, query, 0, reg, 0);
    const b = hit('region', 26, query, 1, reg, 1);
    const stray = hit('region', 24, query, 2, reg, 1);
    expect(agree(a, b, two)).toBe(true);
    expect(agree(a, stray, two)).toBe(false);
    expect(decide([a, b], rule, t)).toBe(true);
    expect(decide([a, stray], rule, t)).toBe(false);
    expect(decide([a], rule, t)).toBe(false);
    expect(decide([hit('region', 12, query, 0, reg, 0)], rule, t)).toBe(true);
    expect(decide([a], shipped, t)).toBe(true);
    // Margins: two agreeing pairs count at the larger distance; a lone pair at its distance
    // raised by the region threshold less the single-region bound (24 + 31 - 16 = 39: 8 bits off).
    expect(routeMinima([a, b], rule, t).region).toBe(26);
    expect(routeMinima([a, stray], rule, t).region).toBe(39);
  });

  it('turns a near-blank upload away altogether when the rule says so, whole picture included', () => {
    const random = seededRandom(9);
    const c = randomWords(random);
    const registered = packSet([{ role: 'full', words: c }, { role: 'window', words: randomWords(random) }]);
    const blank = packSet([{ role: 'full', words: c, quality: 30 }]);
    const full = [hit('full', 4, blank, 0, registered, 0)];
    expect(decide(full, shipped, t)).toBe(true); // today's matching checks quality at registration only
    expect(decide(full, { ...shipped, fullFloor: true }, t)).toBe(false);
    const sharp = packSet([{ role: 'full', words: c, quality: 80 }]);
    expect(decide([hit('full', 4, sharp, 0, registered, 0)], { ...shipped, fullFloor: true }, t)).toBe(true);
  });

  it("the shipped rule of the eval is the profile's own (the service applies the same)", () => {
    const rule = shippedRule(PDQ_REGIONS);
    expect(rule.graphic).toEqual(PDQ_REGIONS.rules.graphic);
    expect(rule.derivedFloor).toBe(PDQ_REGIONS.minQuality);
    expect(rule.fullFloor).toBe(PDQ_REGIONS.decision.uploadFloor);
    expect(rule.twoRegions?.singleRegion).toBe(PDQ_REGIONS.decision.singleRegion);
    expect(rule.graphicWhole).toBe(PDQ_REGIONS.decision.graphicWhole);
  });
});

describe('the tail fit of set-pair margins', () => {
  it('recovers an exponential tail and reads it at the thresholds', () => {
    // share(margin ≤ k) = 10^(-9 + 0.5 k) over 1e9 set pairs: counts 10^(0.5 k).
    const setPairs = 1e9;
    const margins: number[] = [];
    for (let k = 1; k <= 10; k++) {
      const count = Math.round(10 ** (0.5 * k)) - Math.round(10 ** (0.5 * (k - 1)));
      for (let n = 0; n < count; n++) margins.push(k);
    }
    const fit = fitMarginTail(margins, setPairs, 10);
    expect(fit.observed).toBe(0);
    expect(fit.used!.from).toBe(3); // the first margin holding 10 set pairs
    expect(fit.slope).toBeCloseTo(0.5, 1);
    expect(Math.log10(fit.atThreshold)).toBeCloseTo(-9, 0);
    expect(fit.upperBound).toBeCloseTo(3e-9, 12);
  });

  it('never reads less than the false matches seen, and falls back to the rule-of-three bound without data', () => {
    const seen = fitMarginTail([0, -3, ...Array.from({ length: 200 }, (_, i) => 1 + (i % 9))], 1000, 9);
    expect(seen.observed).toBe(2);
    expect(seen.atThreshold).toBeGreaterThanOrEqual(2 / 1000);
    const empty = fitMarginTail([], 1e6, 9);
    expect(empty.used).toBeNull();
    expect(empty.atThreshold).toBeCloseTo(3e-6, 12);
  });
});

describe('where the hashes came from', () => {
  const machine = { cpu: 'cpu', cores: 2, node: 'v20' };
  it('says so when every hash came from the cache, and counts both otherwise', () => {
    expect(hashingSentence({ hashSeconds: 2, hashedFiles: 0, cachedFiles: 12766, machine })).toMatch(/Every hash came from the cache of an earlier run \(12,766 corpus files; reading them took 2 s/);
    expect(hashingSentence({ hashSeconds: 1435, hashedFiles: 12000, cachedFiles: 766, machine })).toMatch(/^Hashing 12,000 corpus files took 1435 s .*766 corpus files more came from the cache/);
  });
});
