import { describe, expect, it } from 'vitest';
import { genuineHistograms, hexToWords, impostorHistograms, matchDistance, packCodes } from '../src/eval/distances.js';

// 32-bit codes keep the hand computation readable.
const ZERO = '00000000';
const ONE_BIT = '00000001';
const FOUR_BITS = '0000000f';
const ALL = 'ffffffff';

describe('packed codes', () => {
  it('reads hex as big-endian 32-bit words', () => {
    const out = new Uint32Array(2);
    hexToWords('80000000000000ff', out, 0);
    expect([...out]).toEqual([0x80000000, 0xff]);
    expect(() => hexToWords('abc', out, 0)).toThrow(RangeError);
  });

  it('genuine pairs compare each variant with its own original, per transformation', () => {
    const set = packCodes(32, 1, [
      { source: 0, variant: 0, hashes: [ZERO] },
      { source: 0, variant: 1, hashes: [ONE_BIT] }, // distance 1
      { source: 0, variant: 2, hashes: [FOUR_BITS] }, // distance 4
      { source: 1, variant: 0, hashes: [ALL] },
      { source: 1, variant: 1, hashes: [ALL] }, // distance 0
    ]);
    const g = genuineHistograms(set, 2);
    expect(g.byTransformation[0]![1]).toBe(1);
    expect(g.byTransformation[0]![0]).toBe(1);
    expect(g.byTransformation[1]![4]).toBe(1);
    expect(g.overall.reduce((a, b) => a + b, 0)).toBe(3);
  });

  it('impostor pairs are every pair of entries from different originals', () => {
    const set = packCodes(32, 1, [
      { source: 0, variant: 0, hashes: [ZERO] },
      { source: 0, variant: 1, hashes: [ONE_BIT] },
      { source: 1, variant: 0, hashes: [ALL] },
      { source: 1, variant: 1, hashes: [FOUR_BITS] },
    ]);
    const { all, originals, closest } = impostorHistograms(set);
    // pairs: (0,2)=32 (0,3)=4 (1,2)=31 (1,3)=3 ; same-source pairs excluded
    expect(all.reduce((a, b) => a + b, 0)).toBe(4);
    expect(all[32]).toBe(1);
    expect(all[4]).toBe(1);
    expect(all[31]).toBe(1);
    expect(all[3]).toBe(1);
    expect(originals.reduce((a, b) => a + b, 0)).toBe(1);
    expect(originals[32]).toBe(1);
    expect(closest).toEqual({ a: 1, b: 3, distance: 3 });
  });

  it('dihedral matching takes the minimum over the registered side’s 8 hashes, for genuine and impostor alike', () => {
    const dihedral = (own: string, match: string): string[] => [own, ALL, ALL, match, ALL, ALL, ALL, ALL];
    const set = packCodes(32, 8, [
      { source: 0, variant: 0, hashes: dihedral(ZERO, 'f0f0f0f0') },
      // a rotated variant: far from the own hash, 1 bit from the registered rotate270 hash
      { source: 0, variant: 1, hashes: dihedral('f0f0f0f1', ZERO) },
      { source: 1, variant: 0, hashes: dihedral('0000ffff', ZERO) },
    ]);
    expect(matchDistance(set, 0, 1)).toBe(1);
    const g = genuineHistograms(set, 1);
    expect(g.overall[1]).toBe(1);
    // impostor (0 → 2): min(d(0, 0000ffff)=16, d(f0f0f0f0, 0000ffff)=16, d(ALL,...)=16) = 16
    // impostor (1 → 2): min(d(f0f0f0f1, 0000ffff)=15, d(ZERO, 0000ffff)=16, ...) = 15
    const { all } = impostorHistograms(set);
    expect(all[16]).toBe(1);
    expect(all[15]).toBe(1);
  });

  it('rejects codes of the wrong width', () => {
    expect(() => packCodes(64, 1, [{ source: 0, variant: 0, hashes: [ZERO] }])).toThrow(/hash of 32 bits in a 64-bit set/);
  });
});
