/**
 * Server-side video hashing throughput, beside a bare ffmpeg decode of the same file in
 * the same run: seconds of video per second of wall time. The file is a phone-like 1080p
 * H.264 video (built once into bench/results/tmp/). Runs alternate bare decode, the
 * hashing pipeline in process, and the service's video pool, three times each.
 *
 *   npm run build && node dist/bench/video.bench.js [--seconds 60] [--runs 3]
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { phoneLikeVideo } from '../src/eval/video/corpus.js';
import { requireFfmpeg } from '../src/pipeline/video/ffmpeg-binary.js';
import { inputArgs, spawnLimited } from '../src/pipeline/video/decode.js';
import { streamableSegments } from '../src/pipeline/video/faststart.js';
import { hashVideoBytes } from '../src/pipeline/video/hash-video.js';
import { DEFAULT_VIDEO_LIMITS } from '../src/pipeline/video/limits.js';
import { VideoHashingPool } from '../src/pipeline/video/pool.js';
import { machine, repoRoot, round2 } from './machine.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** ffmpeg decoding every frame and discarding it, fed the same way as the pipeline (stdin, same limits). */
function bareDecode(ffmpeg: string, bytes: Uint8Array): Promise<number> {
  const started = performance.now();
  const child = spawnLimited(ffmpeg, [...inputArgs('mov', DEFAULT_VIDEO_LIMITS), '-f', 'null', '-'], DEFAULT_VIDEO_LIMITS);
  return new Promise((resolve, reject) => {
    child.stdout.resume();
    child.stderr.resume();
    child.stdin.on('error', () => {});
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`ffmpeg exited with ${code}`))));
    for (const segment of streamableSegments(bytes)) child.stdin.write(segment);
    child.stdin.end();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

async function main(): Promise<void> {
  const seconds = flag('seconds', 60);
  const runs = flag('runs', 3);
  const ffmpeg = requireFfmpeg(process.env.REMPART_FFMPEG);
  const file = await phoneLikeVideo(ffmpeg.path, join(repoRoot(), 'bench', 'results', 'tmp', `phone-1080p-${seconds}s.mp4`), seconds);
  const bytes = new Uint8Array(readFileSync(file));
  const host = machine();
  const pool = new VideoHashingPool({ ffmpegPath: ffmpeg.path });
  const times = { bare: [] as number[], pipeline: [] as number[], pool: [] as number[] };
  let duration = seconds;
  for (let run = 0; run < runs; run++) {
    times.bare.push(await bareDecode(ffmpeg.path, bytes));
    let started = performance.now();
    const hashed = await hashVideoBytes(new Uint8Array(bytes), { dihedral: false, keep: 'samples' }, DEFAULT_VIDEO_LIMITS, ffmpeg.path);
    times.pipeline.push((performance.now() - started) / 1000);
    duration = hashed.duration;
    started = performance.now();
    await pool.hashVideo(new Uint8Array(bytes), { dihedral: false, keep: 'samples' });
    times.pool.push((performance.now() - started) / 1000);
    process.stderr.write(`run ${run + 1}/${runs}: bare ${round2(times.bare.at(-1)!)} s, pipeline ${round2(times.pipeline.at(-1)!)} s, pool ${round2(times.pool.at(-1)!)} s\n`);
  }
  await pool.close();
  host.load.push(round2((await import('node:os')).loadavg()[0]!));
  const rate = (t: number) => round2(duration / t);
  const lines = [
    `## Server video hashing throughput (${new Date().toISOString().slice(0, 16)})`,
    '',
    `Machine: ${host.cpu}, ${host.cores} cores, Node ${host.node}; load average ${host.load.join(' → ')}. ffmpeg: ${ffmpeg.source} (${ffmpeg.path}).`,
    `File: ${seconds} s of 1920×1080 at 30 fps, H.264 High, ${round2(bytes.length / 2 ** 20)} MB, index at the end. ${runs} runs, alternating; medians.`,
    '',
    '| | wall s (runs) | s of video per wall s | × bare decode |',
    '|---|---|---|---|',
    `| bare ffmpeg decode (baseline: every frame decoded, nothing kept) | ${median(times.bare).toFixed(2)} (${times.bare.map((t) => t.toFixed(2)).join(', ')}) | ${rate(median(times.bare))} | 1.00 |`,
    `| hashing pipeline (decode, 5 fps probe frames at 256 px, PDQ of each, MD5) | ${median(times.pipeline).toFixed(2)} (${times.pipeline.map((t) => t.toFixed(2)).join(', ')}) | ${rate(median(times.pipeline))} | ${round2(median(times.bare) / median(times.pipeline))} |`,
    `| the service's video pool (same, on its worker thread) | ${median(times.pool).toFixed(2)} (${times.pool.map((t) => t.toFixed(2)).join(', ')}) | ${rate(median(times.pool))} | ${round2(median(times.bare) / median(times.pool))} |`,
    '',
  ];
  const out = join(repoRoot(), 'bench', 'results', 'video.md');
  mkdirSync(join(repoRoot(), 'bench', 'results'), { recursive: true });
  writeFileSync(out, `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
