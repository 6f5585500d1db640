import { describe, expect, it } from 'vitest';
import { createIndex } from '../src/index/create.js';
import { LinearScanIndex } from '../src/index/linear.js';
import { Matcher } from '../src/index/matcher.js';
import { MultiIndexHashIndex } from '../src/index/mih.js';
import { IndexLoader } from '../src/service/index-loader.js';
import { packBatch } from '../src/store/packed-pages.js';
import type { HashStore } from '../src/store/types.js';
import { collect, openTestStore, victim } from './store-helpers.js';

/** Rows in memory, paged like a store's indexPages. */
function rowsStore(rows: { id: number; algorithm: string; bytes: Uint8Array }[]): Pick<HashStore, 'indexPages'> {
  return {
    async *indexPages({ afterId = 0, pageSize = 10_000 } = {}) {
      const after = rows.filter((r) => r.id > afterId).sort((a, b) => a.id - b.id);
      for (let i = 0; i < after.length; i += pageSize) {
        const page = after.slice(i, i + pageSize);
        const bytes = new Uint8Array(page.length * 32);
        page.forEach((r, k) => bytes.set(r.bytes, 32 * k));
        yield packBatch({ ids: page.map((r) => r.id), algorithms: page.map((r) => r.algorithm), bytes });
      }
    },
  };
}

function code(seed: number): Uint8Array {
  const out = new Uint8Array(32);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < 32; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('IndexLoader bulk path', () => {
  it('loads every algorithm through addPacked, skips ids already indexed, and follows new rows', async () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => ({ id: 3 * i + 1, algorithm: i % 5 === 0 ? 'blockhash' : 'pdq', bytes: code(i) }));
    const store = rowsStore(rows);
    for (const kind of ['mih', 'linear'] as const) {
      const matcher = new Matcher(() => createIndex(kind, { expectedSize: 30_000 }));
      // Registered live while the load runs: indexed already, must be skipped, not rejected.
      matcher.add('pdq', rows[7]!.id, rows[7]!.bytes);
      const loader = new IndexLoader(store, matcher);
      const { hashes } = await loader.load();
      expect(hashes).toBe(rows.length - 1);
      expect(matcher.size('pdq')).toBe(20_000);
      expect(matcher.size('blockhash')).toBe(5_000);
      if (kind === 'mih') expect(matcher.indexOf('pdq')).toBeInstanceOf(MultiIndexHashIndex);
      else expect(matcher.indexOf('pdq')).toBeInstanceOf(LinearScanIndex);
      for (const i of [0, 7, 12_345, 24_999]) {
        const algorithm = rows[i]!.algorithm;
        expect(matcher.search(algorithm, rows[i]!.bytes, 0)).toEqual([{ id: rows[i]!.id, distance: 0 }]);
      }
      // Rows written later (another process) are picked up above the last id seen.
      const later = { id: 100_000, algorithm: 'pdq', bytes: code(1_000_003) };
      rows.push(later);
      expect(await loader.catchUp()).toEqual({ added: 1, more: false });
      expect(await loader.catchUp()).toEqual({ added: 0, more: false });
      expect(matcher.search('pdq', later.bytes, 0)).toEqual([{ id: later.id, distance: 0 }]);
      rows.pop();
    }
  });
});

