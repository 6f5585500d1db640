/**
 * A SQLite store holding N seeded uniform PDQ-sized codes, for the end-to-end start-up load
 * measurement (store → IndexLoader → Matcher). Built once per N under a directory and reused:
 * 10M rows take minutes, so build it ahead in the background:
 *   node dist/bench/index/store-db.js /tmp/rempart-index-bench 10000000
 * The database is complete when `<dir>/<n>/complete` exists.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { Actor, NewHash } from '../../src/store/types.js';
import { prng } from './dataset.js';

const PER_TRANSACTION = 100_000;
const actor: Actor = { kind: 'system', id: 'index-bench' };

export function storeDatabasePath(dir: string, n: number): string {
  return join(dir, String(n), 'rempart.sqlite');
}

/** Path of a complete database of n rows under dir, building it first if needed. */
export async function ensureStoreDatabase(dir: string, n: number, log: (message: string) => void = () => {}): Promise<string> {
  const folder = join(dir, String(n));
  const file = storeDatabasePath(dir, n);
  if (existsSync(join(folder, 'complete'))) return file;
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const store = openSqliteStore({ path: file });
  const random = prng(7);
  const started = Date.now();
  try {
    for (let done = 0, c = 0; done < n; done += PER_TRANSACTION, c++) {
      const rows = Math.min(PER_TRANSACTION, n - done);
      const pool = new Uint8Array(rows * 32);
      const view = new Uint32Array(pool.buffer);
      for (let i = 0; i < view.length; i++) view[i] = random();
      const hashes: NewHash[] = Array.from({ length: rows }, (_, i) => ({
        algorithm: 'pdq',
        bytes: pool.subarray(i * 32, i * 32 + 32),
        quality: 90,
      }));
      const items = hashes.map((hash) => ({ kind: 'image' as const, hashes: [hash] }));
      await store.createCase({ number: `IDX-BENCH-${c}`, secretHash: 'x', items }, actor);
      if (c % 10 === 9) log(`store database: ${done + rows} / ${n} rows (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await store.close();
  }
  writeFileSync(join(folder, 'complete'), `${n}\n`);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, n] = process.argv.slice(2);
  if (!dir || !n) throw new Error('usage: store-db.js <dir> <rows>');
  await ensureStoreDatabase(dir, Number(n), (m) => process.stderr.write(`${m}\n`));
}
