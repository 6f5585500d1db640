import { describe, expect, it } from 'vitest';
import { createIndex } from '../src/index/create.js';
import { LinearScanIndex } from '../src/index/linear.js';
import { Matcher } from '../src/index/matcher.js';
import { MultiIndexHashIndex } from '../src/index/mih.js';
import { IndexLoader } from '../src/service/index-loader.js';
import type { HashBatch, Store } from '../src/store/types.js';

/** A store holding only rows, paged like the SQLite store's iterateHashBatches. */
function fakeStore(rows: { id: number; algorithm: string; bytes: Uint8Array }[]): Store {
  return {
    *iterateHashBatches(batchSize = 10_000, afterId = 0): IterableIterator<HashBatch> {
      const after = rows.filter((r) => r.id > afterId).sort((a, b) => a.id - b.id);
      for (let i = 0; i < after.length; i += batchSize) {
        const page = after.slice(i, i + batchSize);
        const bytes = new Uint8Array(page.length * 32);
        page.forEach((r, k) => bytes.set(r.bytes, 32 * k));
        yield { ids: page.map((r) => r.id), algorithms: page.map((r) => r.algorithm), bytes };
      }
    },
  } as unknown as Store;
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
    const store = fakeStore(rows);
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
      expect(loader.catchUp()).toBe(1);
      expect(loader.catchUp()).toBe(0);
      expect(matcher.search('pdq', later.bytes, 0)).toEqual([{ id: later.id, distance: 0 }]);
      rows.pop();
    }
  });
});
