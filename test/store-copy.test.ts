/**
 * `rempart copy` between SQLite and PostgreSQL, both ways: a bank used for real (cases, a
 * withdrawal, platforms, matches, feedback, the sync log, the StopNCII feed, audit) is
 * copied SQLite → PostgreSQL → SQLite, every table compared row for row; a server on the
 * copy goes on where the original stopped (secrets, keys, sync cursors, matches) and never
 * hands out an id or seq twice; a copy refuses to merge into a bank or to drop a table.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { copyStore, CopyError } from '../src/store/copy.js';
import { parseDatabaseUrl } from '../src/store/postgres/connection.js';
import { openPostgresCopyEnd } from '../src/store/postgres/copy.js';
import { openSqliteCopyEnd } from '../src/store/sqlite/copy.js';
import { hexHashValues } from './helpers/codes.js';
import { sharedPostgres } from './helpers/postgres.js';
import { POSTGRES_PASSWORD } from './helpers/postgres-server.js';
import { totpCode } from './helpers/console-client.js';
import { runCli } from './helpers/process.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { StopNciiClient } from './helpers/stopncii-client.js';
import { eventually } from './helpers/eventually.js';

const PEPPER = 'store-copy-test-pepper-at-least-32-characters';

type Dump = Map<string, unknown[]>;

/** A value as both backends mean it: times as ISO text, JSON parsed, bytes as hex. */
function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `bytes:${value.toString('hex')}`;
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

const normaliseRow = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, normalise(v)]));

/** Every row of every table of a SQLite store, in key order, and its AUTOINCREMENT counters. */
function dumpSqlite(file: string): { tables: Dump; counters: Record<string, number> } {
  const db = new Database(file, { readonly: true });
  try {
    const tables: Dump = new Map();
    const names = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`).pluck().all() as string[];
    for (const name of names) {
      const key = (db.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').pluck().all(name) as string[]).map((c) => `"${c}"`);
      const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY ${key.length ? key.join(', ') : 'rowid'}`).all() as Record<string, unknown>[];
      tables.set(name, rows.map(normaliseRow));
    }
    const counters = Object.fromEntries((db.prepare('SELECT name, seq FROM sqlite_sequence').all() as { name: string; seq: number }[]).map((r) => [r.name, r.seq]));
    return { tables, counters };
  } finally {
    db.close();
  }
}

async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const target = parseDatabaseUrl(url);
  const client = new pg.Client({ connectionString: target.connectionString, options: `-c search_path=${target.schema}` });
  client.setTypeParser(20, Number);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Every row of every table of a PostgreSQL store, in key order, and where its counters stand. */
async function dumpPostgres(url: string, tables: Iterable<string>): Promise<{ tables: Dump; counters: Record<string, number> }> {
  return withPostgres(url, async (client) => {
    const dump: Dump = new Map();
    for (const name of tables) {
      const { rows: key } = await client.query<{ attname: string }>(
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [name],
      );
      const { rows } = await client.query(`SELECT * FROM "${name}" ORDER BY ${key.map((k) => `"${k.attname}"`).join(', ')}`);
      dump.set(name, rows.map(normaliseRow));
    }
    const counters: Record<string, number> = {};
    for (const name of ['cases', 'items', 'hashes', 'platforms', 'audit', 'exchange_records']) {
      const { rows } = await client.query(`SELECT last_value, is_called FROM ${(await client.query(`SELECT pg_get_serial_sequence($1, 'id') AS s`, [name])).rows[0].s}`);
      counters[name] = rows[0].is_called ? Number(rows[0].last_value) : 0;
    }
    counters.changes = (await client.query('SELECT last_seq FROM change_log_state')).rows[0].last_seq;
    return { tables: dump, counters };
  });
}

const servers: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-copy-'));
  dirs.push(dir);
  return dir;
}

async function serve(dataDir: string, database?: string, dataKeyFile?: string): Promise<TestServer> {
  const server = await startTestServer({ dataDir, config: { pepper: PEPPER, operatorPasswordCost: '10', ...(database ? { database } : {}), ...(dataKeyFile ? { dataKeyFile } : {}) } });
  servers.push(server);
  return server;
}

const pdqHashes = (values: string[]) => values.map((value) => ({ algorithm: 'pdq', value, quality: 90 }));

