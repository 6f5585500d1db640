/**
 * Several `rempart serve` processes on one PostgreSQL database, as behind a load balancer:
 * what one replica acknowledges, the others match; a withdrawal on one stops matches on
 * all; platform keys, rate limits and match counters are shared; a replica killed with
 * kill -9 leaves the others serving, and PostgreSQL crashing under load loses nothing
 * acknowledged while the replicas reconnect and catch up.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedPostgres, startPostgres } from './helpers/postgres.js';
import { killHard, runCli, spawnServer, type ServerProcess } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { bearer, request } from './helpers/server.js';

const PEPPER = 'replicas-share-this-pepper-of-32-chars-or-more';
/** And the data key that seals the takedown process's personal data (a replica without it is refused). */
const DATA_KEY = Buffer.alloc(32, 7).toString('base64url');

/** Blockhash values as real ones look, distinct per seed. */
function values(seed: number, n: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => Array.from({ length: 32 }, () => Math.floor(random() * 256).toString(16).padStart(2, '0')).join(''));
}

async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('replicas on one PostgreSQL database', () => {
  const running: ServerProcess[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) if (server.child.exitCode === null && server.child.signalCode === null) await killHard(server.child);
  });

  /** A replica: its own data dir (no data in it: the pepper and data key come from the environment). */
  async function replica(database: string, extra: Record<string, string> = {}): Promise<ServerProcess> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-replica-'));
    const server = await spawnServer(dataDir, { REMPART_DATABASE_URL: database, REMPART_PEPPER: PEPPER, REMPART_DATA_KEY: DATA_KEY, ...extra });
    running.push(server);
    return server;
  }

  async function platformKey(database: string, name: string): Promise<string> {
    const added = await runCli(['platform', 'add', name, '--json'], { env: { REMPART_DATABASE_URL: database, REMPART_PEPPER: PEPPER, REMPART_DATA_KEY: DATA_KEY } });
    expect(added.stderr).toBe('');
    return JSON.parse(added.stdout).apiKey as string;
  }

  const match = (server: ServerProcess, key: string, hashes: string[]) =>
    request(`${server.url}/v1/match`, { headers: bearer(key), body: { hashes: hashes.map((value) => ({ algorithm: 'blockhash', value })) } });
  /** How many of the values match exactly (asked in batches of at most 1,000, the API's limit). */
  const matchedCount = async (server: ServerProcess, key: string, hashes: string[]) => {
    let found = 0;
    for (let i = 0; i < hashes.length; i += 1000) {
      const answer = await match(server, key, hashes.slice(i, i + 1000));
      expect(answer.status).toBe(200);
      found += answer.body.results.filter((r: { matches: { distance: number }[] }) => r.matches.some((m) => m.distance === 0)).length as number;
    }
    return found;
  };

  it('converge: a registration on one is matched on the others, a withdrawal on one stops matches on all at once', async () => {
    const database = sharedPostgres().schemaUrl('replicas');
    const key = await platformKey(database, 'three-replicas');
    const [a, b, c] = [await replica(database), await replica(database), await replica(database)] as const;

    const hashes = values(1, 5);
    const created = await request(`${a.url}/v1/cases`, { body: { hashes: hashes.map((value) => ({ algorithm: 'blockhash', value })) } });
    expect(created.status).toBe(201);
    for (const other of [b, c]) await eventually(() => matchedCount(other, key, hashes), (n) => n === 5, 5_000);
    // The same opaque ids everywhere.
    const ids = async (s: ServerProcess) => (await match(s, key, hashes.slice(0, 1))).body.results[0].matches.map((m: { id: string }) => m.id);
    expect(await ids(b)).toEqual(await ids(a));

    // Withdrawn on B: neither A nor C answers a match any more, not even before their
    // followers have removed the hashes from their indexes.
    const { caseNumber, caseSecret } = created.body;
    const withdrawn = await request(`${b.url}/v1/cases/${caseNumber}`, { method: 'DELETE', headers: bearer(caseSecret) });
    expect(withdrawn.status).toBe(200);
    expect(await Promise.all([a, c].map((s) => matchedCount(s, key, hashes)))).toEqual([0, 0]);
    // And the indexes follow: the hashes leave A's and C's memory too.
    for (const s of [a, c]) {
      await eventually(
        () => request(`${s.url}/health/ready`),
        (r) => r.body.indexedHashes === 0,
        5_000,
      );
    }
    // The case secret works on any replica.
    const status = await request(`${c.url}/v1/cases/${caseNumber}`, { headers: bearer(caseSecret) });
    expect(status.body).toMatchObject({ status: 'withdrawn', hashCount: 0 });
  });

  it('share platform keys, rate limits and match counters', async () => {
    const database = sharedPostgres().schemaUrl('replicas_shared');
    const key = await platformKey(database, 'shared-platform');
    // Behind a load balancer: the client's address comes from X-Forwarded-For.
    const settings = { REMPART_RATE_LIMIT: '4', REMPART_TRUST_PROXY_HOPS: '1' };
    const [a, b] = [await replica(database, settings), await replica(database, settings)] as const;
    const from = (address: string) => ({ 'x-forwarded-for': address });
    const register = (s: ServerProcess, address: string, value: string) =>
      request(`${s.url}/v1/cases`, { headers: from(address), body: { hashes: [{ algorithm: 'blockhash', value }] } });

    // One client, its requests spread over both replicas: one limit of 4 per minute in all.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await register(i % 2 === 0 ? a : b, '10.0.0.1', values(100 + i, 1)[0]!)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
    // Another client has its own.
    const [value] = values(2, 1) as [string];
    const created = await register(b, '10.0.0.2', value);
    expect(created.status).toBe(201);

    // Matches counted on both replicas add up in the case's count (A matches it once its
    // follower has it; the polls that found nothing count nothing).
    await eventually(() => matchedCount(a, key, [value]), (n) => n === 1, 5_000);
    for (let i = 0; i < 3; i++) expect(await matchedCount(b, key, [value])).toBe(1);
    for (let i = 0; i < 2; i++) expect(await matchedCount(a, key, [value])).toBe(1);
    const { caseNumber, caseSecret } = created.body;
    let reader = 0; // a new address per read: reads are rate-limited too
    const status = () => request(`${a.url}/v1/cases/${caseNumber}`, { headers: { ...bearer(caseSecret), ...from(`10.0.1.${++reader}`) } });
    // Each replica writes its counts every second.
    await eventually(status, (r) => r.body.matchCount === 6, 5_000);

    // A key revoked through another process stops working on every replica (within the key cache's 2 s).
    expect((await runCli(['platform', 'revoke', 'shared-platform'], { env: { REMPART_DATABASE_URL: database, REMPART_PEPPER: PEPPER, REMPART_DATA_KEY: DATA_KEY } })).code).toBe(0);
    for (const s of [a, b]) await eventually(() => match(s, key, [value]), (r) => r.status === 401, 5_000);
  });

  it('keep serving through 5 rounds of kill -9 of a replica under load; each restarted one catches up, nothing acknowledged is lost', { timeout: 240_000 }, async () => {
    const database = sharedPostgres().schemaUrl('replicas_kill');
    const key = await platformKey(database, 'kill-platform');
    const replicas = [await replica(database), await replica(database)];

    const acknowledged: string[][] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let k = 0; !stop; k++) {
        const hashes = values(10_000 * (w + 1) + k, 3);
        const target = replicas[k % 2]!;
        const answer = await request(`${target.url}/v1/cases`, { body: { hashes: hashes.map((value) => ({ algorithm: 'blockhash', value })) } }).catch(
          () => undefined,
        );
        if (answer?.status === 201) acknowledged.push(hashes);
      }
    };
    const writers = Promise.all([writer(0), writer(1)]);
    await eventually(async () => acknowledged.length, (n) => n >= 10);
    for (let round = 0; round < 5; round++) {
      const victim = round % 2;
      await killHard(replicas[victim]!.child);
      const atKill = acknowledged.length;
      // The other goes on alone: writes through it are acknowledged while this one is down.
      await eventually(async () => acknowledged.length, (n) => n >= atKill + 5);
      replicas[victim] = await replica(database);
      const atRestart = acknowledged.length;
      await eventually(async () => acknowledged.length, (n) => n >= atRestart + 5);
    }
    stop = true;
    await writers;

    const everything = acknowledged.flat();
    for (const s of replicas) {
      await eventually(() => matchedCount(s, key, everything), (n) => n === everything.length, 10_000);
    }
  });

  it('lose nothing acknowledged through 3 crashes of PostgreSQL under load; replicas answer 503 meanwhile, then reconnect and catch up', { timeout: 240_000 }, async () => {
    const server = await startPostgres();
    const database = `${server.url()}?schema=crash`;
    const key = await platformKey(database, 'crash-platform');
    const [a, b] = [await replica(database), await replica(database)] as const;

    const acknowledged: string[][] = [];
    const failures: number[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let k = 0; !stop; k++) {
        const hashes = values(20_000 * (w + 1) + k, 2);
        const target = (k + w) % 2 === 0 ? a : b;
        const answer = await request(`${target.url}/v1/cases`, { body: { hashes: hashes.map((value) => ({ algorithm: 'blockhash', value })) } });
        if (answer.status === 201) acknowledged.push(hashes);
        else {
          failures.push(answer.status);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const writers = Promise.all([writer(0), writer(1), writer(2)]);
    await eventually(async () => acknowledged.length, (n) => n >= 15);
    for (let round = 0; round < 3; round++) {
      const failed = failures.length;
      await server.kill();
      await eventually(async () => failures.length, (n) => n >= failed + 3);
      await server.start();
      const atRestart = acknowledged.length;
      await eventually(async () => acknowledged.length, (n) => n >= atRestart + 10, 30_000);
    }
    stop = true;
    await writers;

    // Refusals while the database was down were 503s naming it, never 500s.
    expect(new Set(failures)).toEqual(new Set([503]));
    const everything = acknowledged.flat();
    for (const s of [a, b]) {
      await eventually(() => matchedCount(s, key, everything), (n) => n === everything.length, 20_000);
    }
    const unavailable = await runCli(['platform', 'list'], { env: { REMPART_DATABASE_URL: database, REMPART_PEPPER: PEPPER, REMPART_DATA_KEY: DATA_KEY } });
    expect(unavailable.code).toBe(0);
  });
});
