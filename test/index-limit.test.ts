import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearScanIndex } from '../src/index/linear.js';
import { Matcher } from '../src/index/matcher.js';
import { MultiIndexHashIndex } from '../src/index/mih.js';
import { closestMatches, type HashIndex } from '../src/index/types.js';

/** A cluster: codes a few bits from one centre, many at equal distances (ties decide by id). */
const clusteredCodes = fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 4 }), { minLength: 1, maxLength: 300 }).map((flips) =>
  flips.map((bits) => {
    const code = new Uint8Array(32).fill(0x5a);
    for (const b of bits) code[b >> 3]! ^= 0x80 >> (b & 7);
    return code;
  }),
);

/** Issue 10 item 6: an index answers the `limit` closest matches without building the rest. */
describe('search with a limit', () => {
  it('equals the full answer cut at the limit, for every index kind and tier (property)', () => {
    fc.assert(
      fc.property(clusteredCodes, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 60 }), fc.boolean(), (codes, radius, limit, probe) => {
        const indexes: HashIndex[] = [new LinearScanIndex(), new MultiIndexHashIndex({ alwaysProbe: probe }), new MultiIndexHashIndex()];
        // Ids out of insertion order, so that ties are not broken by accident.
        codes.forEach((code, i) => indexes.forEach((index) => index.add((i * 7919) % 100_003, code)));
        const query = codes[0]!;
        const full = new LinearScanIndex();
        codes.forEach((code, i) => full.add((i * 7919) % 100_003, code));
        const expected = full.search(query, radius).slice(0, limit);
        for (const index of indexes) {
          expect(index.search(query, radius, limit)).toEqual(expected);
          expect(index.searchBatch([query, query], radius, limit)).toEqual([expected, expected]);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('keeps the closest ids over several query variants', () => {
    fc.assert(
      fc.property(clusteredCodes, fc.integer({ min: 1, max: 20 }), (codes, limit) => {
        const matcher = new Matcher(() => new MultiIndexHashIndex());
        codes.forEach((code, i) => matcher.add('pdq', i, code));
        const variants = [codes[0]!, codes[codes.length - 1]!];
        expect(matcher.searchVariants('pdq', variants, 6, limit)).toEqual(matcher.searchVariants('pdq', variants, 6).slice(0, limit));
      }),
      { numRuns: 100 },
    );
  });

  it('closestMatches counts by distance, then sorts only what it keeps', () => {
    const distances = [5, 1, 3, 1, 0, 3, 3];
    const ids = [10, 11, 12, 13, 14, 15, 16];
    expect(closestMatches(7, (i) => ids[i]!, (i) => distances[i]!, 4)).toEqual([
      { id: 14, distance: 0 },
      { id: 11, distance: 1 },
      { id: 13, distance: 1 },
      { id: 12, distance: 3 },
    ]);
    expect(closestMatches(7, (i) => ids[i]!, (i) => distances[i]!, 0)).toEqual([]);
    expect(() => new LinearScanIndex().search(new Uint8Array(32), 3, -1)).toThrow(/limit/);
  });
});
