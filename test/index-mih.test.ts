import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIndex } from '../src/index/create.js';
import { LinearScanIndex } from '../src/index/linear.js';
import { type MihOptions, MultiIndexHashIndex, chooseSubstringBits } from '../src/index/mih.js';
import { ballVolume, flipMasks } from '../src/index/mih/flip-masks.js';
import { makeLayout, substringKey } from '../src/index/mih/substrings.js';
import { toWords } from '../src/hashing/hamming.js';
import type { HashIndex } from '../src/index/types.js';
import { flipBits, randomCode } from './helpers/codes.js';
import { seededRandom } from './helpers/random.js';

/** An index forced through its tables (small test sets would otherwise be scanned). */
function both(options: MihOptions): [MultiIndexHashIndex, LinearScanIndex] {
  return [new MultiIndexHashIndex({ ...options, alwaysProbe: true }), new LinearScanIndex()];
}

function expectSame(mih: HashIndex, oracle: HashIndex, query: Uint8Array, radius: number): void {
  expect(mih.search(query, radius)).toEqual(oracle.search(query, radius));
}

describe('flip masks', () => {
  it('enumerates each mask within the weight exactly once, lightest first', () => {
    const { masks, weights } = flipMasks(10, 3);
    expect(masks.length).toBe(ballVolume(10, 3));
    expect(masks.length).toBe(1 + 10 + 45 + 120);
    expect(new Set(masks).size).toBe(masks.length);
    for (let i = 0; i < masks.length; i++) {
      let w = 0;
      for (let x = masks[i]!; x; x &= x - 1) w++;
      expect(w).toBe(weights[i]);
      expect(masks[i]!).toBeLessThan(1 << 10);
      if (i > 0) expect(weights[i]!).toBeGreaterThanOrEqual(weights[i - 1]!);
    }
  });
});

describe('substring layout', () => {
  it('reads each substring, including ones straddling two words, MSB first', () => {
    const next = seededRandom(1);
    const code = randomCode(next);
    const words = toWords(code);
    const bitAt = (i: number) => (code[i >> 3]! >> (7 - (i & 7))) & 1;
    for (const bits of [7, 13, 22, 26]) {
      const layout = makeLayout(Math.floor(256 / bits), bits);
      for (let j = 0; j < layout.count; j++) {
        let expected = 0;
        for (let i = 0; i < bits; i++) expected = expected * 2 + bitAt(j * bits + i);
        expect(substringKey(layout, j, words, 0)).toBe(expected);
      }
    }
  });

  it('rejects impossible layouts with the option named', () => {
    expect(() => makeLayout(11, 30)).toThrow(/substringBits/);
    expect(() => makeLayout(20, 16)).toThrow(/substrings/);
  });
});

