/**
 * This checkout's multi-index hash against another build of it, in one process, rounds
 * interleaved (A B, then B A, …) so a shared machine's drifting load hits both alike: the
 * check that a refactor of src/index/ keeps performance within noise.
 *
 *   git worktree add /tmp/rempart-baseline <commit> && (cd /tmp/rempart-baseline && npm ci && npm run build)
 *   npm run build && node dist/bench/index-compare.bench.js --baseline=/tmp/rempart-baseline/dist/src/index/mih.js
 *
 * Options: --sizes=100000 (comma-separated), --radii=8,16,31,64, --rounds=7, --queries=2000, --baseline-label=<what
 * the baseline is, e.g. its commit> (shown in the report). Times are the process's CPU time
 * (user + system), which other jobs on a shared machine disturb far less than wall time;
 * wall-time ratios are reported beside them. For each size and
 * data set: bulk load (addPacked), single queries at r = 8, 16, 31 and at r = 64 (answered by
 * the scan), and churn (remove a tenth, add it back, compact). Reports medians and the
 * median of the per-round ratios (this / baseline; > 1 is faster, for times < 1 is faster)
 * with their range, and checks that both return the same answers. Writes
 * bench/results/index-compare.md.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MultiIndexHashIndex } from '../src/index/mih.js';
import type { MihOptions } from '../src/index/mih.js';
import type { HashIndex } from '../src/index/types.js';
import { type Dataset, type DatasetKind, codeAt, generate, plantQueries } from './index/dataset.js';
import { recall, seconds } from './index/measure.js';
import { machine, repoRoot, round2 } from './machine.js';

interface IndexUnderTest extends HashIndex {
  addPacked(ids: Uint32Array, words: Uint32Array): void;
  compact(): void;
}
type IndexClass = new (options: MihOptions) => IndexUnderTest;

interface Row {
  n: number;
  dataset: DatasetKind;
  measure: string;
  unit: 'q/s' | 's';
  /** Medians over rounds, from CPU time. */
  baseline: number;
  current: number;
  /** Median of per-round current/baseline ratios (CPU time), and their range. */
  ratio: number;
  low: number;
  high: number;
  /** The same median ratio from wall time. */
  wallRatio: number;
}

const DEFAULT_RADII = [8, 16, 31, 64];
/** Shortest timed sample of queries, in CPU seconds. */
const MIN_SAMPLE_SECONDS = 0.2;

function option(argv: string[], name: string): string | undefined {
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface Timing {
  cpu: number;
  wall: number;
}

/** CPU and wall seconds of `work`. */
function timed(work: () => void): Timing {
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  work();
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: (cpu.user + cpu.system) / 1e6, wall: seconds(wallStart) };
}

/**
 * Times `work` for both indexes `rounds` times, alternating which goes first, after one
 * untimed round each (so neither is timed while the JIT still compiles it).
 */
function interleaved(rounds: number, work: (which: 0 | 1) => void): [Timing[], Timing[]] {
  work(0);
  work(1);
  const out: [Timing[], Timing[]] = [[], []];
  for (let round = 0; round < rounds; round++) {
    const order: (0 | 1)[] = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const which of order) out[which].push(timed(() => work(which)));
  }
  return out;
}

/** A row from per-round timings; `operations` > 0 reports a rate (q/s), 0 reports seconds. */
function row(n: number, dataset: DatasetKind, measure: string, operations: number, [a, b]: [Timing[], Timing[]]): Row {
  const value = (t: Timing, key: keyof Timing) => (operations > 0 ? operations / t[key] : t[key]);
  const ratios = (key: keyof Timing) => b.map((t, i) => value(t, key) / value(a[i]!, key));
  const cpuRatios = ratios('cpu');
  const r: Row = {
    n,
    dataset,
    measure,
    unit: operations > 0 ? 'q/s' : 's',
    baseline: median(a.map((t) => value(t, 'cpu'))),
    current: median(b.map((t) => value(t, 'cpu'))),
    ratio: round2(median(cpuRatios)),
    low: round2(Math.min(...cpuRatios)),
    high: round2(Math.max(...cpuRatios)),
    wallRatio: round2(median(ratios('wall'))),
  };
  log(JSON.stringify(r));
  return r;
}

