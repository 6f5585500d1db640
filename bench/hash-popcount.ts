/**
 * How many bits real hashes set: the measurement behind the registration check that
 * refuses implausible values (src/service/plausibility.ts). PDQ and blockhash both
 * threshold at a median, so a real hash sets about half of its 256 bits; values with a
 * handful of bits set come from no image and cluster in the index (issue 10, item 6).
 *
 * Every photo of the evaluation corpus (`rempart corpus fetch` puts them in .corpus/photos)
 * and the reference vectors' images are hashed as registered (the working copy, lossless)
 * and after each of the evaluation's transformations, through the server's own decode
 * path (the hashing pool); PDQ also contributes its 7 dihedral hashes.
 *
 * Run: npm run build && nice -n 10 node dist/bench/hash-popcount.js [--photos DIR] [--max-side 1024]
 * Writes bench/results/popcount.json and prints the table recorded in BENCHMARKS.md.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HashingPool } from '../src/pipeline/pool.js';
import { applyTransformation, encodeLossless, loadWorkingCopy, TRANSFORMATIONS } from '../src/eval/transforms.js';
import { hexToBytes } from '../src/hashing/index.js';
import { popcount } from '../src/service/registration-rules.js';
import { machine, repoRoot } from './machine.js';

const root = repoRoot();
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const photosDir = arg('--photos', join(root, '.corpus/photos'));
const maxSide = Number(arg('--max-side', '1024'));

/** Every image of the reference vectors (not only the photos: flat, tiny and clipart too). */
function sharedImages(): string[] {
  const dir = join(root, '../shared/vectors');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(jpe?g|png|webp)$/i.test(entry.name) && !path.includes('/pixels/')) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

interface Tally {
  /** popcount -> number of hashes */
  histogram: Map<number, number>;
  count: number;
  /** Farthest from 128, with where it came from. */
  extremes: { popcount: number; source: string }[];
}

const tallies = new Map<string, Tally>();
function tally(key: string, value: string, source: string): void {
  let t = tallies.get(key);
  if (!t) tallies.set(key, (t = { histogram: new Map(), count: 0, extremes: [] }));
  const bits = popcount(hexToBytes(value));
  t.histogram.set(bits, (t.histogram.get(bits) ?? 0) + 1);
  t.count++;
  t.extremes.push({ popcount: bits, source });
  t.extremes.sort((a, b) => Math.abs(b.popcount - 128) - Math.abs(a.popcount - 128));
  t.extremes.length = Math.min(t.extremes.length, 8);
}

function quantile(histogram: Map<number, number>, count: number, q: number): number {
  const keys = [...histogram.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const k of keys) {
    seen += histogram.get(k)!;
    if (seen >= q * count) return k;
  }
  return keys[keys.length - 1]!;
}

async function main(): Promise<void> {
  const corpus = existsSync(photosDir) ? readdirSync(photosDir).map((f) => join(photosDir, f)).sort() : [];
  if (corpus.length === 0) console.warn(`no photos in ${photosDir}: run \`node dist/src/cli/main.js corpus fetch\` first`);
  const files = [...corpus.map((path) => ({ path, group: 'corpus' })), ...sharedImages().map((path) => ({ path, group: 'vectors' }))];
  const pool = new HashingPool({ maxQueue: 1000 });
  const started = performance.now();
  const info = machine();
  let images = 0;
  let failures = 0;
  for (const [n, file] of files.entries()) {
    const bytes = readFileSync(file.path);
    const name = relative(root, file.path);
    const record = async (variant: string, encoded: Uint8Array) => {
      try {
        const hashed = await pool.hashImage(new Uint8Array(encoded), { dihedral: true });
        images++;
        for (const h of hashed.hashes) {
          // PDQ below the quality floor is refused anyway; keep it apart so it does not hide the spread.
          const key = h.quality !== undefined && h.quality < 50 ? `${h.algorithm} (quality < 50)` : h.algorithm;
          tally(key, h.value, `${name} ${variant}`);
          for (const [transform, value] of Object.entries(h.dihedral ?? {})) tally(`${key} dihedral`, value, `${name} ${variant} ${transform}`);
        }
      } catch (error) {
        failures++;
        console.warn(`${name} ${variant}: ${(error as Error).message}`);
      }
    };
    // The file as is (what a victim registers) ...
    await record('file', bytes);
    if (file.group === 'corpus') {
      // ... and the evaluation's working copy with every transformation (what platforms see).
      const working = await loadWorkingCopy(bytes, maxSide);
      const tasks = [record('working copy', await encodeLossless(working))];
      for (const t of TRANSFORMATIONS) tasks.push(applyTransformation(working, t).then((e) => record(t.name, e.bytes)));
      await Promise.all(tasks);
    }
    if ((n + 1) % 10 === 0) console.error(`${n + 1}/${files.length} files, ${images} images hashed`);
  }
  await pool.close();

  const rows = [...tallies.entries()].sort(([a], [b]) => a.localeCompare(b));
  const summary = rows.map(([key, t]) => ({
    hashes: key,
    count: t.count,
    min: Math.min(...t.histogram.keys()),
    p001: quantile(t.histogram, t.count, 0.001),
    p01: quantile(t.histogram, t.count, 0.01),
    median: quantile(t.histogram, t.count, 0.5),
    p99: quantile(t.histogram, t.count, 0.99),
    p999: quantile(t.histogram, t.count, 0.999),
    max: Math.max(...t.histogram.keys()),
    extremes: t.extremes,
    histogram: Object.fromEntries([...t.histogram.entries()].sort(([a], [b]) => a - b)),
  }));
  const result = {
    machine: { ...info, load: [...info.load, Math.round(os_load() * 100) / 100] },
    command: `node dist/bench/hash-popcount.js --max-side ${maxSide}`,
    files: files.length,
    corpusPhotos: corpus.length,
    transformations: TRANSFORMATIONS.length,
    imagesHashed: images,
    failures,
    seconds: Math.round((performance.now() - started) / 1000),
    summary,
  };
  writeFileSync(join(root, 'bench/results/popcount.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`${images} images hashed (${failures} failed) from ${files.length} files in ${result.seconds} s`);
  console.log('| hashes | count | min | 0.1 % | 1 % | median | 99 % | 99.9 % | max |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const s of summary) console.log(`| ${s.hashes} | ${s.count} | ${s.min} | ${s.p001} | ${s.p01} | ${s.median} | ${s.p99} | ${s.p999} | ${s.max} |`);
  for (const s of summary) console.log(`${s.hashes}: farthest from 128: ${s.extremes.map((e) => `${e.popcount} (${e.source})`).join('; ')}`);
}

function os_load(): number {
  return machine().load[0]!;
}

await main();
