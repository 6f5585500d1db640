/**
 * The hostile batch of issue 10 (item 6) against a database that holds it: two cases of
 * the same 1,000 blockhash values `i.toString(16).padStart(64, '0')` (a handful of bits
 * set, so every query near them matches about 2,000 stored hashes). Registration refuses
 * such values now; a database written before that still holds them, and any cluster of
 * near-identical hashes costs the same. Measures one POST /v1/match of 1, 100 and 1,000 of
 * them over real HTTP: time, body size, the worst /health/live latency while it runs
 * (probed every 5 ms), and the peak RSS growth. The baseline, in the same run, is the same
 * server with the per-hash cap lifted (REMPART_MAX_MATCHES_PER_HASH=100000).
 *
 * Run: npm run build && nice -n 10 node dist/bench/match-bounds.bench.js
 * Writes bench/results/match-bounds.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServer } from '../src/api/server.js';
import { resolveConfig } from '../src/config.js';
import { hexToBytes } from '../src/hashing/index.js';
import { newCaseNumber } from '../src/service/credentials.js';
import { openStore } from '../src/store/open.js';
import { machine, repoRoot, round2 } from './machine.js';

const VALUES = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(64, '0'));

async function seed(dataDir: string): Promise<void> {
  const store = await openStore({ dataDir });
  const hashes = VALUES.map((value) => ({ algorithm: 'blockhash', bytes: hexToBytes(value) }));
  const items = hashes.map((hash) => ({ kind: 'image' as const, hashes: [hash] }));
  for (let c = 0; c < 2; c++) await store.createCase({ number: newCaseNumber(), secretHash: 'scrypt$10$x$y', items }, { kind: 'operator', id: 'bench' });
  await store.close();
}

interface Row {
  server: string;
  hashes: number;
  status: number;
  ms: number;
  matches: number;
  bodyMB: number;
  liveWorstMs: number;
  rssGrowthMB: number;
}

async function measure(url: string, key: string, n: number, label: string): Promise<Row> {
  const body = JSON.stringify({ hashes: VALUES.slice(0, n).map((value) => ({ algorithm: 'blockhash', value })) });
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let liveWorst = 0;
  let running = true;
  const prober = (async () => {
    while (running) {
      const t = performance.now();
      await fetch(`${url}/health/live`).then((r) => r.arrayBuffer());
      liveWorst = Math.max(liveWorst, performance.now() - t);
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const start = performance.now();
  const response = await fetch(`${url}/v1/match`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });
  const text = await response.text();
  const ms = performance.now() - start;
  running = false;
  await prober;
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  const parsed = response.status === 200 ? (JSON.parse(text) as { results: { matches: unknown[] }[] }) : undefined;
  return {
    server: label,
    hashes: n,
    status: response.status,
    ms: Math.round(ms),
    matches: parsed ? parsed.results.reduce((sum, r) => sum + r.matches.length, 0) : 0,
    bodyMB: round2(text.length / 2 ** 20),
    liveWorstMs: Math.round(liveWorst),
    rssGrowthMB: Math.round((rssPeak - rssBefore) / 2 ** 20),
  };
}

async function main(): Promise<void> {
  const info = machine();
  const rows: Row[] = [];
  for (const [label, cap] of [
    ['default (50 per hash)', undefined],
    ['baseline: cap lifted', '100000'],
  ] as const) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-bench-bounds-'));
    await seed(dataDir);
    const config = resolveConfig({ dataDir, host: '127.0.0.1', port: '0', secretCost: '10', logLevel: 'warn', maxMatchesPerHash: cap, matchBudgetSeconds: '600' });
    const server = await startServer(config, false);
    const key = (await server.rempart.platforms.add('bench', { kind: 'operator', id: 'bench' })).apiKey;
    for (const n of [1, 100, 1000]) rows.push(await measure(server.url, key, n, label));
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const loadAfter = round2(os.loadavg()[0]!);
  const lines = [
    '# Hostile batch against a clustered index (issue 10, item 6)',
    '',
    `${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}; load average ${info.load[0]} before, ${loadAfter} after.`,
    'Command: `npm run build && nice -n 10 node --expose-gc dist/bench/match-bounds.bench.js`',
    '',
    '| server | hashes in the call | status | time (ms) | matches returned | body (MB) | worst /health/live during it (ms) | peak RSS growth (MB) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.server} | ${r.hashes} | ${r.status} | ${r.ms} | ${r.matches} | ${r.bodyMB} | ${r.liveWorstMs} | ${r.rssGrowthMB} |`),
    '',
  ];
  fs.writeFileSync(path.join(repoRoot(), 'bench/results/match-bounds.md'), lines.join('\n'));
  console.log(lines.join('\n'));
}

await main();