describe('MultiIndexHashIndex equals the linear scan', () => {
  it('on planted neighbours at every distance 0..40, for several layouts and radii', () => {
    for (const options of [{ substringBits: 8 }, { substringBits: 12 }, { substringBits: 16, substrings: 11 }, { expectedSize: 2000 }]) {
      const next = seededRandom(42);
      const [mih, oracle] = both(options);
      const centres = Array.from({ length: 40 }, () => randomCode(next));
      let id = 0;
      for (const centre of centres) {
        for (let d = 0; d <= 40; d++) {
          const code = flipBits(centre, d, next);
          mih.add(id, code);
          oracle.add(id, code);
          id++;
        }
      }
      for (const centre of centres.slice(0, 10)) {
        for (const radius of [0, 1, 3, 8, 16, 31, 32, 40, 64]) expectSame(mih, oracle, centre, radius);
      }
      // Planting guarantees matches exist, so equality is not vacuous; the tables answered.
      expect(mih.search(centres[0]!, 31).length).toBeGreaterThanOrEqual(32);
      expect(mih.stats.probed).toBeGreaterThan(mih.stats.scanned);
    }
  });

  it('under random codes, random radii and interleaved adds and removes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom(6, 9, 14, 20),
        fc.array(fc.tuple(fc.constantFrom('add', 'add', 'remove', 'query'), fc.nat(), fc.integer({ min: 0, max: 64 })), {
          minLength: 20,
          maxLength: 300,
        }),
        (seed, bits, ops) => {
          const next = seededRandom(seed);
          const [mih, oracle] = both({ substringBits: bits });
          const codes: Uint8Array[] = [randomCode(next)];
          const live: number[] = [];
          let nextId = 0;
          for (const [op, pick, radius] of ops) {
            if (op === 'add') {
              // Half the codes are near an earlier one, so queries have neighbours.
              const base = codes[pick % codes.length]!;
              const code = next() < 0.5 ? flipBits(base, pick % 40, next) : randomCode(next);
              codes.push(code);
              mih.add(nextId, code);
              oracle.add(nextId, code);
              live.push(nextId++);
            } else if (op === 'remove' && live.length > 0) {
              const [id] = live.splice(pick % live.length, 1);
              expect(mih.remove(id!)).toBe(true);
              oracle.remove(id!);
            } else {
              const query = flipBits(codes[pick % codes.length]!, radius % 33, next);
              expect(mih.search(query, radius)).toEqual(oracle.search(query, radius));
            }
            expect(mih.size).toBe(oracle.size);
          }
          for (const id of live) expect(mih.has(id)).toBe(true);
          expect(mih.stats.abandoned).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('through every tier: parked bulk loads, delta inserts, merges, static holes, slot reuse, every slack (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom(8, 11, 12),
        fc.constantFrom(1, 4, 32),
        fc.constantFrom(undefined, 0, 1, 3),
        fc.constantFrom(1, 8, 1 << 30),
        fc.array(fc.tuple(fc.constantFrom('add', 'add', 'bulk', 'remove', 'remove', 'query'), fc.nat(), fc.integer({ min: 0, max: 48 })), {
          minLength: 20,
          maxLength: 250,
        }),
        (seed, bits, deltaCapacity, slack, parkMinimum, ops) => {
          const next = seededRandom(seed);
          // expectedSize 400: bulk batches are parked (scanned by queries) until the index holds 400.
          const mih = new MultiIndexHashIndex({ substringBits: bits, deltaCapacity, slack, parkMinimum, expectedSize: 400, alwaysProbe: true });
          const oracle = new LinearScanIndex();
          const codes: Uint8Array[] = [randomCode(next)];
          const live: number[] = [];
          let nextId = 0;
          const fresh = (pick: number): Uint8Array => {
            const code = next() < 0.6 ? flipBits(codes[pick % codes.length]!, pick % 24, next) : randomCode(next);
            codes.push(code);
            return code;
          };
          for (const [op, pick, radius] of ops) {
            if (op === 'add') {
              const code = fresh(pick);
              mih.add(nextId, code);
              oracle.add(nextId, code);
              live.push(nextId++);
            } else if (op === 'bulk') {
              const n = 1 + (pick % 40);
              const ids = new Uint32Array(n);
              const words = new Uint32Array(n * 8);
              for (let i = 0; i < n; i++) {
                const code = fresh(pick + i);
                ids[i] = nextId;
                words.set(toWords(code), i * 8);
                oracle.add(nextId, code);
                live.push(nextId++);
              }
              mih.addPacked(ids, words);
            } else if (op === 'remove' && live.length > 0) {
              const [id] = live.splice(pick % live.length, 1);
              expect(mih.remove(id!)).toBe(true);
              expect(mih.remove(id!)).toBe(false);
              oracle.remove(id!);
            } else {
              const query = flipBits(codes[pick % codes.length]!, radius % 33, next);
              expect(mih.search(query, radius)).toEqual(oracle.search(query, radius));
            }
            expect(mih.size).toBe(oracle.size);
          }
          const t = mih.tiers;
          expect(t.staticLive + t.deltaLive + t.pending).toBe(live.length);
          mih.compact();
          expect(mih.tiers).toMatchObject({ staticLive: live.length, deltaLive: 0, pending: 0, staticHoles: 0 });
          const query = codes[codes.length - 1]!;
          for (const radius of [0, 12, 31]) expect(mih.search(query, radius)).toEqual(oracle.search(query, radius));
          for (const id of live) expect(mih.has(id)).toBe(true);
          expect(mih.stats.abandoned).toBe(0);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('after many deletions, with the same answers and no leftover entries', () => {
    const next = seededRandom(7);
    const [mih, oracle] = both({ substringBits: 10 });
    const base = randomCode(next);
    const codes = Array.from({ length: 3000 }, (_, i) => flipBits(base, i % 50, next));
    codes.forEach((c, i) => {
      mih.add(i, c);
      oracle.add(i, c);
    });
    for (let i = 0; i < 3000; i += 3) {
      mih.remove(i);
      oracle.remove(i);
    }
    for (const radius of [0, 10, 31, 45]) expectSame(mih, oracle, base, radius);
    for (let i = 0; i < 3000; i++) if (i % 3 !== 0) mih.remove(i);
    expect(mih.size).toBe(0);
    expect(mih.search(base, 256)).toEqual([]);
  });

  it('matches batch and single queries, and dihedral-style groups of 8', () => {
    const next = seededRandom(9);
    const [mih, oracle] = both({ expectedSize: 5000 });
    const codes = Array.from({ length: 5000 }, () => randomCode(next));
    codes.forEach((c, i) => {
      mih.add(i * 7, c);
      oracle.add(i * 7, c);
    });
    const queries = Array.from({ length: 8 }, (_, i) => flipBits(codes[i * 11]!, i * 4, next));
    expect(mih.searchBatch(queries, 31)).toEqual(oracle.searchBatch(queries, 31));
    expect(mih.searchBatch(queries, 31).map((m) => m.length)).toEqual(queries.map(() => 1));
  });

  it('loads packed codes like one-by-one adds, and retunes as it grows', () => {
    const next = seededRandom(11);
    const n = 20_000;
    const ids = new Uint32Array(n);
    const words = new Uint32Array(n * 8);
    const codes: Uint8Array[] = [];
    const oracle = new LinearScanIndex();
    for (let i = 0; i < n; i++) {
      const code = i % 2 ? flipBits(codes[i - 1]!, i % 30, next) : randomCode(next);
      codes.push(code);
      ids[i] = 1_000_000 + i;
      words.set(toWords(code), i * 8);
      oracle.add(ids[i]!, code);
    }
    const packed = new MultiIndexHashIndex({ expectedSize: n, alwaysProbe: true });
    packed.addPacked(ids, words);
    const grown = new MultiIndexHashIndex({ expectedSize: 100, alwaysProbe: true });
    codes.forEach((c, i) => grown.add(ids[i]!, c));
    expect(grown.shape.substringBits).toBe(chooseSubstringBits(n));
    for (const i of [0, 1, 501, 19_999]) {
      for (const radius of [4, 16, 31]) {
        expectSame(packed, oracle, codes[i]!, radius);
        expectSame(grown, oracle, codes[i]!, radius);
      }
    }
    expect(packed.stats.scanned + grown.stats.scanned).toBe(0);
    expect(() => packed.addPacked(Uint32Array.of(5, ids[3]!), new Uint32Array(16))).toThrow(/already indexed/);
    expect(packed.has(5)).toBe(false);
    expect(packed.size).toBe(n);
  });

  it('finds ids already present when ascending batches skip lookups (the store loader path)', () => {
    const next = seededRandom(17);
    const batch = (from: number, to: number): [Uint32Array, Uint32Array] => {
      const ids = Uint32Array.from({ length: to - from }, (_, i) => from + i);
      const words = new Uint32Array(ids.length * 8);
      ids.forEach((_, i) => words.set(toWords(randomCode(next)), i * 8));
      return [ids, words];
    };
    const index = new MultiIndexHashIndex({ expectedSize: 1000 });
    index.add(150, randomCode(next)); // a live registration before the load reaches its page
    expect(index.addPacked(...batch(100, 200), { skipPresent: true })).toBe(99);
    expect(index.addPacked(...batch(200, 300), { skipPresent: true })).toBe(100);
    // Overlapping an earlier batch: not ascending above its top, so every id is looked up.
    expect(index.addPacked(...batch(250, 350), { skipPresent: true })).toBe(50);
    index.add(40, randomCode(next));
    expect(index.addPacked(...batch(350, 400), { skipPresent: true })).toBe(50);
    expect(() => index.addPacked(...batch(30, 41))).toThrow(/id 40 is already indexed/);
    expect(() => index.addPacked(...batch(399, 401))).toThrow(/id 399 is already indexed/);
    expect(index.has(30)).toBe(false);
    expect(index.size).toBe(301);
    // Ids from a batch out of order count as added one by one.
    const mixed = new MultiIndexHashIndex({ expectedSize: 1000 });
    mixed.addPacked(...batch(10, 20));
    const [ids, words] = batch(500, 510);
    mixed.addPacked(ids.reverse(), words);
    expect(mixed.addPacked(...batch(20, 600), { skipPresent: true })).toBe(570);
  });
});

describe('MultiIndexHashIndex contract', () => {
  it('handles ids: missing remove, duplicate add, re-add after remove, extreme ids', () => {
    const index = new MultiIndexHashIndex({ expectedSize: 100 });
    const next = seededRandom(3);
    const a = randomCode(next);
    expect(index.remove(1)).toBe(false);
    index.add(0xffffffff, a);
    index.add(0, a);
    expect(() => index.add(0, randomCode(next))).toThrow(/already indexed/);
    expect(index.search(a, 0)).toEqual([
      { id: 0, distance: 0 },
      { id: 0xffffffff, distance: 0 },
    ]);
    expect(index.remove(0)).toBe(true);
    expect(index.remove(0)).toBe(false);
    expect(index.has(0)).toBe(false);
    const b = flipBits(a, 5, next);
    index.add(0, b);
    expect(index.search(a, 5)).toEqual([
      { id: 0xffffffff, distance: 0 },
      { id: 0, distance: 5 },
    ]);
    expect(index.size).toBe(2);
  });

  it('validates ids, codes and radii', () => {
    const index = new MultiIndexHashIndex({ expectedSize: 10 });
    const code = new Uint8Array(32);
    expect(() => index.add(-1, code)).toThrow(RangeError);
    expect(() => index.add(2 ** 32, code)).toThrow(RangeError);
    expect(() => index.add(1, new Uint8Array(31))).toThrow(/32 bytes/);
    expect(() => index.search(code, -1)).toThrow(RangeError);
    expect(() => index.search(code, 257)).toThrow(RangeError);
    expect(() => index.search(code, 1.5)).toThrow(RangeError);
    expect(() => new MultiIndexHashIndex({ expectedSize: -3 })).toThrow(/expectedSize/);
    expect(index.search(code, 256)).toEqual([]);
    index.add(1, code);
    expect(index.search(Uint8Array.from({ length: 32 }, () => 255), 256)).toEqual([{ id: 1, distance: 256 }]);
    expect(index.search(Uint8Array.from({ length: 32 }, () => 255), 255)).toEqual([]);
  });

  it('reports memory that grows with its contents', () => {
    const index = new MultiIndexHashIndex({ expectedSize: 1000 });
    const empty = index.memoryBytes();
    const next = seededRandom(5);
    for (let i = 0; i < 5000; i++) index.add(i, randomCode(next));
    expect(index.memoryBytes()).toBeGreaterThan(empty + 5000 * 32);
  });
});

describe('createIndex', () => {
  it('builds either kind behind the same interface', () => {
    const code = new Uint8Array(32);
    for (const kind of ['mih', 'linear'] as const) {
      const index = createIndex(kind, { expectedSize: 10 });
      index.add(3, code);
      expect(index.search(code, 0)).toEqual([{ id: 3, distance: 0 }]);
    }
    expect(createIndex('mih')).toBeInstanceOf(MultiIndexHashIndex);
    expect(() => createIndex('faiss' as 'mih')).toThrow(/index kind/);
  });
});

describe('query planning', () => {
  it('scans when that is cheaper, probes a large index, and gives up on skewed buckets', () => {
    const next = seededRandom(13);
    const small = new MultiIndexHashIndex({ expectedSize: 100 });
    for (let i = 0; i < 50; i++) small.add(i, randomCode(next));
    small.search(randomCode(next), 31);
    expect(small.stats).toEqual({ probed: 0, scanned: 1, abandoned: 0 });

    const n = 50_000;
    const uniform = new MultiIndexHashIndex({ expectedSize: n });
    const codes = Array.from({ length: n }, () => randomCode(next));
    codes.forEach((code, i) => uniform.add(i, code));
    expect(uniform.search(flipBits(codes[123]!, 16, next), 16)).toEqual([{ id: 123, distance: 16 }]);
    expect(uniform.stats).toEqual({ probed: 1, scanned: 0, abandoned: 0 });

    // Every code identical: each probe of the exact bucket meets all N codes.
    const skewed = new MultiIndexHashIndex({ expectedSize: 20_000 });
    const same = randomCode(next);
    for (let i = 0; i < 20_000; i++) skewed.add(i, i % 1000 === 0 ? randomCode(next) : same);
    const far = flipBits(same, 20, next);
    const found = skewed.search(far, 20);
    expect(found.length).toBe(19_980);
    expect(skewed.stats.abandoned).toBe(1);
  });
});
