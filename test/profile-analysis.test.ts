/**
 * The analysis of `rempart eval-profile` on small synthetic corpora: the impostor search
 * through the multi-index must agree with a brute-force scan of every pair, under the
 * service's quality rules (unregistrable pictures, gated query hashes) and the pairing
 * rules (one package, one icon concept).
 */
import { describe, expect, it } from 'vitest';
import { impostors, registrable, setDistance, type CorpusEntry, type PairMinimum } from '../src/eval/profile-analysis.js';
import { ROLES, TEXTURE_SCALE, type PackedSet, type ProfileResult } from '../src/eval/profile-task.js';
import type { Role } from '../src/hashing/profile/profile.js';
import { popcount32 } from '../src/hashing/hamming.js';
import { seededRandom } from './helpers/random.js';
import { nearWords, packSet, randomWords, type TestCode } from './helpers/packed-sets.js';


function entry(name: string, group: string, registered: PackedSet, queries: PackedSet[], concept?: string): CorpusEntry {
  const result: ProfileResult = {
    width: 100,
    height: 100,
    registered,
    queries,
    baseline: { registered: new Uint32Array(8), queries: [] },
    ms: { register: 0, query: [] },
    errors: [],
  };
  return { name, kind: 'distractor', group, split: name.length % 2 ? 'tune' : 'report', result, ...(concept ? { concept } : {}) };
}

function distance(a: PackedSet, i: number, b: PackedSet, j: number): number {
  let d = 0;
  for (let k = 0; k < 8; k++) d += popcount32(a.words[8 * i + k]! ^ b.words[8 * j + k]!);
  return d;
}

