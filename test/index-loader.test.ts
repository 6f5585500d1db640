import { describe, expect, it } from 'vitest';
import { createIndex } from '../src/index/create.js';
import { LinearScanIndex } from '../src/index/linear.js';
import { Matcher } from '../src/index/matcher.js';
import { MultiIndexHashIndex } from '../src/index/mih.js';
import { IndexLoader, type IndexSource } from '../src/service/index-loader.js';
import { packBatch } from '../src/store/packed-pages.js';
import type { Change } from '../src/store/types.js';
import { collect, openTestStore, register, victim } from './store-helpers.js';

type Row = { id: number; algorithm: string; bytes: Uint8Array };

/**
 * Rows and a change log in memory, served like a store's indexPages and changesAfter: the
 * loader's own logic on its own (the SQLite tests below use the real store).
 */
function memorySource(rows: Row[]) {
  const log: Change[] = [];
  const listeners = new Set<() => void>();
  const source: IndexSource = {
    async *indexPages({ afterId = 0, pageSize = 10_000 } = {}) {
      const after = rows.filter((r) => r.id > afterId).sort((a, b) => a.id - b.id);
      for (let i = 0; i < after.length; i += pageSize) {
        const page = after.slice(i, i + pageSize);
        const bytes = new Uint8Array(page.length * 32);
        page.forEach((r, k) => bytes.set(r.bytes, 32 * k));
        yield packBatch({ ids: page.map((r) => r.id), algorithms: page.map((r) => r.algorithm), bytes });
      }
    },
    async lastSeq() {
      return log.length;
    },
    async changesAfter(after, limit) {
      return log.filter((c) => c.seq > after).slice(0, limit);
    },
    watchChanges(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  const common = (row: Row) => ({ seq: log.length + 1, hashId: row.id, ref: `h_${row.id}`, itemRef: `i_${row.id}`, role: 'full', algorithm: row.algorithm, at: '' });
  return {
    source,
    add(row: Row) {
      rows.push(row);
      log.push({ ...common(row), op: 'add', detail: null, bytes: row.bytes, quality: null });
      for (const listener of listeners) listener();
    },
    remove(row: Row) {
      rows.splice(rows.indexOf(row), 1);
      log.push({ ...common(row), op: 'remove' });
      for (const listener of listeners) listener();
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

describe('IndexLoader bulk path and change log', () => {
  it('loads every algorithm through addPacked, skips ids already indexed, then applies the log from the seq it noted', async () => {
    const rows = Array.from({ length: 25_000 }, (_, i) => ({ id: 3 * i + 1, algorithm: i % 5 === 0 ? 'blockhash' : 'pdq', bytes: code(i) }));
    for (const kind of ['mih', 'linear'] as const) {
      const memory = memorySource([...rows]);
      const matcher = new Matcher(() => createIndex(kind, { expectedSize: 30_000 }));
      // Registered live while the load runs: indexed already, must be skipped, not rejected.
      matcher.add('pdq', rows[7]!.id, rows[7]!.bytes);
      const loader = new IndexLoader(memory.source, matcher);
      const { hashes, seq } = await loader.load();
      expect([hashes, seq]).toEqual([rows.length - 1, 0]);
      expect(matcher.size('pdq')).toBe(20_000);
      expect(matcher.size('blockhash')).toBe(5_000);
      if (kind === 'mih') expect(matcher.indexOf('pdq')).toBeInstanceOf(MultiIndexHashIndex);
      else expect(matcher.indexOf('pdq')).toBeInstanceOf(LinearScanIndex);
      for (const i of [0, 7, 12_345, 24_999]) {
        const algorithm = rows[i]!.algorithm;
        expect(matcher.search(algorithm, rows[i]!.bytes, 0)).toEqual([{ id: rows[i]!.id, distance: 0 }]);
      }
      // Written later by another process: an add and a removal reach the index through the log.
      const later = { id: 100_000, algorithm: 'pdq', bytes: code(1_000_003) };
      memory.add(later);
      memory.remove(rows[12_346]!);
      expect(await loader.catchUp()).toEqual({ added: 1, removed: 1, more: false });
      expect(loader.seq).toBe(2);
      expect(await loader.catchUp()).toEqual({ added: 0, removed: 0, more: false });
      expect(matcher.search('pdq', later.bytes, 0)).toEqual([{ id: later.id, distance: 0 }]);
      expect(matcher.search('pdq', rows[12_346]!.bytes, 0)).toEqual([]);
      // Applying again what is already applied (this process's own writes) changes nothing.
      matcher.add('pdq', 100_003, code(7));
      memory.add({ id: 100_003, algorithm: 'pdq', bytes: code(7) });
      expect(await loader.catchUp()).toEqual({ added: 0, removed: 0, more: false });
      expect(matcher.size('pdq')).toBe(20_001);
    }
  });

  it('wakes on a hint, and goes on after failed reads from the seq it had reached', async () => {
    const memory = memorySource([]);
    let failures = 0;
    const flaky: IndexSource = {
      ...memory.source,
      async changesAfter(after, limit) {
        if (failures > 0) {
          failures--;
          throw new Error('connection lost');
        }
        return memory.source.changesAfter(after, limit);
      },
    };
    const matcher = new Matcher(() => createIndex('mih'));
    const loader = new IndexLoader(flaky, matcher);
    await loader.load();
    const errors: string[] = [];
    // A poll interval far longer than the test: only the hint can wake it.
    loader.follow({ pollMs: 60_000, onError: (error) => errors.push((error as Error).message) });
    try {
      const until = async (size: number) => {
        for (let i = 0; i < 500 && matcher.size() !== size; i++) await new Promise((resolve) => setTimeout(resolve, 5));
        expect(matcher.size()).toBe(size);
      };
      const one = { id: 1, algorithm: 'pdq', bytes: code(1) };
      memory.add(one);
      await until(1);
      failures = 2;
      memory.add({ id: 2, algorithm: 'pdq', bytes: code(2) });
      await until(2);
      expect(errors).toEqual(['connection lost', 'connection lost']);
      memory.remove(one);
      await until(1);
      expect(loader.seq).toBe(3);
    } finally {
      await loader.stop();
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
      caseIds.push((await register(store, { number: `RMP-LOAD-${c}`, secretHash: 'x', hashes }, victim)).case.id);
    }
    return { store, file, caseIds };
  }

  it('loads the same index as reading in turn, skips live registrations, then follows', async () => {
    const { store } = await storeWithCases(3, 12_000);
    const inTurn = new Matcher(() => createIndex('mih', { expectedSize: 40_000 }));
    const threaded = new Matcher(() => createIndex('mih', { expectedSize: 40_000 }));
    threaded.add('pdq', 5, code(4)); // registered live while the load runs
    const inTurnStore: IndexSource = {
      indexPages: (options) => store.indexPages({ ...options, readAhead: 0 }),
      lastSeq: () => store.lastSeq(),
      changesAfter: (after, limit) => store.changesAfter(after, limit),
      watchChanges: (listener) => store.watchChanges(listener),
    };
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
    await register(store, { number: 'RMP-LOAD-LATER', secretHash: 'x', hashes: [{ algorithm: 'pdq', bytes: code(99_999), quality: 90 }] }, victim);
    expect(await loader.catchUp()).toEqual({ added: 1, removed: 0, more: false });
    expect(threaded.search('pdq', code(99_999), 0)).toEqual([{ id: 36_001, distance: 0 }]);
  });

  it('follows a large import a few pages per event-loop turn, without stalling it', async () => {
    const { store } = await storeWithCases(1, 10);
    const matcher = new Matcher(() => createIndex('mih', { expectedSize: 100_000 }));
    const loader = new IndexLoader(store, matcher, { pageSize: 10_000 });
    await loader.load();
    const imported = Array.from({ length: 55_000 }, (_, i) => ({ algorithm: 'pdq', bytes: code(200_000 + i), quality: 90 }));
    await register(store, { number: 'RMP-LOAD-IMPORT', secretHash: 'x', hashes: imported }, victim);
    expect(await loader.catchUp(2)).toEqual({ added: 20_000, removed: 0, more: true });
    expect(matcher.size('pdq')).toBe(20_010);
    // follow() indexes the rest a page per turn: a callback of the turn in between sees
    // the index half-way (40,010), never one long stall from 20,010 to 55,010.
    const sizesSeen = new Set<number>();
    let watching = true;
    const watch = () => {
      sizesSeen.add(matcher.size('pdq'));
      if (watching) setImmediate(watch);
    };
    watch();
    loader.follow({ pollMs: 5 });
    try {
      while (matcher.size('pdq') < 55_010) await new Promise((resolve) => setTimeout(resolve, 1));
    } finally {
      await loader.stop();
      watching = false;
    }
    expect([...sizesSeen]).toContain(40_010);
    expect(matcher.search('pdq', code(254_999), 0)).toEqual([{ id: 55_010, distance: 0 }]);
    expect(await loader.catchUp()).toEqual({ added: 0, removed: 0, more: false });
  });

  it('applies a withdrawal made by another process on the same database', async () => {
    const { store, file, caseIds } = await storeWithCases(2, 100);
    const matcher = new Matcher(() => createIndex('mih', { expectedSize: 1_000 }));
    const loader = new IndexLoader(store, matcher);
    await loader.load();
    loader.follow({ pollMs: 10 });
    try {
      const other = openTestStore(file).store;
      expect(await other.withdrawCase(caseIds[0]!, victim)).toHaveLength(100);
      for (let i = 0; i < 300 && matcher.size() > 100; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(matcher.size()).toBe(100);
      expect(matcher.search('pdq', code(5), 0)).toEqual([]);
      expect(matcher.search('blockhash', code(105), 0)).toEqual([{ id: 106, distance: 0 }]);
    } finally {
      await loader.stop();
    }
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
