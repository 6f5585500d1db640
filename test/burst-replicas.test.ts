/**
 * Burst counting (abuse controls: the Nth near-identical submission from one address is
 * held for review) is shared through the store: two `rempart serve` replicas on one
 * PostgreSQL database, behind a load balancer, count one address's submissions together.
 * The role on both backends: addresses only as keyed hashes, submissions forgotten after
 * the window, and erased with their case when it is withdrawn.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { flipBits, randomCode } from './helpers/codes.js';
import { sharedPostgres } from './helpers/postgres.js';
import { killHard, spawnServer, type ServerProcess } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { request } from './helpers/server.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import type { Store } from '../src/store/types.js';
import { pdq, victim } from './store-helpers.js';

const PEPPER = 'burst-replicas-share-this-pepper-of-32-chars-or-more';
const DATA_KEY = Buffer.alloc(32, 9).toString('base64url');
const next = seededRandom(77);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('burst counting across replicas on one PostgreSQL database', () => {
  const running: ServerProcess[] = [];
  afterEach(async () => {
    for (const server of running.splice(0)) if (server.child.exitCode === null && server.child.signalCode === null) await killHard(server.child);
  });

  it('holds the third near-identical submission from one address whichever replicas took the first two', async () => {
    const database = sharedPostgres().schemaUrl('burst');
    const replica = async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-burst-'));
      const env = { REMPART_DATABASE_URL: database, REMPART_PEPPER: PEPPER, REMPART_DATA_KEY: DATA_KEY, REMPART_HOLD_BURST: '3' };
      const server = await spawnServer(dataDir, env);
      running.push(server);
      return server;
    };
    const [a, b] = [await replica(), await replica()];
    const base = randomCode(next);
    const submit = async (server: ServerProcess, value: Uint8Array) => {
      const res = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'pdq', value: hex(value), quality: 90 }] } });
      expect(res.status).toBe(201);
      return res.body as { hashCount: number; heldHashes: number };
    };
    // Alternating replicas, as a load balancer sends them: each replica alone saw fewer than 3.
    expect(await submit(a, flipBits(base, 4, next))).toMatchObject({ hashCount: 1, heldHashes: 0 });
    expect(await submit(b, randomCode(next))).toMatchObject({ hashCount: 1, heldHashes: 0 });
    expect(await submit(b, flipBits(base, 6, next))).toMatchObject({ hashCount: 1, heldHashes: 0 });
    expect(await submit(a, flipBits(base, 5, next))).toMatchObject({ hashCount: 0, heldHashes: 1 });

    // What the database holds of the address: a keyed hash, never the address itself.
    const client = new pg.Client({ connectionString: database.replace(/\?schema=.*$/, '') });
    await client.connect();
    try {
      const schema = client.escapeIdentifier(new URL(database).searchParams.get('schema')!);
      const { rows } = await client.query<{ address: string }>(`SELECT DISTINCT address FROM ${schema}.recent_submissions`);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.address).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(rows[0]!.address).not.toContain('127.0.0.1');
    } finally {
      await client.end();
    }
  });
});

describe.each(STORE_BACKENDS)('recent submissions role: $backend', (backend) => {
  const sample = (seed: number) => [{ algorithm: 'pdq', bytes: pdq(seed).bytes }];
  /** A victim's case remembered as a submission from `address` at `at` (ms), in the case's own commit. */
  const submitted = (store: Store, number: string, seed: number, address: string, at: number, forgetBefore = 0) =>
    store.createCase(
      { number, secretHash: 's', items: [{ kind: 'image', hashes: [pdq(seed)] }], submission: { address, at, hashes: sample(seed), forgetBefore } },
      victim,
    );

  it('answers an address’s submissions in the window, newest first; forgets older ones; erases a withdrawn case’s', async () => {
    const handle = await backend.open();
    const { store } = handle;
    await submitted(store, 'RMP-B1', 1, 'k_a', 1_000);
    await submitted(store, 'RMP-B2', 3, 'k_b', 1_500);
    const two = await submitted(store, 'RMP-B3', 2, 'k_a', 2_000);
    expect(await store.recentSubmissions('k_a', 0, 10)).toEqual([sample(2), sample(1)]);
    expect(await store.recentSubmissions('k_a', 1_001, 10)).toEqual([sample(2)]);
    expect(await store.recentSubmissions('k_a', 0, 1)).toEqual([sample(2)]);
    // What screening reads before a submission: the same, with the allow-list's version, in one read.
    const version = await store.allowListVersion();
    expect(await store.screeningState('k_a', 0, 10)).toEqual({ allowListVersion: version, recent: [sample(2), sample(1)] });
    expect(await store.screeningState(undefined, 0, 10)).toEqual({ allowListVersion: version, recent: [] });

    // Remembering forgets what is older than the window.
    await submitted(store, 'RMP-B4', 4, 'k_c', 3_000, 1_600);
    expect(await store.recentSubmissions('k_a', 0, 10)).toEqual([sample(2)]);
    expect(await store.recentSubmissions('k_b', 0, 10)).toEqual([]);

    // Withdrawn: its submissions (and their values) go with it.
    expect(await handle.cellsContaining(pdq(2).bytes)).toContain('recent_submissions.hashes');
    await store.withdrawCase(two.case.id, victim);
    expect(await store.eraseSubmissionsOfWithdrawnCases()).toBe(1);
    expect(await handle.cellsContaining(pdq(2).bytes)).toEqual([]);
    expect(await store.recentSubmissions('k_a', 0, 10)).toEqual([]);
  });

  it('remembers a submission only with its case: a registration that fails remembers nothing', async () => {
    const { store } = await backend.open();
    await submitted(store, 'RMP-B5', 5, 'k_d', 1_000);
    await expect(submitted(store, 'RMP-B5', 6, 'k_e', 1_000)).rejects.toThrow(/already taken/);
    expect(await store.recentSubmissions('k_e', 0, 10)).toEqual([]);
    expect(await store.recentSubmissions('k_d', 0, 10)).toEqual([sample(5)]);
  });
});
