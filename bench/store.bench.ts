/**
 * Store throughput: registration transactions of 100k hashes, then streaming every
 * hash as start-up does to load the index. Extrapolates the load to 10M hashes.
 * Run: npx tsc -p tsconfig.json && node dist/bench/store.bench.js [--rows 1000000]
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import type { Actor, NewHash } from '../src/store/types.js';

const BATCH = 100_000;
const rowsArg = process.argv.indexOf('--rows');
const TOTAL = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_000_000;
const actor: Actor = { kind: 'system', id: 'bench' };

function batch(n: number): NewHash[] {
  const pool = randomBytes(n * 32);
  return Array.from({ length: n }, (_, i) => ({ algorithm: 'pdq', bytes: pool.subarray(i * 32, i * 32 + 32), quality: 90 }));
}

/** Wall and CPU milliseconds: on a shared machine, this process's CPU time is the steadier figure. */
async function time(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
}

const ms = (t: { wall: number; cpu: number }) => `${t.wall.toFixed(0)} ms wall / ${t.cpu.toFixed(0)} ms CPU`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function stream(label: string, n: number, run: () => number | Promise<number>): Promise<void> {
  let rows = 0;
  const t = await time(async () => void (rows = await run()));
  if (rows !== n) throw new Error(`${label}: streamed ${rows} rows, expected ${n}`);
  const tenMillion = (x: number) => ((x / n) * 1e7) / 1000;
  console.log(`| ${label} | ${n} | ${ms(t)} | ${tenMillion(t.wall).toFixed(1)} s wall / ${tenMillion(t.cpu).toFixed(1)} s CPU |`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-store-bench-'));
const file = path.join(dir, 'rempart.sqlite');
try {
  const memory = new Database(':memory:');
  const sqliteVersion = memory.prepare('SELECT sqlite_version()').pluck().get() as string;
  memory.close();
  console.log(`store bench, ${new Date().toISOString()}: ${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ` +
    `node ${process.version}, SQLite ${sqliteVersion}, database in ${dir}\n`);

  const store = openSqliteStore({ path: file });
  const inserts: { wall: number; cpu: number }[] = [];
  for (let done = 0, i = 0; done < TOTAL; done += BATCH, i++) {
    const hashes = batch(Math.min(BATCH, TOTAL - done));
    const items = hashes.map((hash) => ({ kind: 'image' as const, hashes: [hash] }));
    inserts.push(await time(() => store.createCase({ number: `BENCH-${i}`, secretHash: 'x', items }, actor)));
  }
  console.log('| createCase of 100k hashes, one item each (one transaction) | wall ms | CPU ms |\n|---|---|---|');
  console.log(`| first (empty database) | ${inserts[0]!.wall.toFixed(0)} | ${inserts[0]!.cpu.toFixed(0)} |`);
  console.log(`| median of ${inserts.length} | ${median(inserts.map((t) => t.wall)).toFixed(0)} | ${median(inserts.map((t) => t.cpu)).toFixed(0)} |`);
  console.log(`| last (database at ${TOTAL - BATCH} hashes) | ${inserts.at(-1)!.wall.toFixed(0)} | ${inserts.at(-1)!.cpu.toFixed(0)} |\n`);

  console.log('| stream | rows | time | 10M rows ≈ |\n|---|---|---|---|');
  let checksum = 0;
  await stream('hashes() (StoredHash objects)', TOTAL, async () => {
    let n = 0;
    for await (const h of store.hashes()) (n++, (checksum ^= h.bytes[0]!));
    return n;
  });
  await stream('indexPages() (pages of 10k packed for the index, read in turn)', TOTAL, async () => {
    let n = 0;
    for await (const page of store.indexPages()) (n += page.rows, (checksum ^= page.groups[0]!.words[0]!));
    return n;
  });
  await stream('indexPages({ readAhead: 4 }) (read and packed on a worker thread)', TOTAL, async () => {
    let n = 0;
    for await (const page of store.indexPages({ readAhead: 4 })) (n += page.rows, (checksum ^= page.groups[0]!.words[0]!));
    return n;
  });
  await store.close();

  const raw = new Database(file, { readonly: true });
  await stream('reference: raw .iterate(), one object per row', TOTAL, () => {
    let n = 0;
    for (const _ of raw.prepare('SELECT id, ref, case_id, algorithm, value, quality, created_at FROM hashes ORDER BY id').iterate()) n++;
    return n;
  });
  raw.close();
  console.log(`\ndatabase file: ${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB for ${TOTAL} hashes (hashes + change log) [checksum ${checksum}]`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
