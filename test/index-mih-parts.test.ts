import { describe, expect, it } from 'vitest';
import { toWords } from '../src/hashing/hamming.js';
import { CandidateTable } from '../src/index/mih/candidates.js';
import { DeltaTier } from '../src/index/mih/delta-tier.js';
import { IdSlotTable } from '../src/index/mih/id-table.js';
import { makeLayout } from '../src/index/mih/substrings.js';
import { randomCode } from './helpers/codes.js';
import { seededRandom } from './helpers/random.js';

/** The multi-index hash's parts on their own; test/index-mih.test.ts checks the whole against a linear scan. */
describe('CandidateTable', () => {
  it('credits a candidate until its gains reach the need, and reports it once per query', () => {
    const table = new CandidateTable();
    table.begin(4);
    expect([table.credit(7, 1, 3), table.credit(7, 1, 3), table.credit(7, 1, 3)]).toEqual([false, false, true]);
    expect(table.credit(7, 5, 3)).toBe(false); // already reported
    expect(table.credit(8, 3, 3)).toBe(true);
    expect(table.credit(8, 1, 3)).toBe(false);
    table.begin(4); // the next query starts from nothing
    expect(table.credit(7, 2, 3)).toBe(false);
    expect(table.credit(8, 1, 1)).toBe(true);
  });

  it('keeps the current query’s gains when it outgrows its size', () => {
    const table = new CandidateTable();
    table.begin(1);
    const before = table.byteLength;
    const slots = Array.from({ length: 20_000 }, (_, i) => i * 7919);
    expect(slots.some((slot) => table.credit(slot, 1, 2))).toBe(false);
    expect(table.byteLength).toBeGreaterThan(before);
    expect(slots.every((slot) => table.credit(slot, 1, 2))).toBe(true);
  });

  it('forgets earlier queries when its generation counter wraps around', () => {
    const table = new CandidateTable();
    table.begin(1);
    expect(table.credit(42, 1, 2)).toBe(false);
    // 2^24 − 1 queries later the 24-bit counter wraps and is back at that query's value:
    // the old entry must not count.
    for (let i = 0; i < 2 ** 24 - 1; i++) table.begin(1);
    expect(table.credit(42, 1, 2)).toBe(false);
    expect(table.credit(42, 1, 2)).toBe(true);
  });
});

describe('DeltaTier', () => {
  it('refuses to link past its capacity instead of dropping entries', () => {
    const layout = makeLayout(16, 16);
    const delta = new DeltaTier(layout, 2);
    const words = new Uint32Array(3 * 8);
    const next = seededRandom(1);
    for (let i = 0; i < 3; i++) words.set(toWords(randomCode(next)), i * 8);
    delta.link(words, 0);
    expect(() => delta.linkBatch(words, Uint32Array.of(1, 2))).toThrow(/do not fit/);
    delta.link(words, 1);
    expect(delta.full).toBe(true);
    expect(() => delta.link(words, 2)).toThrow(/do not fit/);
    delta.unlink(words, 0);
    const live = new Uint32Array(2);
    expect(delta.collect(live, 0)).toBe(1);
    expect(live[0]).toBe(1);
  });
});

describe('IdSlotTable', () => {
  it('maps ids to slots through growth and backward-shift deletes (against a Map)', () => {
    const table = new IdSlotTable(4);
    const ids = new Uint32Array(5000);
    const reference = new Map<number, number>();
    const next = seededRandom(2);
    let slots = 0;
    for (let step = 0; step < 20_000; step++) {
      const id = Math.floor(next() * 3000);
      if (reference.has(id)) {
        expect(table.delete(id, ids)).toBe(true);
        reference.delete(id);
      } else if (slots < ids.length) {
        ids[slots] = id;
        table.insert(id, slots, ids);
        reference.set(id, slots++);
      }
    }
    for (let id = 0; id < 3000; id++) expect(table.get(id, ids)).toBe(reference.get(id) ?? -1);
    expect(table.delete(123_456, ids)).toBe(false);
  });
});