describe('IndexLoader on a real SQLite store, pages read ahead by a worker thread', () => {
  /** A store file of `cases` cases, `perCase` pdq hashes each (ids 1..cases*perCase in case order). */
  async function storeWithCases(cases: number, perCase: number) {
    const { store, file } = openTestStore();
    const caseIds: number[] = [];
    for (let c = 0; c < cases; c++) {
      const hashes = Array.from({ length: perCase }, (_, i) => ({ algorithm: c === 1 ? 'blockhash' : 'pdq', bytes: code(c * perCase + i), quality: 90 }));
      caseIds.push((await store.createCase({ number: `RMP-LOAD-${c}`, secretHash: 'x', hashes }, victim)).case.id);
    }
    return { store, file, caseIds };
  }

  it('loads the same index as reading in turn, skips live registrations, then follows', async () => {
    const { store } = await storeWithCases(3, 12_000);
    const inTurn = new Matcher(() => createIndex('mih', { expectedSize: 40_000 }));
    const threaded = new Matcher(() => createIndex('mih', { expectedSize: 40_000 }));
    threaded.add('pdq', 5, code(4)); // registered live while the load runs
    const inTurnStore: Pick<HashStore, 'indexPages'> = { indexPages: (options) => store.indexPages({ ...options, readAhead: 0 }) };
    expect((await new IndexLoader(inTurnStore, inTurn).load()).hashes).toBe(36_000);
    const loader = new IndexLoader(store, threaded);
    expect((await loader.load()).hashes).toBe(35_999);
    for (const matcher of [inTurn, threaded]) {
      expect(matcher.size('pdq')).toBe(24_000);
      expect(matcher.size('blockhash')).toBe(12_000);
    }
    for (const seed of [0, 4, 11_999, 12_000, 23_999, 35_999]) {
      const algorithm = seed >= 12_000 && seed < 24_000 ? 'blockhash' : 'pdq';
      expect(threaded.search(algorithm, code(seed), 0)).toEqual([{ id: seed + 1, distance: 0 }]);
      expect(threaded.search(algorithm, code(seed), 31)).toEqual(inTurn.search(algorithm, code(seed), 31));
    }
    await store.createCase({ number: 'RMP-LOAD-LATER', secretHash: 'x', hashes: [{ algorithm: 'pdq', bytes: code(99_999), quality: 90 }] }, victim);
    expect(await loader.catchUp()).toEqual({ added: 1, more: false });
    expect(threaded.search('pdq', code(99_999), 0)).toEqual([{ id: 36_001, distance: 0 }]);
  });

  it('follows a large import a few pages per event-loop turn, without stalling it', async () => {
    const { store } = await storeWithCases(1, 10);
    const matcher = new Matcher(() => createIndex('mih', { expectedSize: 100_000 }));
    const loader = new IndexLoader(store, matcher);
    await loader.load();
    const imported = Array.from({ length: 55_000 }, (_, i) => ({ algorithm: 'pdq', bytes: code(200_000 + i), quality: 90 }));
    await store.createCase({ number: 'RMP-LOAD-IMPORT', secretHash: 'x', hashes: imported }, victim);
    expect(await loader.catchUp(2)).toEqual({ added: 20_000, more: true });
    expect(matcher.size('pdq')).toBe(20_010);
    // follow() indexes the rest two pages per turn: a callback of the turn in between sees
    // the index half-way (40,010), never one long stall from 20,010 to 55,010.
    const sizesSeen = new Set<number>();
    let watching = true;
    const watch = () => {
      sizesSeen.add(matcher.size('pdq'));
      if (watching) setImmediate(watch);
    };
    watch();
    loader.follow(5);
    try {
      while (matcher.size('pdq') < 55_010) await new Promise((resolve) => setTimeout(resolve, 1));
    } finally {
      await loader.stop();
      watching = false;
    }
    expect([...sizesSeen]).toContain(40_010);
    expect(matcher.search('pdq', code(254_999), 0)).toEqual([{ id: 55_010, distance: 0 }]);
    expect(await loader.catchUp()).toEqual({ added: 0, more: false });
  });

  it('keeps out hashes withdrawn after the reader read their page but before it was indexed', async () => {
    const { store, caseIds } = await storeWithCases(3, 10_000);
    const matcher = new Matcher(() => createIndex('mih', { expectedSize: 40_000 }));
    // The reader runs ahead: every page is read before any is indexed.
    const pages = await collect(store.indexPages({ pageSize: 10_000, readAhead: 4 }));
    expect(pages.map((p) => p.rows)).toEqual([10_000, 10_000, 10_000]);
    matcher.beginLoad();
    const removed = await store.withdrawCase(caseIds[2]!, victim);
    for (const id of removed) matcher.remove(id);
    const added = pages.flatMap((p) => p.groups).reduce((sum, g) => sum + matcher.addPacked(g.algorithm, g.ids, g.words), 0);
    matcher.endLoad();
    expect(added).toBe(20_000);
    expect(matcher.size('pdq')).toBe(10_000);
    expect(matcher.search('pdq', code(25_000), 0)).toEqual([]);
    expect(matcher.search('pdq', code(5_000), 0)).toEqual([{ id: 5_001, distance: 0 }]);
    // After the load, an add is an add again.
    matcher.add('pdq', removed[0]! + 1_000_000, code(25_000));
    expect(matcher.search('pdq', code(25_000), 0)).toHaveLength(1);
  });
});
