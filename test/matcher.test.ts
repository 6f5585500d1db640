import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hammingDistance } from '../src/hashing/hamming.js';
import { createIndex, type IndexKind } from '../src/index/create.js';
import { Matcher, type VariantMatch } from '../src/index/matcher.js';
import { MultiIndexHashIndex } from '../src/index/mih.js';
import { flipBits, randomCode } from './helpers/codes.js';
import { seededRandom } from './helpers/random.js';

/** The specification, by brute force: per stored id its closest variant (the first on ties). */
function expectedVariants(stored: Map<number, Uint8Array>, variants: readonly Uint8Array[], radius: number): VariantMatch[] {
  const out: VariantMatch[] = [];
  for (const [id, code] of stored) {
    const distances = variants.map((v) => hammingDistance(v, code));
    const distance = Math.min(...distances);
    if (distance <= radius) out.push({ id, distance, variant: distances.indexOf(distance) });
  }
  return out.sort((a, b) => a.distance - b.distance || a.id - b.id);
}

const matcherOf = (kind: IndexKind) =>
  new Matcher(() => (kind === 'mih' ? new MultiIndexHashIndex({ expectedSize: 2000, alwaysProbe: true }) : createIndex(kind)));

/** One query image, many hashes of it (PDQ's 8 dihedral variants): one answer per stored hash. */
describe('Matcher.searchVariants', () => {
  it('keeps, per stored id, the closest variant, sorted by distance then id', () => {
    const next = seededRandom(41);
    const matcher = matcherOf('mih');
    const base = randomCode(next);
    // Stored 3 and 9 bits from variant 2, 5 bits from variant 0 (and far from the others).
    const variants = [randomCode(next), randomCode(next), base, randomCode(next)];
    const near = flipBits(base, 3, next);
    const nearer = flipBits(variants[0]!, 5, next);
    const farther = flipBits(base, 9, next);
    matcher.add('pdq', 30, near);
    matcher.add('pdq', 10, farther);
    matcher.add('pdq', 20, nearer);
    for (let id = 100; id < 400; id++) matcher.add('pdq', id, randomCode(next));

    expect(matcher.searchVariants('pdq', variants, 16)).toEqual([
      { id: 30, distance: 3, variant: 2 },
      { id: 20, distance: 5, variant: 0 },
      { id: 10, distance: 9, variant: 2 },
    ]);
    expect(matcher.searchVariants('pdq', variants, 4)).toEqual([{ id: 30, distance: 3, variant: 2 }]);
  });

  it('reports a hash several variants reach once, under the earliest of the closest', () => {
    const next = seededRandom(42);
    const matcher = matcherOf('mih');
    const code = randomCode(next);
    matcher.add('pdq', 7, code);
    const twoAway = flipBits(code, 2, next);
    const alsoTwoAway = flipBits(code, 2, next);
    // Variants 1 and 3 are both 2 bits away; variant 2 is 6 away.
    const variants = [randomCode(next), twoAway, flipBits(code, 6, next), alsoTwoAway];
    expect(matcher.searchVariants('pdq', variants, 31)).toEqual([{ id: 7, distance: 2, variant: 1 }]);
    // The exact variant wins wherever it is.
    expect(matcher.searchVariants('pdq', [...variants, code], 31)).toEqual([{ id: 7, distance: 0, variant: 4 }]);
  });

  it('answers nothing for an algorithm with no stored hash, and stays within its algorithm', () => {
    const next = seededRandom(43);
    const matcher = matcherOf('mih');
    const code = randomCode(next);
    matcher.add('blockhash', 1, code);
    expect(matcher.searchVariants('pdq', [code, flipBits(code, 1, next)], 31)).toEqual([]);
    expect(matcher.searchVariants('blockhash', [code], 0)).toEqual([{ id: 1, distance: 0, variant: 0 }]);
    expect(matcher.searchVariants('blockhash', [], 31)).toEqual([]);
  });

  for (const kind of ['mih', 'linear'] as const) {
    it(`equals the brute-force answer on random banks, variants and radii (${kind}, property)`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2 ** 31 }),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 0, max: 40 }),
          (seed, variantCount, radius) => {
            const next = seededRandom(seed);
            const matcher = matcherOf(kind);
            const stored = new Map<number, Uint8Array>();
            const image = randomCode(next);
            // Variants near each other (as dihedral hashes of flat images can be) and near stored codes.
            const variants = Array.from({ length: variantCount }, () => flipBits(image, Math.floor(next() * 24), next));
            for (let i = 0; i < 300; i++) {
              const id = 1 + Math.floor(next() * 1e6);
              if (stored.has(id)) continue;
              const from = i % 3 === 0 ? variants[i % variantCount]! : i % 3 === 1 ? image : randomCode(next);
              const code = flipBits(from, Math.floor(next() * 48), next);
              stored.set(id, code);
              matcher.add('pdq', id, code);
            }
            // Some withdrawn: they must not come back through any variant.
            for (const id of [...stored.keys()].filter((_, i) => i % 5 === 0)) {
              matcher.remove(id);
              stored.delete(id);
            }
            expect(matcher.searchVariants('pdq', variants, radius)).toEqual(expectedVariants(stored, variants, radius));
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
