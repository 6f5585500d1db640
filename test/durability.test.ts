import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedPostgres } from './helpers/postgres.js';
import { bearer, request } from './helpers/server.js';
import { addPlatformByCli, killHard, spawnServer, type ServerProcess } from './helpers/process.js';
import { hexHashValues } from './helpers/codes.js';

/** Distinct values shaped like real hashes (about half the bits set: registration refuses others). */
const hex = (i: number) => createHash('sha256').update(`durability-${i}`).digest('hex');

const HASHES_PER_CASE = 25;

interface Registration {
  values: string[];
  /** Set once the server acknowledged the registration. */
  caseNumber?: string;
  caseSecret?: string;
  /** 'acknowledged': the DELETE answered 200; 'sent': the server died before answering. */
  withdrawal?: 'sent' | 'acknowledged';
}

/** Per case: its status, its hashes, and the 'add' entries of those in the change log. */
const PER_CASE = `SELECT c.status, CAST(count(h.id) AS INTEGER) AS hashes,
    (SELECT CAST(count(*) AS INTEGER) FROM changes ch WHERE ch.op = 'add' AND ch.hash_id IN (SELECT id FROM hashes WHERE case_id = c.id)) AS adds
  FROM cases c LEFT JOIN hashes h ON h.case_id = c.id GROUP BY c.id`;
type CaseCounts = { status: string; hashes: number; adds: number };

/** Where each backend keeps its data, and how to read it raw after the kill. */
const backends = [
  {
    backend: 'sqlite',
    env: (): Record<string, string> => ({}),
    perCase: async (dataDir: string) => {
      const db = new Database(path.join(dataDir, 'rempart.sqlite'), { readonly: true });
      try {
        return db.prepare(PER_CASE).all() as CaseCounts[];
      } finally {
        db.close();
      }
    },
  },
  {
    backend: 'postgres',
    env: (): Record<string, string> => ({ REMPART_DATABASE_URL: sharedPostgres().schemaUrl('durable') }),
    perCase: async (_dataDir: string, env: Record<string, string>) => {
      const url = new URL(env.REMPART_DATABASE_URL!);
      const schema = url.searchParams.get('schema')!;
      url.search = '';
      const client = new pg.Client({ connectionString: url.toString(), options: `-c search_path=${schema}` });
      await client.connect();
      try {
        return (await client.query<CaseCounts>(PER_CASE)).rows;
      } finally {
        await client.end();
      }
    },
  },
];

