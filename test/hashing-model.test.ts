import { describe, expect, it } from 'vitest';
import {
  bitsToBytes,
  bytesToHex,
  codeDistance,
  getAlgorithm,
  hammingDistance,
  hammingWords,
  hexToBytes,
  listAlgorithms,
  parseHash,
  popcount32,
  readCode,
  scanWords,
  toWords,
  HashFormatError,
  UnknownAlgorithmError,
} from '../src/hashing/index.js';
import { randomCode } from './helpers/codes.js';
import { seededRandom } from './helpers/random.js';

describe('hash model', () => {
  it('round-trips 64 lowercase hex characters through 32 bytes', () => {
    const hex = '0123456789abcdef'.repeat(4);
    const bytes = hexToBytes(hex);
    expect(bytes).toHaveLength(32);
    expect(bytes[0]).toBe(0x01);
    expect(bytes[31]).toBe(0xef);
    expect(bytesToHex(bytes)).toBe(hex);
  });

  it.each([
    ['63 characters', 'a'.repeat(63), /has 63 characters/],
    ['65 characters', 'a'.repeat(65), /has 65 characters/],
    ['uppercase', 'A'.repeat(64), /uppercase/],
    ['non-hex', 'z'.repeat(64), /other than 0-9 and a-f/],
    ['spaces', ` ${'a'.repeat(62)} `, /other than 0-9 and a-f/],
  ])('rejects %s with a message saying why', (_name, hex, why) => {
    expect(() => hexToBytes(hex)).toThrow(HashFormatError);
    expect(() => hexToBytes(hex)).toThrow(why);
  });

  it('packs bits most significant first, as hex reads', () => {
    expect(bytesToHex(bitsToBytes([1, 0, 0, 0, 0, 0, 0, 1, 0, 1]))).toBe('8140');
  });

  it('computes Hamming distance in both layouts', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
    const a = hexToBytes('f'.repeat(64));
    const b = hexToBytes('0'.repeat(64));
    const c = hexToBytes(`${'0'.repeat(63)}3`);
    expect(hammingDistance(a, b)).toBe(256);
    expect(hammingDistance(b, c)).toBe(2);
    expect(hammingDistance(a, a)).toBe(0);
    expect(hammingWords(toWords(a), 0, toWords(c))).toBe(254);
    // Word k holds hex characters 8k..8k+7, and readCode undoes it.
    const counting = hexToBytes('0123456789abcdef'.repeat(4));
    expect(toWords(counting)[1]).toBe(0x89abcdef);
    const two = new Uint32Array(16);
    two.set(toWords(c), 8);
    expect(bytesToHex(readCode(two, 1))).toBe(`${'0'.repeat(63)}3`);
    // Two packed sets compared in place: code 1 of `two` (c) against code 0 of a's words.
    expect(codeDistance(two, 1, toWords(a), 0)).toBe(254);
    expect(codeDistance(two, 0, two, 1)).toBe(2);
    expect(() => hammingDistance(a, new Uint8Array(31))).toThrow(/differ in length/);
  });

  it('scans packed codes for those within a radius, in order, with their distances', () => {
    const next = seededRandom(21);
    const codes = Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? hexToBytes('0'.repeat(64)) : randomCode(next)));
    const words = new Uint32Array(codes.length * 8);
    codes.forEach((code, i) => words.set(toWords(code), i * 8));
    const query = randomCode(next);
    for (const radius of [0, 100, 128, 140, 256]) {
      const hits = [7];
      const distances = [9]; // appended to, not replaced
      scanWords(words, codes.length, toWords(query), radius, hits, distances);
      const expected = codes.map((code, i) => [i, hammingDistance(code, query)]).filter(([, d]) => d! <= radius);
      expect(hits).toEqual([7, ...expected.map(([i]) => i)]);
      expect(distances).toEqual([9, ...expected.map(([, d]) => d)]);
    }
    // Only the first `count` codes are read.
    const firstTen: number[] = [];
    scanWords(words, 10, toWords(query), 256, firstTen, []);
    expect(firstTen).toEqual([...Array(10).keys()]);

  });

  it('knows its algorithms through one registry', () => {
    expect(listAlgorithms().map((a) => a.name)).toEqual(['blockhash', 'pdq']);
    for (const a of listAlgorithms()) {
      expect(a.bits).toBe(256);
      expect(a.defaultThreshold).toBeGreaterThan(0);
      expect(a.defaultThreshold).toBeLessThan(128);
    }
    expect(getAlgorithm('pdq').hasDihedral).toBe(true);
    expect(() => getAlgorithm('phash')).toThrow(UnknownAlgorithmError);
    expect(() => getAlgorithm('phash')).toThrow('unknown hash algorithm "phash" (known: blockhash, pdq)');
  });

  it('parses wire hashes with their quality', () => {
    const parsed = parseHash({ algorithm: 'pdq', value: 'e'.repeat(64), quality: 77 });
    expect(parsed.algorithm.name).toBe('pdq');
    expect(parsed.quality).toBe(77);
    expect(() => parseHash({ algorithm: 'pdq', value: 'e'.repeat(64), quality: 101 })).toThrow(/0 to 100/);
    expect(() => parseHash({ algorithm: 'blockhash', value: 'e'.repeat(64), quality: 5 })).toThrow(/no quality/);
  });
});