describe('eval-profile analysis', () => {
  it('a picture under the case floor is not registrable and meets nothing', () => {
    const random = seededRandom(1);
    const code = randomWords(random);
    const flat = packSet([{ role: 'full', words: code, quality: 20 }, { role: 'window', words: code, quality: 80 }]);
    const query = packSet([{ role: 'full', words: code, quality: 90 }]);
    expect(registrable(flat)).toBe(false);
    expect(setDistance(query, flat).full).toBe(257);
    const sharp = packSet([{ role: 'full', words: code, quality: 60 }, { role: 'window', words: code, quality: 80 }]);
    expect(registrable(sharp)).toBe(true);
    expect(setDistance(query, sharp)).toMatchObject({ full: 0, whole: 0 });
  });

  it('a query hash under the derived floor meets full hashes only', () => {
    const random = seededRandom(2);
    const code = randomWords(random);
    const registered = packSet([{ role: 'full', words: randomWords(random), quality: 90 }, { role: 'window', words: code, quality: 80 }, { role: 'region', words: code, quality: 80 }]);
    const blank = packSet([{ role: 'full', words: code, quality: 10 }, { role: 'region', words: code, quality: 10 }]);
    const m = setDistance(blank, registered);
    expect(m.whole).toBe(257);
    expect(m.region).toBe(257);
    const sharp = packSet([{ role: 'full', words: code, quality: 70 }, { role: 'region', words: code, quality: 70 }]);
    expect(setDistance(sharp, registered)).toMatchObject({ whole: 0, region: 0 });
  });

  it('the graphic gate: a graphic query hash meets whole pictures only, a graphic registered derived hash nothing', () => {
    const random = seededRandom(4);
    const code = randomWords(random);
    const registered = packSet([{ role: 'full', words: code, quality: 90 }, { role: 'window', words: code, quality: 90 }]);
    const flatWindow = packSet([{ role: 'full', words: randomWords(random), quality: 90 }, { role: 'window', words: code, quality: 90, flat: 0.99 }]);
    const graphicQuery = packSet([{ role: 'full', words: code, quality: 90, flat: 0.99 }, { role: 'trimmed', words: code, quality: 90, flat: 0.99 }]);
    expect(setDistance(graphicQuery, registered)).toMatchObject({ full: 0, whole: 257 });
    const photoQuery = packSet([{ role: 'full', words: code, quality: 90 }, { role: 'trimmed', words: code, quality: 90 }]);
    expect(setDistance(photoQuery, registered)).toMatchObject({ full: 0, whole: 0 });
    // Only the unrelated full hash is left to meet.
    expect(setDistance(photoQuery, flatWindow).whole).toBeGreaterThan(40);
  });

  it('the multi-index search finds exactly what a brute-force scan of every allowed pair finds, and counts every allowed pair', () => {
    const random = seededRandom(3);
    const base = Array.from({ length: 4 }, () => randomWords(random));
    const roles: Role[] = ['full', 'trimmed', 'window', 'region', 'tilt'];
    const entries: CorpusEntry[] = [];
    for (let e = 0; e < 24; e++) {
      // Codes near a few shared bases, so that close pairs of every kind exist.
      const codes = (n: number, query: boolean): TestCode[] =>
        Array.from({ length: n }, (_, i) => ({
          role: i === 0 ? 'full' : roles[1 + Math.floor(random() * 4)]!,
          words: nearWords(base[Math.floor(random() * base.length)]!, Math.floor(random() * 30), random),
          quality: i === 0 && e % 5 === 0 ? (query ? 30 : 40) : 40 + Math.floor(random() * 60),
          // Some hashes are of flat graphics (the gate's business), whole pictures included.
          flat: random() < 0.2 ? 0.99 : 0,
        }));
      // Every seventh image is a photo (a group of its own, as the runner makes them).
      const photo = e % 7 === 3;
      const group = photo ? `photo:${e}` : `package:${e % 6}`;
      const concept = !photo && e % 4 === 0 ? `icon:${e % 8}` : undefined;
      const made = entry(`image-${e}`, group, packSet(codes(5, false)), [packSet(codes(4, true)), packSet(codes(3, true))], concept);
      entries.push(photo ? { ...made, kind: 'photo' } : made);
    }
    const radius = 40;
    const found = impostors(entries, radius);

    const unrelated = (a: CorpusEntry, b: CorpusEntry) => a.group !== b.group && (a.concept === undefined || a.concept !== b.concept);
    let setPairs = 0;
    let setPairsPhotoBank = 0;
    let setPairsPhotoLike = 0;
    const codePairs = { full: 0, whole: 0, region: 0 };
    const close: (PairMinimum & { registered: string })[] = [];
    for (const q of entries) {
      for (const r of entries) {
        if (!unrelated(q, r) || !registrable(r.result.registered)) continue;
        const reg = r.result.registered;
        for (const set of q.result.queries) {
          setPairs++;
          if (r.kind === 'photo') setPairsPhotoBank++;
          // A photo-like registered picture: its whole picture passes the graphic gate.
          if (reg.flat[reg.roles.indexOf(ROLES.indexOf('full'))]! / TEXTURE_SCALE < 0.99) setPairsPhotoLike++;
          const best = { full: 257, whole: 257, region: 257 };
          for (let i = 0; i < set!.roles.length; i++) {
            for (let j = 0; j < reg.roles.length; j++) {
              const qRole = ROLES[set!.roles[i]!];
              const rRole = ROLES[reg.roles[j]!];
              const kind = qRole === 'full' && rRole === 'full' ? 'full' : qRole === 'region' && rRole === 'region' ? 'region' : 'whole';
              const graphic = (p: PackedSet, k: number) => p.flat[k]! / TEXTURE_SCALE >= 0.99;
              // A registered derived hash of a graphic does not exist; a query hash of a graphic or of low quality meets whole pictures only.
              if (rRole !== 'full' && graphic(reg, j)) continue;
              if (kind !== 'full' && (set!.quality[i]! < 50 || graphic(set!, i))) continue;
              codePairs[kind]++;
              const d = distance(set!, i, reg, j);
              if (d <= radius && d < best[kind]) best[kind] = d;
            }
          }
          if (best.full <= radius || best.whole <= radius || best.region <= radius) close.push({ ...best, registered: r.kind });
        }
      }
    }
    expect(found.setPairs.all).toBe(setPairs);
    expect(found.setPairsPhotoBank).toBe(setPairsPhotoBank);
    expect(setPairsPhotoBank).toBeGreaterThan(0);
    expect(found.setPairsPhotoLike).toBe(setPairsPhotoLike);
    expect(setPairsPhotoLike).toBeGreaterThan(0);
    expect(setPairsPhotoLike).toBeLessThan(setPairs);
    expect(found.codePairs.all).toEqual(codePairs);
    const key = (m: PairMinimum & { registered: string }) => `${m.full}/${m.whole}/${m.region}/${m.registered}`;
    expect(found.close.all.map(key).sort()).toEqual(close.map(key).sort());
    expect(close.length).toBeGreaterThan(20);
    expect(close.some((m) => m.registered === 'photo')).toBe(true);
    expect(found.unregistrable.distractors).toBe(entries.filter((e) => e.kind === 'distractor' && !registrable(e.result.registered)).length);
    expect(found.unregistrable.distractors).toBeGreaterThan(0);
  });
});
