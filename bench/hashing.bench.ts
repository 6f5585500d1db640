/**
 * Hashing throughput on the shared vector images: the worker pool (all cores) beside a
 * bare-sharp decode baseline on the same number of threads, measured in the same run;
 * single-thread latency; and what pre-shrinking costs in hash distance and saves in time.
 * Run: npm run bench:hashing (writes bench/results/hashing.md).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { hexToBytes } from '../src/hashing/codec.js';
import { hammingDistance } from '../src/hashing/hamming.js';
import { algorithmNames, getAlgorithm } from '../src/hashing/registry.js';
import { decodeToPixels } from '../src/pipeline/decode.js';
import { DECODE_MAX_SIDE } from '../src/pipeline/decode-sizes.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';
import { HashingPool } from '../src/pipeline/pool.js';
import { findPackageRoot } from '../src/pipeline/worker-location.js';

const ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
const VECTORS = join(ROOT, '..', 'shared', 'vectors');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Sample { name: string; bytes: Buffer }

function loadImages(): Sample[] {
  const samples: Sample[] = [];
  const blockhashDir = join(VECTORS, 'blockhash');
  for (const file of readdirSync(blockhashDir).filter((f) => /\.(jpg|png)$/.test(f)).sort()) {
    samples.push({ name: `blockhash/${file}`, bytes: readFileSync(join(blockhashDir, file)) });
  }
  if (algorithmNames.includes('pdq')) {
    const manifest = JSON.parse(readFileSync(join(VECTORS, 'pdq', 'manifest.json'), 'utf8')) as { image: string }[];
    for (const entry of manifest) samples.push({ name: `pdq/${entry.image}`, bytes: readFileSync(join(VECTORS, 'pdq', entry.image)) });
  }
  return samples;
}

/** Runs `task` over every sample ROUNDS times with at most `parallel` in flight; returns images/s. */
async function throughput(samples: Sample[], parallel: number, task: (bytes: Buffer) => Promise<unknown>): Promise<number> {
  const jobs = Array.from({ length: ROUNDS }, () => samples).flat();
  const copies = jobs.map((s) => Buffer.from(s.bytes)); // the pool detaches what it is given
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < copies.length) await task(copies[next++]!);
    }),
  );
  return (jobs.length * 1000) / (performance.now() - start);
}

