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
  /** Store → IndexLoader.load() → Matcher (multi-index hash sized from countHashes()). */
  loadSeconds: number;
  rowsPerSecond: number;
  /** Process CPU seconds during the load (the machine is shared: the steadier figure). */
  loadCpuSeconds: number;
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
    const matcher = new Matcher(() => createIndex('mih', { expectedSize }));
    const loader = new IndexLoader(store, matcher);
    const cpu = process.cpuUsage();
    start = process.hrtime.bigint();
    const { hashes } = await loader.load();
    const loadSeconds = seconds(start);
    const used = process.cpuUsage(cpu);
    if (hashes !== n || matcher.size('pdq') !== n) throw new Error(`loaded ${hashes} (${matcher.size('pdq')} indexed), expected ${n}`);
    const index = matcher.indexOf('pdq');
    return {
      n,
      streamSeconds: round2(streamSeconds),
      loadSeconds: round2(loadSeconds),
      rowsPerSecond: Math.round(n / loadSeconds),
      loadCpuSeconds: round2((used.user + used.system) / 1e6),
      indexed: matcher.size('pdq'),
      merges: index instanceof MultiIndexHashIndex ? index.tiers.merges : 0,
    };
  } finally {
    store.close();
  }
}
