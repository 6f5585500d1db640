/**
 * PDQ hashing speed on a 512 × 512 RGB image (the size the reference hashes at), against
 * Rempart's blockhash on the same buffer, measured in the same run; figures are written
 * to bench/results/pdq.md. Run: npm run bench:pdq
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { Bench } from 'tinybench';
import { pdq } from '../src/hashing/pdq.js';
import { blockhash } from '../src/hashing/blockhash.js';
import { dctMatrix } from '../src/hashing/pdq/dct.js';
import type { Pixels } from '../src/hashing/types.js';
import { repoRoot } from './machine.js';

const SIDE = 512;
const ROUNDS = 2;
const TIME_PER_TASK_MS = 1500;
const PAIRED_ITERATIONS = 200;

/** A real photo (the reference's bridge) stretched to 512 × 512, or a generated scene without the vectors. */
async function benchImage(root: string): Promise<{ rgb: Pixels; source: string }> {
  const photo = path.resolve(root, '../shared/vectors/pdq/pixels/bridge-mods/aaa-orig.rgb.png');
  if (existsSync(photo)) {
    const data = await sharp(photo, { ignoreIcc: true }).removeAlpha().resize(SIDE, SIDE, { fit: 'fill' }).raw().toBuffer();
    return { rgb: { width: SIDE, height: SIDE, channels: 3, data }, source: `${path.relative(root, photo)} resized to ${SIDE}×${SIDE}` };
  }
  console.warn(`${photo} is missing: benchmarking a generated scene instead`);
  const data = new Uint8Array(SIDE * SIDE * 3);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const x = (i % SIDE) / SIDE;
    const y = Math.floor(i / SIDE) / SIDE;
    const level = 128 + 60 * Math.sin(7 * x + 3 * y) + 40 * Math.cos(11 * x * y);
    data.fill(Math.round(level), 3 * i, 3 * i + 3);
  }
  return { rgb: { width: SIDE, height: SIDE, channels: 3, data }, source: 'generated smooth scene' };
}

function withAlpha(rgb: Pixels): Pixels {
  const data = new Uint8Array(rgb.width * rgb.height * 4);
  for (let i = 0; i < rgb.width * rgb.height; i++) {
    data.set(rgb.data.subarray(3 * i, 3 * i + 3), 4 * i);
    data[4 * i + 3] = 255;
  }
  return { width: rgb.width, height: rgb.height, channels: 4, data };
}

interface Row {
  task: string;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  rme: number;
  samples: number;
}

