/**
 * End-to-end matching latency over real HTTP with 100,000 stored hashes, beside a bare
 * sharp decode of the same image measured in the same run. Run: npm run bench:api
 * Writes bench/results/api.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { startServer } from '../src/api/server.js';
import { resolveConfig } from '../src/config.js';
import { bytesToHex } from '../src/hashing/index.js';
import { Rempart } from '../src/service/rempart.js';
import { machine, repoRoot } from './machine.js';

const STORED = Number(process.env.BENCH_STORED ?? 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(n: number, run: () => Promise<unknown>): Promise<{ p50: number; p99: number; perSecond: number }> {
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  const total = performance.now() - start;
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), perSecond: (n / total) * 1000 };
}

function randomHex(rnd: () => number): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytesToHex(bytes);
}

async function main() {
  const root = repoRoot();
  const loadBefore = os.loadavg()[0]!;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-bench-api-'));
  const config = resolveConfig({ dataDir, host: '127.0.0.1', port: '0', secretCost: '10', logLevel: 'warn' });

  // Fill the bank: half PDQ, half blockhash, random codes (seeded), one imported case.
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const filler = await Rempart.open(config);
  const hashes = Array.from({ length: STORED }, (_, i) =>
    i % 2 === 0 ? { algorithm: 'pdq', value: randomHex(rnd), quality: 100 } : { algorithm: 'blockhash', value: randomHex(rnd) },
  );
  const fillStart = performance.now();
  await filler.cases.importCase(hashes, { kind: 'operator', id: 'bench' });
  const fillMs = performance.now() - fillStart;
  const key = (await filler.platforms.add('bench', { kind: 'operator', id: 'bench' })).apiKey;
  await filler.close();

  const startMs = performance.now();
  const server = await startServer(config, false);
  const startupMs = performance.now() - startMs;

  const photoPath = path.resolve(root, '../shared/vectors/pdq/images/bridge-mods/aaa-orig.jpg');
  const photo = fs.existsSync(photoPath)
    ? fs.readFileSync(photoPath)
    : await sharp({ create: { width: 1600, height: 1000, channels: 3, background: '#5a7' } }).jpeg().toBuffer();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const one = JSON.stringify({ hashes: [hashes[0]] });
  // The common case: an upload that matches nothing.
  const miss = JSON.stringify({ hashes: [{ algorithm: 'pdq', value: randomHex(rnd) }] });
  const thousand = JSON.stringify({ hashes: hashes.slice(0, 1000).map(({ algorithm, value }) => ({ algorithm, value })) });
  const post = (url: string, body: BodyInit, h: Record<string, string>) =>
    fetch(`${server.url}${url}`, { method: 'POST', headers: h, body }).then(async (r) => {
      if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
      return r.json();
    });

  // Warm up the JIT, the pool and the connection.
  for (let i = 0; i < 20; i++) {
    await post('/v1/match', one, headers);
    await post('/v1/match/image', photo, { ...headers, 'content-type': 'image/jpeg' });
  }
  const rows: [string, Awaited<ReturnType<typeof time>>][] = [];
  rows.push(['bare sharp decode of the image (full size, in process)', await time(REQUESTS / 4, () => sharp(photo).raw().toBuffer())]);
  rows.push(['POST /v1/match, 1 hash, no match', await time(REQUESTS, () => post('/v1/match', miss, headers))]);
  rows.push(['POST /v1/match, 1 hash, matched', await time(REQUESTS, () => post('/v1/match', one, headers))]);
  rows.push(['POST /v1/match, 1,000 hashes', await time(REQUESTS / 10, () => post('/v1/match', thousand, headers))]);
  // Image matching, today's whole-picture hashes (?profile=none) and the default matching profile, same run.
  const image = (query: string) => () => post(`/v1/match/image${query}`, photo, { ...headers, 'content-type': 'image/jpeg' });
  rows.push(['POST /v1/match/image?profile=none (decode + PDQ + blockhash + match)', await time(REQUESTS / 4, image('?profile=none'))]);
  rows.push(['POST /v1/match/image?dihedral=true&profile=none (8 PDQ variants)', await time(REQUESTS / 4, image('?dihedral=true&profile=none'))]);
  rows.push(['POST /v1/match/image (default: profile pdq-regions, query set: trimmed, tilt, regions)', await time(REQUESTS / 4, image(''))]);
  rows.push(['POST /v1/match/image?dihedral=true (profile + 8 PDQ variants of whole-picture hashes)', await time(REQUESTS / 4, image('?dihedral=true'))]);
  const inProcess = await time(REQUESTS * 10, async () => server.rempart.matcher.search('pdq', Buffer.from(hashes[0]!.value, 'hex'), 31));
  rows.push(['index search only (in process, pdq, r=31)', inProcess]);
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });

  const baseline = rows[0]![1].p50;
  const m = machine();
  const lines = [
    '# Matching latency over HTTP',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}. Load (1 min) ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after.`,
    `Command: \`npm run bench:api\` (BENCH_STORED=${STORED}, BENCH_REQUESTS=${REQUESTS}). Stored hashes: ${STORED} (half PDQ, half blockhash; multi-index hashing).`,
    `Registering them in one import: ${(fillMs / 1000).toFixed(1)} s; server start-up including loading the index: ${(startupMs / 1000).toFixed(2)} s.`,
    'Requests are sequential, one connection, client and server on the same 2-core machine.',
    'Photo: `../shared/vectors/pdq/images/bridge-mods/aaa-orig.jpg` (1600×1004 JPEG).',
    '',
    '| what | p50 ms | p99 ms | per second | p50 / bare decode |',
    '|---|---|---|---|---|',
    ...rows.map(([what, r]) => `| ${what} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.perSecond.toFixed(0)} | ${(r.p50 / baseline).toFixed(2)} |`),
    '',
  ];
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/api.md'), lines.join('\n'));
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