/** Sequential per-image latency in ms (median, p95). */
async function latency(samples: Sample[], task: (bytes: Buffer) => Promise<unknown>): Promise<[number, number]> {
  const times: number[] = [];
  for (const sample of samples) {
    const copy = Buffer.from(sample.bytes);
    const start = performance.now();
    await task(copy);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return [times[Math.floor(times.length / 2)]!, times[Math.floor(times.length * 0.95)]!];
}

const bareDecode = (bytes: Buffer) => sharp(bytes).raw().toBuffer();

async function preShrinkCost(samples: Sample[]): Promise<string[]> {
  const lines = ['| algorithm | pre-shrink (longest side) | images | max distance vs full size | images changed | decode+hash time, pre-shrunk / full |', '|---|---|---|---|---|---|'];
  for (const name of algorithmNames) {
    const algorithm = getAlgorithm(name);
    for (const side of [...new Set([DECODE_MAX_SIDE[name], 1024, 512].filter((s): s is number => s !== undefined))]) {
      let max = 0;
      let changed = 0;
      let fullMs = 0;
      let shrunkMs = 0;
      for (const sample of samples) {
        let t = performance.now();
        const full = algorithm.hash((await decodeToPixels(sample.bytes, DEFAULT_LIMITS)).pixels).value;
        fullMs += performance.now() - t;
        t = performance.now();
        const shrunk = algorithm.hash((await decodeToPixels(sample.bytes, DEFAULT_LIMITS, { fitInside: side })).pixels).value;
        shrunkMs += performance.now() - t;
        const d = hammingDistance(hexToBytes(full), hexToBytes(shrunk));
        max = Math.max(max, d);
        if (d > 0) changed++;
      }
      const chosen = DECODE_MAX_SIDE[name] === side ? ' (chosen)' : '';
      lines.push(`| ${name} | ${side}${chosen} | ${samples.length} | ${max} | ${changed} | ${(shrunkMs / fullMs).toFixed(2)} |`);
    }
  }
  return lines;
}

async function main(): Promise<void> {
  if (!existsSync(VECTORS)) throw new Error(`shared vectors not found at ${VECTORS}`);
  const samples = loadImages();
  const threads = availableParallelism();
  const loadBefore = loadavg().map((l) => l.toFixed(2)).join(', ');
  sharp.concurrency(1); // same as inside the workers: parallelism comes from threads only
  sharp.cache(false);

  const pool = new HashingPool({ threads, maxQueue: 10_000 });
  const single = new HashingPool({ threads: 1, maxQueue: 10_000 });
  const hashAll = (p: HashingPool) => (bytes: Buffer) => p.hashImage(bytes);
  const hashOne = (p: HashingPool, algorithm: string) => (bytes: Buffer) => p.hashImage(bytes, { algorithms: [algorithm] });
  // Warm-up: start workers, load sharp, fill caches of the OS.
  await throughput(samples.slice(0, 8), threads, hashAll(pool));
  await latency(samples.slice(0, 4), hashAll(single));
  await throughput(samples.slice(0, 8), threads, bareDecode);

  const rows: [string, number][] = [];
  // Interleave baseline and pipeline so load changes hit both alike.
  const baselineA = await throughput(samples, threads, bareDecode);
  const all = await throughput(samples, threads, hashAll(pool));
  const perAlgorithm = [];
  for (const name of algorithmNames) perAlgorithm.push([name, await throughput(samples, threads, hashOne(pool, name))] as const);
  const baselineB = await throughput(samples, threads, bareDecode);
  const baseline = (baselineA + baselineB) / 2;
  rows.push([`bare sharp decode, full size (\`sharp(bytes).raw().toBuffer()\`, ${threads} in flight)`, baseline]);
  rows.push([`pool: ${algorithmNames.join(' + ')} (${threads} threads)`, all]);
  for (const [name, rate] of perAlgorithm) rows.push([`pool: ${name} only (${threads} threads)`, rate]);

  const [poolMedian, poolP95] = await latency(samples, hashAll(single));
  const [bareMedian, bareP95] = await latency(samples, bareDecode);
  await pool.close();
  await single.close();
  const shrink = await preShrinkCost(samples);
  const loadAfter = loadavg().map((l) => l.toFixed(2)).join(', ');

  const md = [
    '# Hashing throughput',
    '',
    `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${threads} cores, Node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}.`,
    `Load average (1, 5, 15 min): ${loadBefore} before, ${loadAfter} after (the machine is shared: compare ratios, not absolute numbers).`,
    `Images: ${samples.length} shared vector images (${samples.length - 17} PDQ + 17 blockhash), each run ${ROUNDS} times.`,
    'Command: `npm run bench:hashing` (BENCH_ROUNDS=n to change rounds).',
    '',
    '## Throughput, all cores',
    '',
    '| what | images/s | ratio to bare decode |',
    '|---|---|---|',
    ...rows.map(([what, rate]) => `| ${what} | ${rate.toFixed(1)} | ${(rate / baseline).toFixed(2)} |`),
    '',
    `Baseline measured twice (before and after the pool runs): ${baselineA.toFixed(1)} and ${baselineB.toFixed(1)} images/s; the table uses their mean.`,
    'The baseline runs sharp on the main thread with the same parallelism (libuv threads, `sharp.concurrency(1)`), decoding every image at full size.',
    'The pool adds to the decode: a thread hop, one shrink-on-load decode per distinct size (blockhash 1024, PDQ 512: two decodes when both run) and the JS hashing itself.',
    '',
    '## Latency, one thread, sequential',
    '',
    '| what | median ms | p95 ms |',
    '|---|---|---|',
    `| pool (1 thread): ${algorithmNames.join(' + ')} | ${poolMedian.toFixed(1)} | ${poolP95.toFixed(1)} |`,
    `| bare sharp full decode | ${bareMedian.toFixed(1)} | ${bareP95.toFixed(1)} |`,
    '',
    '## Pre-shrink cost (same images, full-size decode vs decoded to fit the side)',
    '',
    ...shrink,
    '',
  ].join('\n');
  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'hashing.md'), md);
  console.log(md);
}

await main();
