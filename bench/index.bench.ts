/**
 * Benchmark of the exact index (project issue 4): `npm run bench:index` (all sizes) or
 * `node dist/bench/index.bench.js --quick` (N = 100k only) or `--sizes=1000000,…`.
 * For each N and data set it builds the multi-index hash and, in the same run, the
 * project's linear scan on the same codes (the baseline), then for r = 8, 16, 31 times
 * single and batched queries, checks results against the scan, and times deletes and
 * re-inserts (then the merge into the static tier). From N = 1M it first measures the real
 * start-up path: a SQLite store of N codes (built once under --store-dir, default
 * <tmp>/rempart-index-bench; 10M rows take ~20 min) loaded through IndexLoader into a Matcher
 * (--no-store skips it; --store-only runs nothing else). Results: bench/results/index-<date>.json and bench/results/index.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { LinearScanIndex } from '../src/index/linear.js';
import { MultiIndexHashIndex } from '../src/index/mih.js';
import { type Dataset, type DatasetKind, codeAt, generate, plantQueries } from './index/dataset.js';
import { machine, repoRoot, round2 } from './machine.js';
import { batchQps, plantedFound, recall, seconds, singleQps, timeBoxedQps } from './index/measure.js';
import { type Report, renderMarkdown } from './index/report.js';
import { type StoreLoadResult, measureStoreLoad } from './index/store-load.js';

const RADII = [8, 16, 31];
const DATASETS: DatasetKind[] = ['uniform', 'clustered'];
const BATCH = 64;
const LINEAR_BUDGET_SECONDS = 2;

export interface BuildResult {
  n: number;
  dataset: DatasetKind;
  substrings: number;
  substringBits: number;
  /** Bulk load (addPacked) from a packed array of N codes: the store's start-up stream. */
  loadSeconds: number;
  /** Loading the same codes one `add` at a time into an index sized for N. */
  addLoadSeconds: number;
  memoryBytesPerHash: number;
  linearMemoryBytesPerHash: number;
  linearBuildSeconds: number;
  /** Inserts into the delta tier, merges that happened during them included. */
  insertsPerSecond: number;
  /** Merging those inserts into the static tier (`compact()`), seconds. */
  mergeSeconds: number;
  deltaCapacity: number;
  /** Inserts/s with merge cost amortised: one merge per full delta tier. */
  amortisedInsertsPerSecond: number;
  deletesPerSecond: number;
  churned: number;
  equalAfterChurn: boolean;
}

export interface CaseResult {
  n: number;
  dataset: DatasetKind;
  radius: number;
  queries: number;
  singleQps: number;
  batch64Qps: number;
  linearQps: number;
  linearQueries: number;
  ratioSingle: number;
  ratioBatch: number;
  recall: number;
  identical: boolean;
  plantedFound: number;
  meanMatches: number;
  answeredByTables: number;
}

function parseSizes(argv: string[]): number[] {
  const explicit = argv.find((a) => a.startsWith('--sizes='));
  if (explicit) return explicit.slice('--sizes='.length).split(',').map(Number);
  return argv.includes('--quick') ? [100_000] : [100_000, 1_000_000, 10_000_000];
}