async function runRound(tasks: [string, () => unknown][]): Promise<Row[]> {
  const bench = new Bench({ time: TIME_PER_TASK_MS, warmupTime: 300 });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  return bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    const { latency } = result;
    return {
      task: task.name,
      meanMs: latency.mean,
      p50Ms: latency.p50 ?? latency.mean,
      p99Ms: latency.p99 ?? latency.max,
      rme: latency.rme,
      samples: latency.samplesCount,
    };
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/**
 * Each iteration times every task once, back to back in a rotating order, and takes each
 * task's ratio to the baseline of that same iteration: load swings on a shared machine
 * then hit both sides of a ratio alike. Reports median ratios and the fastest times.
 */
function pairedRatios(tasks: [string, () => unknown][], baseline: string): { task: string; medianRatio: number; minMs: number; medianMs: number }[] {
  const times = new Map(tasks.map(([name]) => [name, [] as number[]]));
  for (let i = 0; i < PAIRED_ITERATIONS; i++) {
    for (let k = 0; k < tasks.length; k++) {
      const [name, fn] = tasks[(i + k) % tasks.length]!;
      const start = performance.now();
      fn();
      times.get(name)!.push(performance.now() - start);
    }
  }
  const base = times.get(baseline)!;
  return tasks.map(([name]) => {
    const own = times.get(name)!;
    return {
      task: name,
      medianRatio: median(own.map((t, i) => t / base[i]!)),
      minMs: Math.min(...own),
      medianMs: median(own),
    };
  });
}

const root = repoRoot();
const loadAtStart = os.loadavg()[0]!;

// One-time costs: the DCT matrix (1024 correctly rounded cosines, in BigInt), then the
// first call (compiles the hashing code).
const { rgb, source } = await benchImage(root);
const matrixStart = performance.now();
dctMatrix();
const matrixMs = performance.now() - matrixStart;
const firstStart = performance.now();
const firstHash = pdq.hash(rgb);
const firstCallMs = performance.now() - firstStart;
const secondStart = performance.now();
pdq.hash(rgb);
const secondCallMs = performance.now() - secondStart;

const rgba = withAlpha(rgb);
const tasks: [string, () => unknown][] = [
  ['blockhash (RGB)', () => blockhash.hash(rgb)],
  ['blockhash (RGBA)', () => blockhash.hash(rgba)],
  ['pdq', () => pdq.hash(rgb)],
  ['pdq + 8 dihedral', () => pdq.hash(rgb, { dihedral: true })],
  ['pdq (RGBA)', () => pdq.hash(rgba)],
];

// Rounds alternate the task order so drift in the shared machine's load hits all tasks.
const rounds: Row[][] = [];
for (let round = 0; round < ROUNDS; round++) {
  rounds.push(await runRound(round % 2 === 0 ? tasks : [...tasks].reverse()));
}
const paired = pairedRatios(tasks, 'blockhash (RGB)');
const loadAtEnd = os.loadavg()[0]!;

const fmt = (x: number, digits = 3) => x.toFixed(digits);
const lines: string[] = [];
lines.push(`# PDQ hashing benchmark`, '');
lines.push(`- Date: ${new Date().toISOString()}`);
lines.push(
  `- Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `${os.type()} ${os.release()}, Node ${process.version}`,
);
lines.push(`- Load (1-min average, shared machine): ${fmt(loadAtStart, 2)} at start, ${fmt(loadAtEnd, 2)} at end`);
lines.push(`- Command: \`npm run bench:pdq\` (tsc, then \`node dist/bench/pdq.bench.js\`)`);
lines.push(`- Input: ${source}; PDQ quality ${firstHash.quality}`);
lines.push(`- tinybench ${TIME_PER_TASK_MS} ms per task, ${ROUNDS} rounds in alternating order; ratios are to blockhash (RGB) of the same round`);
lines.push('');
lines.push(
  `One-time costs in this process: DCT matrix ${fmt(matrixMs, 1)} ms; first PDQ call ${fmt(firstCallMs, 1)} ms ` +
    `(JIT warm-up); second call ${fmt(secondCallMs, 1)} ms.`,
);
lines.push('');
for (const [index, rows] of rounds.entries()) {
  const baseline = rows.find((r) => r.task === 'blockhash (RGB)')!.meanMs;
  lines.push(`## Round ${index + 1}`, '');
  lines.push('| task | mean ms | p50 ms | p99 ms | ±rme % | samples | images/s | × blockhash |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of [...rows].sort((a, b) => a.task.localeCompare(b.task))) {
    lines.push(
      `| ${r.task} | ${fmt(r.meanMs)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.rme, 1)} | ${r.samples} | ` +
        `${(1000 / r.meanMs).toFixed(0)} | ${fmt(r.meanMs / baseline, 2)} |`,
    );
  }
  lines.push('');
}
lines.push(`## Interleaved, ${PAIRED_ITERATIONS} iterations (ratio per iteration, then median)`, '');
lines.push('| task | median ms | fastest ms | median × blockhash (RGB) |');
lines.push('|---|---:|---:|---:|');
for (const r of paired) lines.push(`| ${r.task} | ${fmt(r.medianMs)} | ${fmt(r.minMs)} | ${fmt(r.medianRatio, 2)} |`);
lines.push('');
const report = lines.join('\n');
console.log(report);
const out = path.join(root, 'bench/results/pdq.md');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, report);
console.log(`written to ${path.relative(root, out)}`);