function compareOn(data: Dataset, classes: [IndexClass, IndexClass], rounds: number, queryCount: number, radii: number[]): Row[] {
  const n = data.ids.length;
  const rows: Row[] = [];
  const fresh = (which: 0 | 1) => new classes[which]({ expectedSize: n });
  rows.push(
    row(n, data.kind, 'bulk load (addPacked)', 0, interleaved(rounds, (which) => {
      const index = fresh(which);
      index.addPacked(data.ids, data.words);
      index.compact();
    })),
  );
  const indexes = [fresh(0), fresh(1)] as const;
  for (const index of indexes) index.addPacked(data.ids, data.words);
  for (const radius of radii) {
    const queries = plantQueries(data, queryCount, radius, 500 + radius).map((q) => q.code);
    const answers = indexes.map((index) => queries.map((q) => index.search(q, radius)));
    if (!recall(answers[1]!, answers[0]!).identical) throw new Error(`r=${radius}: the two builds disagree`);
    // Enough passes over the queries that each timed sample lasts MIN_SAMPLE_SECONDS: a few
    // milliseconds of CPU time are mostly noise.
    const once = timed(() => {
      for (const q of queries) indexes[0].search(q, radius);
    });
    const passes = Math.max(1, Math.ceil(MIN_SAMPLE_SECONDS / Math.max(once.cpu, 1e-4)));
    rows.push(
      row(n, data.kind, `queries r=${radius}`, passes * queries.length, interleaved(rounds, (which) => {
        const index = indexes[which];
        for (let pass = 0; pass < passes; pass++) for (const q of queries) index.search(q, radius);
      })),
    );
  }
  // Churn: the same tenth removed and added back each round, so both indexes keep their contents.
  const churn = Array.from({ length: Math.floor(n / 10) }, (_, i) => (i * 7919) % n);
  const unique = [...new Set(churn)];
  const codes = unique.map((slot) => codeAt(data, slot));
  rows.push(
    row(n, data.kind, `churn ${unique.length} (remove, add, compact)`, 0, interleaved(rounds, (which) => {
      const index = indexes[which];
      for (const slot of unique) index.remove(data.ids[slot]!);
      for (let i = 0; i < unique.length; i++) index.add(data.ids[unique[i]!]!, codes[i]!);
      index.compact();
    })),
  );
  return rows;
}

function render(rows: Row[], command: string, info: ReturnType<typeof machine>, baselineLabel: string): string {
  const lines = [
    '# Index: this build against a baseline build, interleaved in one process',
    '',
    `${new Date().toISOString()} · ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB · Node ${info.node}`,
    `1-min load average at start / end: ${info.load.join(' / ')} (machine shared: the ratios are the robust figure)`,
    '',
    `Command: \`${command}\``,
    `Baseline: ${baselineLabel}`,
    '',
    'Figures are medians over rounds, from CPU time. Ratio = median over rounds of this build / baseline,',
    'with its range (q/s: > 1 is faster; seconds: < 1 is faster); the wall-time ratio is shown for reference.',
    '',
    '| N | data | measure | baseline | this build | ratio (range) | wall-time ratio |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const value = (x: number) => (r.unit === 's' ? `${x.toFixed(3)} s` : `${Math.round(x).toLocaleString('en-US')} q/s`);
    lines.push(
      `| ${r.n.toLocaleString('en-US')} | ${r.dataset} | ${r.measure} | ${value(r.baseline)} | ${value(r.current)} | ${r.ratio} (${r.low}–${r.high}) | ${r.wallRatio} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const baselinePath = option(argv, 'baseline');
  if (!baselinePath) throw new Error('--baseline=<path to another build’s dist/src/index/mih.js> is required');
  const baseline = (await import(pathToFileURL(resolve(baselinePath)).href)) as { MultiIndexHashIndex: IndexClass };
  const sizes = (option(argv, 'sizes') ?? '100000').split(',').map(Number);
  const rounds = Number(option(argv, 'rounds') ?? 7);
  const queryCount = Number(option(argv, 'queries') ?? 2000);
  const radii = option(argv, 'radii')?.split(',').map(Number) ?? DEFAULT_RADII;
  const info = machine();
  const rows: Row[] = [];
  for (const n of sizes) {
    for (const kind of ['uniform', 'clustered'] as const) {
      rows.push(...compareOn(generate(kind, n, kind === 'uniform' ? 1 : 2), [baseline.MultiIndexHashIndex, MultiIndexHashIndex as IndexClass], rounds, queryCount, radii));
    }
  }
  info.load.push(round2(os.loadavg()[0]!));
  // The baseline's path is this machine's business: the report names it by its label.
  const command = `node dist/bench/index-compare.bench.js ${argv.filter((a) => !a.startsWith('--baseline=')).join(' ')} --baseline=…`;
  const markdown = render(rows, command, info, option(argv, 'baseline-label') ?? 'another build');
  writeFileSync(join(repoRoot(), 'bench', 'results', 'index-compare.md'), markdown);
  process.stdout.write(markdown);
}

await main();
