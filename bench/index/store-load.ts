import { createIndex } from '../../src/index/create.js';
import { Matcher } from '../../src/index/matcher.js';
import { MultiIndexHashIndex } from '../../src/index/mih.js';
import { IndexLoader, type IndexSource } from '../../src/service/index-loader.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { round2 } from '../machine.js';
import { seconds } from './measure.js';
import { ensureStoreDatabase } from './store-db.js';

export interface StoreLoadResult {
  n: number;
  /** Streaming every row through `indexPages` (10k pages, read and packed in turn), nothing indexed. */
  streamSeconds: number;
  /**
   * Store → IndexLoader.load() → Matcher (multi-index hash sized from countHashes()) as the
   * service does it: pages read by a worker thread while the main thread indexes them.
   */
  loadSeconds: number;
  rowsPerSecond: number;
  /** Process CPU seconds during the load, both threads (the machine is shared). */
  loadCpuSeconds: number;
  /** The same load with pages read on the main thread in turn (no read-ahead). */
  inTurnLoadSeconds: number;
  indexed: number;
  merges: number;
}

/**
 * The real start-up path, end to end: a SQLite store of n seeded codes (built once under
 * `dir`, see store-db.ts) loaded into a Matcher the way the service does at start-up.
 */
export async function measureStoreLoad(dir: string, n: number, log: (m: string) => void): Promise<StoreLoadResult> {
  const file = await ensureStoreDatabase(dir, n, log);
  const store = openSqliteStore({ path: file, readonly: true });
  try {
    const count = await store.countHashes();
    if (count !== n) throw new Error(`store at ${file} holds ${count} hashes, expected ${n}`);
    let start = process.hrtime.bigint();
    let rows = 0;
    for await (const page of store.indexPages({ pageSize: 10_000 })) rows += page.rows;
    const streamSeconds = seconds(start);
    if (rows !== n) throw new Error(`streamed ${rows} rows, expected ${n}`);

    const expectedSize = Math.max(count, 1000);
    // The baseline: the same store with its read-ahead (and so its reader thread) turned off.
    const inTurnStore: IndexSource = {
      indexPages: (options) => store.indexPages({ ...options, readAhead: 0 }),
      lastSeq: () => store.lastSeq(),
      changesAfter: (after, limit) => store.changesAfter(after, limit),
      watchChanges: (listener) => store.watchChanges(listener),
    };
    const load = async (source: IndexSource) => {
      const matcher = new Matcher(() => createIndex('mih', { expectedSize }));
      const loader = new IndexLoader(source, matcher);
      const cpu = process.cpuUsage();
      const begin = process.hrtime.bigint();
      const { hashes } = await loader.load();
      const elapsed = seconds(begin);
      const used = process.cpuUsage(cpu);
      const indexed = matcher.size('pdq');
      if (hashes !== n || indexed !== n) throw new Error(`loaded ${hashes} (${indexed} indexed), expected ${n}`);
      const index = matcher.indexOf('pdq');
      const merges = index instanceof MultiIndexHashIndex ? index.tiers.merges : 0;
      // Only figures leave: each index is garbage before the next load starts.
      return { elapsed, cpuSeconds: (used.user + used.system) / 1e6, indexed, merges };
    };
    const inTurn = await load(inTurnStore);
    const { elapsed: loadSeconds, cpuSeconds, indexed, merges } = await load(store);
    return {
      n,
      streamSeconds: round2(streamSeconds),
      loadSeconds: round2(loadSeconds),
      rowsPerSecond: Math.round(n / loadSeconds),
      loadCpuSeconds: round2(cpuSeconds),
      inTurnLoadSeconds: round2(inTurn.elapsed),
      indexed,
      merges,
    };
  } finally {
    await store.close();
  }
}
