/**
 * Hashing throughput on the shared vector images: the worker pool (all cores) beside a
 * bare-sharp decode baseline on the same number of threads, measured in the same run;
 * single-thread latency; what decoding once (PDQ's 512 px resized from the 1024 decode)
 * saves against two decodes and costs in PDQ distance; and what pre-shrinking costs.
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
import { decodeToPixels, shrinkPixels } from '../src/pipeline/decode.js';
import { DECODE_MAX_SIDE, SHARED_DECODE_SIDE } from '../src/pipeline/decode-sizes.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';
import { HashingPool } from '../src/pipeline/pool.js';
import { findPackageRoot } from '../src/worker-location.js';

const ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
const VECTORS = join(ROOT, '..', 'shared', 'vectors');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface ManifestEntry { image: string; pixels: string; pdq: string; quality: number }
interface Sample { name: string; bytes: Buffer; entry?: ManifestEntry }

function loadImages(): Sample[] {
  const samples: Sample[] = [];
  const blockhashDir = join(VECTORS, 'blockhash');
  for (const file of readdirSync(blockhashDir).filter((f) => /\.(jpg|png)$/.test(f)).sort()) {
    samples.push({ name: `blockhash/${file}`, bytes: readFileSync(join(blockhashDir, file)) });
  }
  if (algorithmNames.includes('pdq')) {
    const manifest = JSON.parse(readFileSync(join(VECTORS, 'pdq', 'manifest.json'), 'utf8')) as ManifestEntry[];
    for (const entry of manifest) samples.push({ name: `pdq/${entry.image}`, bytes: readFileSync(join(VECTORS, 'pdq', entry.image)), entry });
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

const distance = (a: string, b: string) => hammingDistance(hexToBytes(a), hexToBytes(b));
const EXIF_ROTATION: Record<number, number> = { 3: 180, 6: 90, 8: 270 };

/**
 * Decode once vs the previous pipeline (two decodes: blockhash fitted to 1024, PDQ to 512),
 * in this process on one thread, image by image alternately so load drifts hit both.
 * PDQ distances: new vs previous on every image; both vs the manifest (quality >= 80; an
 * EXIF-rotated image against the manifest pixels turned as displayed, as in
 * test/pdq-pipeline.test.ts).
 */
