import { createIndex } from '../../src/index/create.js';
import { Matcher } from '../../src/index/matcher.js';
import { MultiIndexHashIndex } from '../../src/index/mih.js';
import { IndexLoader } from '../../src/service/index-loader.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { round2 } from '../machine.js';
import { seconds } from './measure.js';
import { ensureStoreDatabase } from './store-db.js';

export interface StoreLoadResult {
  n: number;
  /** Streaming every row through `iterateHashBatches` (10k pages), nothing indexed. */
  streamSeconds: number;
  /**
   * Store → IndexLoader.load() → Matcher (multi-index hash sized from countHashes()) as the
   * service does it: pages read by a worker thread while the main thread indexes them.
   */
  loadSeconds: number;
  rowsPerSecond: number;
  /** Process CPU seconds during the load, both threads (the machine is shared). */
  loadCpuSeconds: number;
  /** The same load with pages read on the main thread in turn (no databaseFile). */
  inTurnLoadSeconds: number;
  indexed: number;
  merges: number;
}

/**
 * The real start-up path, end to end: a SQLite store of n seeded codes (built once under
 * `dir`, see store-db.ts) loaded into a Matcher the way the service does at start-up.
 */
export async function measureStoreLoad(dir: string, n: number, log: (m: string) => void): Promise<StoreLoadResult> {
  const file = ensureStoreDatabase(dir, n, log);
  const store = openSqliteStore({ path: file, readonly: true });
  try {
    const count = store.countHashes();
    if (count !== n) throw new Error(`store at ${file} holds ${count} hashes, expected ${n}`);
    let start = process.hrtime.bigint();
    let rows = 0;
    for (const batch of store.iterateHashBatches(10_000)) rows += batch.ids.length;
    const streamSeconds = seconds(start);
    if (rows !== n) throw new Error(`streamed ${rows} rows, expected ${n}`);

    const expectedSize = Math.max(count, 1000);
    const load = async (databaseFile: string | undefined) => {
      const matcher = new Matcher(() => createIndex('mih', { expectedSize }));
      const loader = new IndexLoader(store, matcher, databaseFile ? { databaseFile } : {});
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
    const inTurn = await load(undefined);
    const { elapsed: loadSeconds, cpuSeconds, indexed, merges } = await load(file);
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
    store.close();
  }
}