/** What the API acknowledged must survive `kill -9` of the real server process. */
describe.each(backends)('durability: $backend', ({ env: environment, perCase: readPerCase }) => {
  let running: ServerProcess | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) await killHard(running.child);
    running = undefined;
  });

  it('keeps every acknowledged registration and withdrawal across kill -9', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-kill-'));
    const env = environment();
    const apiKey = await addPlatformByCli(dataDir, 'durable', env);

    running = await spawnServer(dataDir, env);
    // Fire registrations concurrently and kill the server the moment the last is acknowledged.
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(`${running!.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: hex(i + 1) }] } }),
      ),
    );
    expect(created.every((r) => r.status === 201)).toBe(true);
    const withdrawn = created[0]!.body;
    const del = await request(`${running.url}/v1/cases/${withdrawn.caseNumber}`, { method: 'DELETE', headers: bearer(withdrawn.caseSecret) });
    expect(del.status).toBe(200);
    await killHard(running.child);

    running = await spawnServer(dataDir, env);
    for (const [i, r] of created.entries()) {
      const status = await request(`${running.url}/v1/cases/${r.body.caseNumber}`, { headers: bearer(r.body.caseSecret) });
      expect(status.status).toBe(200);
      expect(status.body.status).toBe(i === 0 ? 'withdrawn' : 'active');
    }
    // The index was rebuilt from the store: every active hash matches, the withdrawn one does not.
    const match = await request(`${running.url}/v1/match`, {
      headers: bearer(apiKey),
      body: { hashes: created.map((_, i) => ({ algorithm: 'blockhash', value: hex(i + 1) })) },
    });
    expect(match.status).toBe(200);
    const distances = match.body.results.map((r: { matches: { distance: number }[] }) => r.matches.map((m) => m.distance));
    expect(distances[0]).toEqual([]);
    for (const d of distances.slice(1)) expect(d).toContain(0);
  });

  it('keeps exactly what it acknowledged when killed during a stream of writes, and never half a case', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-kill-stream-'));
    const env = environment();
    const apiKey = await addPlatformByCli(dataDir, 'durable-stream', env);
    running = await spawnServer(dataDir, env);
    const url = running.url;

    // Writers register cases of 25 hashes and withdraw every third one, until the server dies.
    const registrations: Registration[] = [];
    let acknowledged = 0;
    /** How each writer's last request failed: cut off by the kill, or refused after it. */
    const failures: string[] = [];
    const writer = async (w: number) => {
      for (let k = 0; ; k++) {
        const registration: Registration = { values: hexHashValues(1000 * w + k + 1, HASHES_PER_CASE) };
        registrations.push(registration);
        try {
          const created = await request(`${url}/v1/cases`, { body: { hashes: registration.values.map((value) => ({ algorithm: 'blockhash', value })) } });
          if (created.status !== 201) throw new Error(`registration answered ${created.status}: ${JSON.stringify(created.body)}`);
          Object.assign(registration, { caseNumber: created.body.caseNumber, caseSecret: created.body.caseSecret });
          acknowledged++;
          if (k % 3 === 2) {
            registration.withdrawal = 'sent';
            const del = await request(`${url}/v1/cases/${registration.caseNumber}`, { method: 'DELETE', headers: bearer(registration.caseSecret!) });
            if (del.status !== 200) throw new Error(`withdrawal answered ${del.status}`);
            registration.withdrawal = 'acknowledged';
          }
        } catch (error) {
          if (!killing) throw error;
          const cause = (error as { cause?: { code?: string } }).cause;
          failures.push(cause?.code ?? String(error));
          return;
        }
      }
    };
    let killing = false;
    let writerFailure: unknown;
    const writers = Promise.all(Array.from({ length: 6 }, (_, w) => writer(w))).catch((error) => (writerFailure = error));
    while (acknowledged < 40 && writerFailure === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    if (writerFailure !== undefined) throw writerFailure;
    killing = true;
    await killHard(running.child);
    await writers;
    if (writerFailure !== undefined) throw writerFailure;
    // The kill landed mid-stream: some writes were cut off on their way, not only refused after it.
    expect(failures).toHaveLength(6);
    expect(failures.filter((code) => code !== 'ECONNREFUSED').length).toBeGreaterThan(0);

    running = await spawnServer(dataDir, env);
    const matchedCount = async (values: string[]) => {
      const match = await request(`${running!.url}/v1/match`, {
        headers: bearer(apiKey),
        body: { hashes: values.map((value) => ({ algorithm: 'blockhash', value })) },
      });
      expect(match.status).toBe(200);
      return match.body.results.filter((r: { matches: { distance: number }[] }) => r.matches.some((m) => m.distance === 0)).length;
    };
    let survived = 0;
    for (const r of registrations) {
      const found = await matchedCount(r.values);
      if (r.caseNumber === undefined) {
        // Never acknowledged: all of it or nothing, never part of a case.
        expect([0, HASHES_PER_CASE]).toContain(found);
        continue;
      }
      const status = await request(`${running.url}/v1/cases/${r.caseNumber}`, { headers: bearer(r.caseSecret!) });
      expect(status.status).toBe(200);
      if (r.withdrawal === 'acknowledged') {
        expect(status.body).toMatchObject({ status: 'withdrawn', hashCount: 0 });
        expect(found).toBe(0);
      } else if (status.body.status === 'withdrawn') {
        expect(r.withdrawal).toBe('sent'); // a withdrawal cut short may have committed
        expect([status.body.hashCount, found]).toEqual([0, 0]);
      } else {
        expect(status.body).toMatchObject({ status: 'active', hashCount: HASHES_PER_CASE });
        expect(found).toBe(HASHES_PER_CASE);
        survived++;
      }
    }
    expect(survived).toBeGreaterThan(0);
    // The database itself: every stored case holds all its hashes and their change-log entries, or none.
    const perCase = await readPerCase(dataDir, env);
    expect(perCase.length).toBeGreaterThanOrEqual(acknowledged);
    for (const row of perCase) {
      expect(row).toEqual(row.status === 'active' ? { status: 'active', hashes: HASHES_PER_CASE, adds: HASHES_PER_CASE } : { status: 'withdrawn', hashes: 0, adds: 0 });
    }
  });
});