async function decodeOnceCost(samples: Sample[]): Promise<string[]> {
  const pdq = getAlgorithm('pdq');
  const blockhash = getAlgorithm('blockhash');
  const twoDecodes = async (bytes: Buffer) => {
    const big = await decodeToPixels(bytes, DEFAULT_LIMITS, { fitInside: DECODE_MAX_SIDE.blockhash! });
    const small = await decodeToPixels(bytes, DEFAULT_LIMITS, { fitInside: DECODE_MAX_SIDE.pdq! });
    return [blockhash.hash(big.pixels).value, pdq.hash(small.pixels).value] as const;
  };
  const oneDecode = async (bytes: Buffer) => {
    const big = await decodeToPixels(bytes, DEFAULT_LIMITS, { fitInside: SHARED_DECODE_SIDE });
    const small = await shrinkPixels(big.pixels, DECODE_MAX_SIDE.pdq!, DEFAULT_LIMITS);
    return [blockhash.hash(big.pixels).value, pdq.hash(small).value] as const;
  };
  let oldMs = 0;
  let newMs = 0;
  const vsOld: number[] = [];
  let blockhashChanged = 0;
  const vsRef = { old: [] as number[], new: [] as number[], worst: { old: '', new: '' } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, sample] of samples.entries()) {
      // Alternate which goes first.
      const order = (i + round) % 2 === 0 ? [twoDecodes, oneDecode] : [oneDecode, twoDecodes];
      const results = new Map<unknown, readonly [string, string]>();
      for (const run of order) {
        const t = performance.now();
        results.set(run, await run(sample.bytes));
        const ms = performance.now() - t;
        if (run === twoDecodes) oldMs += ms;
        else newMs += ms;
      }
      if (round > 0) continue;
      const [oldBlockhash, oldPdq] = results.get(twoDecodes)!;
      const [newBlockhash, newPdq] = results.get(oneDecode)!;
      if (oldBlockhash !== newBlockhash) blockhashChanged++;
      vsOld.push(distance(oldPdq, newPdq));
      const entry = sample.entry;
      if (!entry || entry.quality < 80) continue;
      let expected = entry.pdq;
      const orientation = (await sharp(sample.bytes).metadata()).orientation ?? 1;
      if (orientation !== 1) {
        const displayed = await sharp(readFileSync(join(VECTORS, 'pdq', entry.pixels))).rotate(EXIF_ROTATION[orientation]).png().toBuffer();
        expected = pdq.hash((await decodeToPixels(displayed, DEFAULT_LIMITS)).pixels).value; // <= 512 px: no resize
      }
      for (const [which, value] of [['old', oldPdq], ['new', newPdq]] as const) {
        const d = distance(value, expected);
        if (d > Math.max(-1, ...vsRef[which])) vsRef.worst[which] = `${entry.image.replace(/^images\//, '')}: ${d}`;
        vsRef[which].push(d);
      }
    }
  }
  const mean = (values: number[]) => (values.reduce((a, b) => a + b, 0) / values.length).toFixed(2);
  const over = (values: number[]) => values.filter((d) => d > 10).length;
  return [
    `| | two decodes (previous: 1024 + 512) | one decode at ${SHARED_DECODE_SIDE} + in-memory resize to 512 (lanczos3) |`,
    '|---|---|---|',
    `| decode + both hashes, total ms over ${samples.length} images × ${ROUNDS}, one thread | ${oldMs.toFixed(0)} | ${newMs.toFixed(0)} (${(newMs / oldMs).toFixed(2)}×) |`,
    `| PDQ distance to the previous pipeline (${samples.length} images): max / mean / changed | 0 | ${Math.max(...vsOld)} / ${mean(vsOld)} / ${vsOld.filter((d) => d > 0).length} |`,
    `| PDQ distance to the manifest (${vsRef.old.length} images, quality >= 80): mean | ${mean(vsRef.old)} | ${mean(vsRef.new)} |`,
    `| PDQ distance to the manifest: largest | ${vsRef.worst.old} | ${vsRef.worst.new} |`,
    `| images over 10 bits of the manifest (only modes/1.png is expected) | ${over(vsRef.old)} | ${over(vsRef.new)} |`,
    `| blockhash hashes changed | 0 | ${blockhashChanged} |`,
  ];
}

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
      const chosen = DECODE_MAX_SIDE[name] !== side ? '' : side === SHARED_DECODE_SIDE ? ' (chosen)' : ` (chosen size, now resized from the ${SHARED_DECODE_SIDE} decode: see above)`;
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
  // Interleave baseline and pipeline so load changes hit both alike: baseline, the pool
  // rows in one order, baseline, the pool rows in reverse order; each row is the mean of two.
  const poolRuns: [string, (bytes: Buffer) => Promise<unknown>][] = [
    [`pool: ${algorithmNames.join(' + ')} (${threads} threads)`, hashAll(pool)],
    ...algorithmNames.map((name) => [`pool: ${name} only (${threads} threads)`, hashOne(pool, name)] as [string, (bytes: Buffer) => Promise<unknown>]),
  ];
  const rates = new Map<string, number[]>();
  const baselines: number[] = [];
  for (const order of [poolRuns, [...poolRuns].reverse()]) {
    baselines.push(await throughput(samples, threads, bareDecode));
    for (const [what, task] of order) rates.set(what, [...(rates.get(what) ?? []), await throughput(samples, threads, task)]);
  }
  baselines.push(await throughput(samples, threads, bareDecode));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const baseline = mean(baselines);
  rows.push([`bare sharp decode, full size (\`sharp(bytes).raw().toBuffer()\`, ${threads} in flight)`, baseline]);
  for (const [what] of poolRuns) rows.push([what, mean(rates.get(what)!)]);
  const spread = [...rates].map(([what, values]) => `${what.replace(/^pool: | \(.*$/g, '')} ${values.map((v) => v.toFixed(1)).join(' / ')}`).join('; ');

  const [poolMedian, poolP95] = await latency(samples, hashAll(single));
  const [bareMedian, bareP95] = await latency(samples, bareDecode);
  await pool.close();
  await single.close();
  const once = await decodeOnceCost(samples);
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
    `Baseline measured three times (before, between and after two passes over the pool rows, the second in reverse order): ${baselines.map((b) => b.toFixed(1)).join(', ')} images/s; pool rows per pass: ${spread}. The table uses means.`,
    'The baseline runs sharp on the main thread with the same parallelism (libuv threads, `sharp.concurrency(1)`), decoding every image at full size.',
    `The pool adds to the decode: a thread hop, one shrink-on-load decode to fit ${SHARED_DECODE_SIDE} px (PDQ's 512 px are resized from it in memory, also when PDQ runs alone) and the JS hashing itself.`,
    '',
    '## Latency, one thread, sequential',
    '',
    '| what | median ms | p95 ms |',
    '|---|---|---|',
    `| pool (1 thread): ${algorithmNames.join(' + ')} | ${poolMedian.toFixed(1)} | ${poolP95.toFixed(1)} |`,
    `| bare sharp full decode | ${bareMedian.toFixed(1)} | ${bareP95.toFixed(1)} |`,
    '',
    '## Decode once vs two decodes (same images, same run)',
    '',
    ...once,
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