function queryCount(n: number): number {
  return n <= 100_000 ? 5000 : n <= 1_000_000 ? 4000 : 3000;
}

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function benchDataset(data: Dataset, builds: BuildResult[], cases: CaseResult[]): void {
  const n = data.ids.length;
  // Streaming load first (then dropped), so the two indexes never coexist at 10M.
  let start = process.hrtime.bigint();
  {
    const streamed = new MultiIndexHashIndex({ expectedSize: n });
    for (let i = 0; i < n; i++) streamed.add(data.ids[i]!, codeAt(data, i));
    if (streamed.size !== n) throw new Error('streamed load lost codes');
  }
  const addLoadSeconds = seconds(start);
  log(`${data.kind} N=${n}: one-by-one load ${addLoadSeconds.toFixed(2)} s`);

  start = process.hrtime.bigint();
  const mih = new MultiIndexHashIndex({ expectedSize: n });
  mih.addPacked(data.ids, data.words);
  const loadSeconds = seconds(start);
  const memoryBytesPerHash = mih.memoryBytes() / n;
  log(`${data.kind} N=${n}: packed load ${loadSeconds.toFixed(2)} s, ${memoryBytesPerHash.toFixed(1)} B/hash, shape ${JSON.stringify(mih.shape)}`);

  start = process.hrtime.bigint();
  const linear = new LinearScanIndex();
  for (let i = 0; i < n; i++) linear.add(data.ids[i]!, codeAt(data, i));
  const linearBuildSeconds = seconds(start);

  for (const radius of RADII) {
    const queries = plantQueries(data, queryCount(n), radius, 1000 + radius);
    const before = mih.stats;
    const single = singleQps(mih, queries, radius);
    const after = mih.stats;
    const batch64Qps = batchQps(mih, queries, radius, BATCH);
    const base = timeBoxedQps(linear, queries, radius, LINEAR_BUDGET_SECONDS, 3);
    const check = recall(single.results.slice(0, base.results.length), base.results);
    const answered = after.probed - before.probed;
    const total = answered + after.scanned - before.scanned + after.abandoned - before.abandoned;
    const result: CaseResult = {
      n,
      dataset: data.kind,
      radius,
      queries: queries.length,
      singleQps: Math.round(single.qps),
      batch64Qps: Math.round(batch64Qps),
      linearQps: round2(base.qps),
      linearQueries: base.results.length,
      ratioSingle: Math.round(single.qps / base.qps),
      ratioBatch: Math.round(batch64Qps / base.qps),
      recall: check.recall,
      identical: check.identical,
      plantedFound: plantedFound(single.results, queries),
      meanMatches: round2(single.results.reduce((s, r) => s + r.length, 0) / queries.length),
      answeredByTables: round2(answered / total),
    };
    cases.push(result);
    log(JSON.stringify(result));
  }

  // Churn: delete a random tenth (≤ 100k), then add the same codes back; answers must not change.
  const churned = Math.min(100_000, Math.floor(n / 10));
  const slots = new Uint32Array(churned);
  for (let i = 0, s = 12345; i < churned; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    slots[i] = s % n;
  }
  const unique = [...new Set(slots)];
  start = process.hrtime.bigint();
  for (const slot of unique) mih.remove(data.ids[slot]!);
  const deletesPerSecond = unique.length / seconds(start);
  const codes = unique.map((slot) => codeAt(data, slot));
  start = process.hrtime.bigint();
  for (let i = 0; i < unique.length; i++) mih.add(data.ids[unique[i]!]!, codes[i]!);
  const insertSeconds = seconds(start);
  const insertsPerSecond = unique.length / insertSeconds;
  const deltaCapacity = mih.tiers.deltaCapacity;
  const deltaBefore = mih.tiers.deltaLive;
  start = process.hrtime.bigint();
  mih.compact();
  const mergeSeconds = seconds(start);
  // The merge handled deltaBefore inserts (the rest merged during the inserts, already timed):
  // a full delta's merge costs about the same pass over the static tier.
  const amortisedInsertsPerSecond = 1 / (insertSeconds / unique.length + mergeSeconds / Math.max(deltaCapacity, deltaBefore, 1));
  const probe = plantQueries(data, 5, 31, 99);
  const equalAfterChurn = recall(
    probe.map((q) => mih.search(q.code, 31)),
    probe.map((q) => linear.search(q.code, 31)),
  ).identical;

  builds.push({
    n,
    dataset: data.kind,
    ...mih.shape,
    loadSeconds: round2(loadSeconds),
    addLoadSeconds: round2(addLoadSeconds),
    memoryBytesPerHash: round2(memoryBytesPerHash),
    linearMemoryBytesPerHash: round2(linear.memoryBytes() / n),
    linearBuildSeconds: round2(linearBuildSeconds),
    insertsPerSecond: Math.round(insertsPerSecond),
    mergeSeconds: round2(mergeSeconds),
    deltaCapacity,
    amortisedInsertsPerSecond: Math.round(amortisedInsertsPerSecond),
    deletesPerSecond: Math.round(deletesPerSecond),
    churned: unique.length,
    equalAfterChurn,
  });
  log(JSON.stringify(builds[builds.length - 1]));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const render = argv.find((a) => a.startsWith('--render='));
  if (render) {
    // Re-renders index.md from a saved JSON result (after a report format change).
    const report = JSON.parse(readFileSync(render.slice('--render='.length), 'utf8')) as Report;
    writeFileSync(join(repoRoot(), 'bench', 'results', 'index.md'), renderMarkdown(report));
    return;
  }
  const sizes = parseSizes(argv);
  const quick = argv.includes('--quick');
  const info = machine();
  const started = new Date();
  const builds: BuildResult[] = [];
  const cases: CaseResult[] = [];
  const storeLoads: StoreLoadResult[] = [];
  const storeDir = argv.find((a) => a.startsWith('--store-dir='))?.slice('--store-dir='.length) ?? join(os.tmpdir(), 'rempart-index-bench');
  for (const n of sizes) {
    // The real start-up path first, while the heap is empty (sizes from 1M; --no-store skips it).
    if (n >= 1_000_000 && !argv.includes('--no-store')) {
      log(`store load N=${n}: database under ${storeDir} (built once, reused)`);
      const result = await measureStoreLoad(storeDir, n, log);
      storeLoads.push(result);
      log(JSON.stringify(result));
    }
    if (argv.includes('--store-only')) continue;
    for (const kind of DATASETS) benchDataset(generate(kind, n, kind === 'uniform' ? 1 : 2), builds, cases);
  }
  info.load.push(round2(os.loadavg()[0]!));
  const command = `node --max-old-space-size=20000 dist/bench/index.bench.js ${argv.join(' ')}`.trim();
  const report = { date: started.toISOString(), command, machine: info, sizes, radii: RADII, builds, cases, storeLoads };
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().slice(0, 10);
  const storeOnly = argv.includes('--store-only');
  const suffix = `${quick ? '-quick' : argv.some((a) => a.startsWith('--sizes=')) ? `-${sizes.join('_')}` : ''}${storeOnly ? '-store' : ''}`;
  writeFileSync(join(dir, `index-${stamp}${suffix}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const markdown = renderMarkdown(report);
  // Only a full run replaces the committed summary.
  if (!quick && suffix === '') writeFileSync(join(dir, 'index.md'), markdown);
  process.stdout.write(markdown);
}

await main();