/** A SQLite bank with something in every table the serving path writes. */
async function usedBank() {
  const dataDir = newDir();
  const server = await serve(dataDir);
  const alpha = await server.createPlatformKey('alpha');
  const beta = await server.createPlatformKey('beta');
  const values = hexHashValues(7, 9);
  const cases = [];
  for (const part of [values.slice(0, 3), values.slice(3, 6), values.slice(6)]) {
    const created = await request(`${server.url}/v1/cases`, { body: { hashes: pdqHashes(part) } });
    expect(created.status).toBe(201);
    cases.push(created.body as { caseNumber: string; caseSecret: string });
  }
  // The newest case is withdrawn: its ids were the highest, and must stay burnt in a copy.
  const withdrawn = await request(`${server.url}/v1/cases/${cases[2]!.caseNumber}`, { method: 'DELETE', headers: bearer(cases[2]!.caseSecret) });
  expect(withdrawn.status).toBe(200);
  const matched = await request(`${server.url}/v1/match`, { headers: bearer(alpha), body: { hashes: values.slice(0, 4).map((value) => ({ algorithm: 'pdq', value })) } });
  expect(matched.status).toBe(200);
  const ids = matched.body.results.map((r: { matches: { id: string }[] }) => r.matches[0]?.id);
  expect((await request(`${server.url}/v1/feedback`, { headers: bearer(alpha), body: { feedback: [{ id: ids[0], outcome: 'blocked', tags: ['ncii'] }] } })).status).toBe(200);
  const sync = await request(`${server.url}/v1/sync?after=0`, { headers: bearer(alpha) });
  expect(sync.status).toBe(200);
  // beta reads the StopNCII feed once the projection has caught up (an exchange reader row);
  // the withdrawn case's values were never served to it, so it gets the 6 others.
  const feed = new StopNciiClient(`${server.url}/stopncii/v1`, beta);
  const fetched = await eventually(() => feed.fetchHashes(), (page) => page.hashRecords.length === 6);
  expect(fetched.hashRecords.length).toBe(6);
  // What beta gets when it comes back from its checkpoint: the copy must answer the same.
  const resumedFeed = await feed.fetchHashes({ startTimestamp: fetched.nextSetTimestamp });
  // The takedown process: a report with sealed personal data, a notice by API and webhook, an
  // analyst's account and session, a platform's domains, an edited template.
  const rempart = server.server.rempart;
  const operator = { kind: 'operator', id: 'copy-test' } as const;
  const { totpSecret } = await rempart.operators.add('alice', 'a long enough password', operator);
  await rempart.operators.login('alice', 'a long enough password', totpCode(totpSecret), '127.0.0.1');
  await rempart.casework.setPlatformSettings('alpha', { domains: ['alpha.example'] }, operator);
  await rempart.webhooks.setEndpoint('alpha', 'http://127.0.0.1:9/hooks', operator);
  await rempart.templates.save('removed', 'fr', { title: 'Retiré', body: 'Dossier {{caseNumber}} : retiré.' }, operator);
  const reported = await request(`${server.url}/v1/cases/${cases[0]!.caseNumber}/report`, {
    headers: bearer(cases[0]!.caseSecret),
    body: { ageBracket: 'adult', contact: 'copied.person@example.org', description: 'sealed before the copy', links: [{ url: 'https://alpha.example/p/1' }] },
  });
  expect(reported.status).toBe(201);
  const [report] = await rempart.casework.queue();
  const link = (await rempart.casework.report(report!.ref, operator)).links[0]!;
  await rempart.casework.setLinkStatus(link.ref, 'checked', undefined, operator);
  await rempart.notices.send(report!.ref, { links: [link.ref], channel: 'platform' }, operator);
  await server.close();
  servers.splice(servers.indexOf(server), 1);
  return { dataDir, file: path.join(dataDir, 'rempart.sqlite'), alpha, beta, cases, values, ids, sync: sync.body, fetched, resumedFeed, reportRef: report!.ref };
}

describe('rempart copy', () => {
  it('finds the same tables with the same columns on both backends (what copy relies on), apart from known differences', async () => {
    const file = path.join(newDir(), 'rempart.sqlite');
    const sqliteEnd = openSqliteCopyEnd(file, 'target');
    const postgresEnd = await openPostgresCopyEnd(sharedPostgres().schemaUrl('parity'), 'target');
    try {
      const [sqlite, postgres] = await Promise.all([sqliteEnd.tables(), postgresEnd.tables()]);
      // Only bookkeeping of one backend (never copied) differs: every role is on both.
      const onlySqlite = [...sqlite.keys()].filter((name) => !postgres.has(name) && name !== 'schema_migrations');
      const onlyPostgres = [...postgres.keys()].filter((name) => !sqlite.has(name) && name !== 'schema_migrations');
      expect(onlyPostgres.sort()).toEqual(['change_log_state', 'rate_limits']);
      expect(onlySqlite).toEqual([]);
      for (const [name, shape] of sqlite) {
        if (postgres.has(name)) expect(postgres.get(name)!.columns.slice().sort(), name).toEqual(shape.columns.slice().sort());
      }
    } finally {
      await sqliteEnd.close();
      await postgresEnd.close();
    }
  });

  it('copies SQLite → PostgreSQL → SQLite row for row, keeping ids, cursors, feed positions and audit; the copy goes on where the original stopped', async () => {
    const bank = await usedBank();
    const original = dumpSqlite(bank.file);
    for (const table of ['cases', 'items', 'hashes', 'changes', 'platforms', 'audit', 'feedback', 'exchange_records', 'exchange_members', 'exchange_readers', 'settings',
      'reports', 'report_links', 'link_events', 'notices', 'notice_links', 'platform_notice_settings', 'answer_templates', 'operators', 'operator_sessions',
      'webhook_endpoints', 'webhook_deliveries']) {
      expect(original.tables.get(table)?.length, table).toBeGreaterThan(0);
    }

    const postgres = sharedPostgres().schemaUrl('copy');
    const there = await copyStore({ sqliteFile: bank.file }, { postgres });
    const copied = await dumpPostgres(postgres, there.tables.map((t) => t.name));
    for (const { name } of there.tables) expect(copied.tables.get(name), name).toEqual(original.tables.get(name));
    expect(there.tables.find((t) => t.name === 'hashes')?.rows).toBe(6);
    // Counters: the withdrawn case's ids and the log's last seq stay used.
    for (const table of ['cases', 'items', 'hashes', 'platforms', 'audit', 'exchange_records', 'changes']) {
      expect(copied.counters[table], table).toBe(original.counters[table]);
    }
    const maxHashId = Math.max(...(original.tables.get('hashes') as { id: number }[]).map((h) => h.id));
    expect(original.counters.hashes).toBeGreaterThan(maxHashId);

    const back = path.join(newDir(), 'rempart.sqlite');
    const returned = await copyStore({ postgres }, { sqliteFile: back });
    expect(returned.tables.map((t) => t.name).sort()).toEqual(there.tables.map((t) => t.name).sort());
    const roundTrip = dumpSqlite(back);
    // Burst counting's memory of recent submissions (an hour at most) is not copied.
    for (const [name, rows] of original.tables) if (name !== 'recent_submissions') expect(roundTrip.tables.get(name), name).toEqual(rows);
    expect(roundTrip.tables.get('recent_submissions')).toEqual([]);
    expect(roundTrip.counters).toEqual(original.counters);

    // A server on the PostgreSQL copy (same pepper and data key): same secrets, keys, cursors and matches.
    const server = await serve(newDir(), postgres, path.join(bank.dataDir, 'data.key'));
    const report = await server.server.rempart.casework.report(bank.reportRef, { kind: 'operator', id: 'copy-test' });
    expect(report).toMatchObject({ contact: 'copied.person@example.org', description: 'sealed before the copy' });
    expect(report.links.map((l) => l.status)).toEqual(['notice_sent']);
    expect(report.notices.map((n) => n.platform)).toEqual(['alpha']);
    const status = await request(`${server.url}/v1/cases/${bank.cases[0]!.caseNumber}`, { headers: bearer(bank.cases[0]!.caseSecret) });
    expect(status.status).toBe(200);
    expect((await request(`${server.url}/v1/cases/${bank.cases[2]!.caseNumber}`, { headers: bearer(bank.cases[2]!.caseSecret) })).body.status).toBe('withdrawn');
    const matched = await request(`${server.url}/v1/match`, { headers: bearer(bank.alpha), body: { hashes: bank.values.slice(0, 4).map((value) => ({ algorithm: 'pdq', value })) } });
    expect(matched.status).toBe(200);
    expect(matched.body.results.map((r: { matches: { id: string }[] }) => r.matches[0]?.id)).toEqual(bank.ids);
    const resumed = await request(`${server.url}/v1/sync?after=${bank.sync.cursor}`, { headers: bearer(bank.alpha) });
    expect(resumed.status).toBe(200);
    expect(resumed.body.changes).toEqual([]);
    expect((await request(`${server.url}/v1/sync?after=0`, { headers: bearer(bank.alpha) })).body).toEqual(bank.sync);
    const feed = await new StopNciiClient(`${server.url}/stopncii/v1`, bank.beta).fetchHashes({ startTimestamp: bank.fetched.nextSetTimestamp });
    expect(feed.hashRecords).toEqual(bank.resumedFeed.hashRecords);
    expect(feed.nextSetTimestamp).toBeGreaterThanOrEqual(bank.resumedFeed.nextSetTimestamp);

    // New writes get ids and seqs never used before, and the sync cursor moves past them.
    const later = await request(`${server.url}/v1/cases`, { body: { hashes: pdqHashes(hexHashValues(8, 1)) } });
    expect(later.status).toBe(201);
    const next = await request(`${server.url}/v1/sync?after=${bank.sync.cursor}`, { headers: bearer(bank.alpha) });
    expect(next.body.changes).toHaveLength(1);
    expect(next.body.cursor).toBe(original.counters.changes! + 1);
    const { ids } = await withPostgres(postgres, async (client) => ({ ids: (await client.query('SELECT id FROM hashes ORDER BY id DESC LIMIT 1')).rows }));
    expect(ids[0].id).toBe(original.counters.hashes! + 1);
  });

  it('refuses a target that holds data, and a source table the target does not have, leaving the target as it was', async () => {
    const bank = await usedBank();
    const postgres = sharedPostgres().schemaUrl('copy');
    await copyStore({ sqliteFile: bank.file }, { postgres });
    const before = await withPostgres(postgres, async (client) => (await client.query('SELECT count(*)::int AS n FROM audit')).rows[0].n);
    await expect(copyStore({ sqliteFile: bank.file }, { postgres })).rejects.toThrow(/not empty \(\d+ rows in "\w+"\).*never merges/);
    expect(await withPostgres(postgres, async (client) => (await client.query('SELECT count(*)::int AS n FROM audit')).rows[0].n)).toBe(before);

    // A table only the source's backend has, with rows: copying would lose them.
    const db = new Database(bank.file);
    db.exec(`CREATE TABLE some_later_role (id INTEGER PRIMARY KEY, note TEXT NOT NULL); INSERT INTO some_later_role (note) VALUES ('kept')`);
    db.close();
    const empty = sharedPostgres().schemaUrl('copy');
    const refused = copyStore({ sqliteFile: bank.file }, { postgres: empty });
    await expect(refused).rejects.toBeInstanceOf(CopyError);
    await expect(refused).rejects.toThrow(/no table "some_later_role" \(1 rows/);
    expect(await withPostgres(empty, async (client) => (await client.query('SELECT count(*)::int AS n FROM cases')).rows[0].n)).toBe(0);
  });

  it('`rempart copy --to`: carries the pepper file into a new data directory, and says which keys PostgreSQL replicas need', async () => {
    const source = newDir();
    const added = await runCli(['platform', 'add', 'alpha', '--data-dir', source, '--json']);
    expect(added.code, added.stderr).toBe(0);

    const postgres = sharedPostgres().schemaUrl('copycli');
    const toPostgres = await runCli(['copy', '--data-dir', source, '--to', postgres]);
    expect(toPostgres.code, toPostgres.stderr).toBe(0);
    expect(JSON.parse(toPostgres.stdout).tables).toContainEqual({ name: 'platforms', rows: 1 });
    expect(toPostgres.stderr).toContain(`REMPART_PEPPER set to the content of ${path.join(source, 'pepper')}`);
    // The URL is shown without its password.
    expect(toPostgres.stdout + toPostgres.stderr).not.toContain(POSTGRES_PASSWORD);

    const target = path.join(newDir(), 'copy');
    const back = await runCli(['copy', '--database', postgres, '--data-dir', source, '--to', target]);
    expect(back.code, back.stderr).toBe(0);
    expect(fs.readFileSync(path.join(target, 'pepper'), 'utf8')).toBe(fs.readFileSync(path.join(source, 'pepper'), 'utf8'));
    expect(fs.statSync(path.join(target, 'pepper')).mode & 0o777).toBe(0o600);
    const listed = await runCli(['platform', 'list', '--data-dir', target]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('alpha');
    const audit = await runCli(['audit', '--data-dir', target]);
    expect(audit.stdout).toMatch(/store\.copied/);
  });
});
