/**
 * What only the PostgreSQL backend does: its URL and connection settings, migrations under
 * concurrent starts, schemas, LISTEN/NOTIFY wake-ups, VACUUM after withdrawals, and
 * surviving a crash and restart of PostgreSQL itself. What every backend does is in
 * store-contract.test.ts.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { describe, expect, it } from 'vitest';
import { clientConfig, parseDatabaseUrl, redactUrl } from '../src/store/postgres/connection.js';
import { POSTGRES_MIGRATIONS, migratePostgres } from '../src/store/postgres/migrations.js';
import { IndexCopyParser } from '../src/store/postgres/index-copy.js';
import { openPostgresStore } from '../src/store/postgres/store.js';
import { openPool } from '../src/store/postgres/connection.js';
import { SchemaTooNewError } from '../src/store/schema-errors.js';
import type { Store } from '../src/store/types.js';
import { sharedPostgres, startPostgres } from './helpers/postgres.js';
import { closeAfterTest, collect, pdq, register, victim } from './store-helpers.js';

async function open(url: string, options: { poolSize?: number; onConnectionError?: (e: Error) => void } = {}): Promise<Store> {
  return closeAfterTest(await openPostgresStore({ url, poolSize: 3, ...options }));
}

/** Runs SQL as the store's connections would (same schema, same settings). */
async function query<R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client(clientConfig(parseDatabaseUrl(url)));
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('PostgreSQL URL and connections', () => {
  it('reads the schema and server options from the URL, and never shows the password', () => {
    const target = parseDatabaseUrl('postgres://rempart:s3cr%40t@db.example:5433/bank?schema=hotline&options=-c%20work_mem%3D8MB&sslmode=require');
    expect(target.schema).toBe('hotline');
    expect(target.options).toBe('-c work_mem=8MB');
    expect(target.connectionString).toBe('postgres://rempart:s3cr%40t@db.example:5433/bank?sslmode=require');
    expect(clientConfig(target).options).toBe('-c work_mem=8MB -c synchronous_commit=on -c search_path=hotline');
    expect(redactUrl('postgres://rempart:s3cr%40t@db.example/bank?schema=x')).toBe('postgres://rempart@db.example/bank?schema=x');
    expect(parseDatabaseUrl('postgresql://u@h/d').schema).toBe('public');
    expect(() => parseDatabaseUrl('postgres://u@h/d?schema=Robert%27);DROP')).toThrow(/schema must be lowercase letters/);
    expect(() => parseDatabaseUrl('not a url')).toThrow(/not a valid URL/);
  });

  it('commits synchronously even where the database defaults to synchronous_commit = off', async () => {
    const server = sharedPostgres();
    const url = await server.createDatabase('sync');
    await query(server.url(), `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET synchronous_commit = off`);
    expect(await query(`${url}?options=-c%20synchronous_commit%3Doff`, 'SHOW synchronous_commit')).toEqual([{ synchronous_commit: 'on' }]);
    const plain = new pg.Client({ connectionString: url });
    await plain.connect();
    expect((await plain.query('SHOW synchronous_commit')).rows).toEqual([{ synchronous_commit: 'off' }]); // the control
    await plain.end();
  });

  it('keeps banks in different schemas of one database apart, notifications included', async () => {
    const a = await open(sharedPostgres().schemaUrl('bank_a'));
    const b = await open(sharedPostgres().schemaUrl('bank_b'));
    let hintsToB = 0;
    b.watchChanges(() => hintsToB++);
    // The first hint comes when b's LISTEN connection is up (it may have missed something).
    await eventually(() => hintsToB === 1);
    await register(a, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2)] }, victim);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await b.countHashes()).toBe(0);
    expect(await b.lastSeq()).toBe(0);
    expect(hintsToB).toBe(1);
    expect(await a.countHashes()).toBe(2);
  });
});

describe('PostgreSQL rate-limit counts', () => {
  it('are shared by every store on the database (replicas), counted exactly under concurrency', async () => {
    const url = sharedPostgres().schemaUrl('limits');
    const stores = await Promise.all([open(url), open(url), open(url)]);
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => stores[i % 3]!.countRequest('client', 60_000)));
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // Rows hold pseudonyms given by the caller, and old windows are swept.
    expect(await query(url, 'SELECT key, count FROM rate_limits')).toEqual([{ key: 'client', count: 60 }]);
  });
});

describe('PostgreSQL migrations', () => {
  it('apply once, even when several replicas open a new database at the same time', async () => {
    const url = sharedPostgres().schemaUrl('migrate');
    const stores = await Promise.all([open(url), open(url), open(url)]);
    const rows = await query<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    await register(stores[0]!, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    expect(await stores[2]!.countHashes()).toBe(1);
  });

  it('roll back a failing migration entirely and record nothing for it', async () => {
    const url = sharedPostgres().schemaUrl('broken');
    const target = parseDatabaseUrl(url);
    const pool = openPool({ target });
    try {
      const broken = [
        { version: 1, name: 'one', sql: 'CREATE TABLE t1 (x int)' },
        { version: 2, name: 'two', sql: 'CREATE TABLE t2 (x int); SELECT no_such_function()' },
      ];
      await expect(migratePostgres(pool, target.schema, 'test', undefined, broken)).rejects.toThrow(/no_such_function/);
      const tables = await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [target.schema]);
      expect(tables.rows.map((r) => r.table_name)).toEqual(['schema_migrations', 't1']);
      expect((await pool.query('SELECT version FROM schema_migrations')).rows).toEqual([{ version: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('refuse a database written by a newer Rempart, with a clear message', async () => {
    const url = sharedPostgres().schemaUrl('newer');
    await (await openPostgresStore({ url, poolSize: 1 })).close();
    const next = POSTGRES_MIGRATIONS.length + 1;
    await query(url, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', now())`, [next]);
    const opening = openPostgresStore({ url, poolSize: 1 });
    await expect(opening).rejects.toThrow(SchemaTooNewError);
    await expect(openPostgresStore({ url, poolSize: 1 })).rejects.toThrow(
      `has schema version ${next}, but this Rempart only knows versions up to ${POSTGRES_MIGRATIONS.length}`,
    );
  });

  it('the schema itself rejects malformed rows, whatever the code above it does', async () => {
    const url = sharedPostgres().schemaUrl('checks');
    const store = await open(url);
    const { items } = await store.createCase({ number: 'RMP-A', secretHash: 's', items: [{ kind: 'image', hashes: [pdq(1)] }] }, victim);
    const [item] = items;
    const insert = (columns: string, values: unknown[]) =>
      query(url, `INSERT INTO hashes (ref, case_id, item_id, algorithm, created_at, ${columns}) VALUES ($1, $2, $3, 'pdq', now(), ${values.map((_, i) => `$${i + 4}`).join(', ')})`, [
        `h_${randomBytes(4).toString('hex')}`,
        item!.caseId,
        item!.id,
        ...values,
      ]);
    await expect(insert('value', [Buffer.alloc(31)])).rejects.toThrow(/hash_value_32_bytes/);
    await expect(insert('value, quality', [Buffer.alloc(32), 101])).rejects.toThrow(/hash_quality_0_100/);
    await expect(insert('value, role', [Buffer.alloc(32), 'Full'])).rejects.toThrow(/hash_role_tag/);
    await expect(insert('value, detail', [Buffer.alloc(32), '[1]'])).rejects.toThrow(/hash_detail_object/);
    await expect(query(url, `UPDATE cases SET status = 'withdrawn'`)).rejects.toThrow(/withdrawn_has_date/);
    await expect(
      query(url, `INSERT INTO changes (seq, op, hash_id, ref, item_ref, role, algorithm, at) VALUES (99, 'add', 1, 'h', 'i', 'full', 'pdq', now())`),
    ).rejects.toThrow(/only_adds_carry_values/);
  });
});

describe('PostgreSQL registration', () => {
  /** Statements the server ran (log_statement = all), with the pid of the connection that ran each. */
  const statementsIn = (log: string) =>
    [...log.matchAll(/\[(\d+)\] LOG:\s+(?:statement|execute [^:]*): ([^\n]*)/g)].map((m) => ({ pid: m[1]!, sql: m[2]! }));

  it('wakes its change followers once per registration: its own hint or its NOTIFY, whichever comes first, not both', async () => {
    const url = sharedPostgres().schemaUrl('own_hint');
    const writer = await open(url);
    const other = await open(url);
    let own = 0;
    let others = 0;
    writer.watchChanges(() => own++);
    other.watchChanges(() => others++);
    await eventually(() => own === 1 && others === 1); // both LISTEN connections are up (each hints once then)
    const settle = () => new Promise((resolve) => setTimeout(resolve, 300)); // the NOTIFYs arrive

    await register(writer, { number: 'RMP-OWN-1', secretHash: 's', hashes: [pdq(1)] }, victim);
    await eventually(() => others === 2);
    await settle();
    expect([own, others]).toEqual([2, 2]); // one wake-up each: the writer's at once, the other's by NOTIFY

    // A commit of another process still wakes the writer (its seq is above what the writer hinted).
    await register(other, { number: 'RMP-OWN-2', secretHash: 's', hashes: [pdq(2)] }, victim);
    await eventually(() => own === 3);
    await settle();
    expect([own, others]).toEqual([3, 3]);
    await writer.close();
    await other.close();
  });

  it('writes a registration as one statement: case, items, hashes, audit, change log and notification in one round trip', async () => {
    const server = await startPostgres({ log_statement: 'all' });
    const url = `${server.url()}?schema=one_statement`;
    const store = await open(url);
    const follower = await open(url);
    let hints = 0;
    follower.watchChanges(() => hints++);
    await eventually(() => hints === 1); // the follower's LISTEN connection is up
    await new Promise((resolve) => setTimeout(resolve, 200)); // start-up statements are logged
    const before = server.log().length;

    const created = await store.createCase(
      { number: 'RMP-ONE', secretHash: 's', items: [{ kind: 'image', hashes: [pdq(1), { ...pdq(2), role: 'region', detail: { box: [0, 0, 0.5, 0.5] } }] }, { kind: 'video', hashes: [pdq(3)] }] },
      victim,
    );
    await eventually(() => hints === 2); // notified at commit
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ran = statementsIn(server.log().slice(before)).filter((s) => !/^(SELECT last_seq|SELECT seq)/.test(s.sql)); // the follower's reads
    expect(ran).toHaveLength(1);
    expect(ran[0]!.sql).toMatch(/^WITH new_case AS/);

    // What it wrote is what the transaction used to write.
    expect(created.case).toMatchObject({ number: 'RMP-ONE', status: 'active', hashCount: 3, matchCount: 0, withdrawnAt: null });
    expect(await store.getCaseByNumber('RMP-ONE')).toMatchObject({ ...created.case, secretHash: 's' });
    const hashes = created.items.flatMap((item) => item.hashes);
    expect(await collect(store.hashes())).toEqual(hashes);
    expect(hashes.map((h) => h.id)).toEqual([...hashes.map((h) => h.id)].sort((a, b) => a - b));
    expect(created.items.map((item) => [item.kind, item.hashes.length])).toEqual([['image', 2], ['video', 1]]);
    expect((await store.changesAfter(0, 10)).map((ch) => [ch.seq, ch.op, ch.hashId, ch.itemRef, ch.role])).toEqual(
      hashes.map((h, i) => [i + 1, 'add', h.id, h.itemRef, h.role]),
    );
    expect(await store.lastSeq()).toBe(3);
    expect(await store.listAudit()).toMatchObject([{ actor: victim, action: 'case.create', target: 'RMP-ONE', detail: { items: 2, hashes: 3 } }]);
    // Still a CONFLICT for a taken number, with nothing written.
    await expect(store.createCase({ number: 'RMP-ONE', secretHash: 't', items: [{ kind: 'image', hashes: [pdq(4)] }] }, victim)).rejects.toThrow(/already taken/);
    expect(await store.lastSeq()).toBe(3);
    expect(await store.listAudit()).toHaveLength(1);
    await store.close();
    await follower.close();
    await server.close();
  });
});

describe('PostgreSQL index pages (one binary COPY)', () => {
  /** (id, algorithm, hex) of every row of packed pages, in page order. */
  const rowsOf = (pages: { groups: { algorithm: string; ids: Uint32Array; words: Uint32Array }[] }[]) =>
    pages.flatMap((page) =>
      page.groups.flatMap((g) =>
        [...g.ids].map((id, i) => [id, g.algorithm, [...g.words.subarray(i * 8, i * 8 + 8)].map((w) => w.toString(16).padStart(8, '0')).join('')]),
      ),
    );

  it('cuts the COPY stream into pages wherever its chunks end, and checks it ends on a whole row', async () => {
    const url = sharedPostgres().schemaUrl('copy_parse');
    const store = await open(url);
    const values = Array.from({ length: 300 }, (_, i) => ({ algorithm: i % 3 === 0 ? 'blockhash' : 'pdq', bytes: new Uint8Array(randomBytes(32)) }));
    await register(store, { number: 'RMP-C', secretHash: 's', hashes: values }, victim);
    const expected = (await collect(store.hashes())).map((h) => [h.id, h.algorithm, Buffer.from(h.bytes).toString('hex')]);

    // The raw bytes PostgreSQL sends for the loader's COPY.
    const client = new pg.Client(clientConfig(parseDatabaseUrl(url)));
    await client.connect();
    const chunks: Buffer[] = [];
    for await (const chunk of client.query(copyTo('COPY (SELECT id, algorithm, value FROM hashes ORDER BY id) TO STDOUT (FORMAT binary)'))) chunks.push(chunk as Buffer);
    await client.end();
    const raw = Buffer.concat(chunks);

    for (const chunkSize of [1, 3, 19, 64, 4096, raw.length]) {
      const parser = new IndexCopyParser(128);
      const pages = [];
      for (let at = 0; at < raw.length; at += chunkSize) pages.push(...parser.push(raw.subarray(at, at + chunkSize)));
      pages.push(...parser.finish());
      expect(pages.map((p) => p.rows)).toEqual([128, 128, 44]);
      expect(rowsOf(pages)).toEqual(
        // Within a page, rows are grouped by algorithm (each group in id order).
        [0, 128, 256].flatMap((start) => {
          const page = expected.slice(start, start + 128);
          return [...new Set(page.map((r) => r[1]))].flatMap((algorithm) => page.filter((r) => r[1] === algorithm));
        }),
      );
    }
    const cut = new IndexCopyParser(128);
    cut.push(raw.subarray(0, raw.length - 40));
    expect(() => cut.finish()).toThrow(/ended in the middle of a row/);
    expect(() => new IndexCopyParser(10).push(Buffer.from('not a COPY stream at all'))).toThrow(/not in PostgreSQL binary format/);
  });

  it('gives its connection back when the reader stops early, so a one-connection pool still serves', async () => {
    const url = sharedPostgres().schemaUrl('copy_early');
    const store = await open(url, { poolSize: 1 });
    await register(store, { number: 'RMP-E', secretHash: 's', hashes: Array.from({ length: 5_000 }, (_, i) => pdq(i)) }, victim);
    for (const readAhead of [0, 2]) {
      let pages = 0;
      for await (const page of store.indexPages({ pageSize: 100, readAhead })) {
        expect(page.rows).toBe(100);
        if (++pages === 3) break;
      }
      // A client left in the middle of the COPY would block this query forever (pool of one).
      expect(await store.countHashes()).toBe(5_000);
    }
    const all = await collect(store.indexPages({ pageSize: 1_000, readAhead: 2 }));
    expect(all.map((p) => p.rows)).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
    const after = await collect(store.indexPages({ afterId: all[2]!.lastId, pageSize: 1_000 }));
    expect(after.map((p) => p.rows)).toEqual([1_000, 1_000]);
  });

  it('fails with DATABASE_UNAVAILABLE when PostgreSQL dies in the middle of the COPY', async () => {
    const server = await startPostgres();
    const url = `${server.url()}?schema=copy_crash`;
    const store = await open(url, { onConnectionError: () => {} });
    const { case: c, items } = await store.createCase({ number: 'RMP-K', secretHash: 's', items: [{ kind: 'image', hashes: [pdq(1)] }] }, victim);
    // 20 MB of rows, more than the socket buffers hold: the server is still sending when it dies.
    await query(
      url,
      `INSERT INTO hashes (ref, case_id, item_id, role, algorithm, value, created_at)
       SELECT 'h_' || g, $1, $2, 'full', 'pdq', decode(md5(g::text) || md5((-g)::text), 'hex'), now() FROM generate_series(1, 300000) g`,
      [c.id, items[0]!.id],
    );
    const pages = store.indexPages({ pageSize: 100 })[Symbol.asyncIterator]();
    const first = await pages.next();
    expect(first.value?.rows).toBe(100);
    await server.kill();
    await expect(
      (async () => {
        for (;;) if ((await pages.next()).done) return 'finished';
      })(),
    ).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
  });
});

describe('PostgreSQL change notifications', () => {
  it('wake a store when another one (another replica) commits a change, and only after the commit', async () => {
    const url = sharedPostgres().schemaUrl('notify');
    const writer = await open(url);
    const follower = await open(url);
    const seen: number[] = [];
    follower.watchChanges(() => void follower.lastSeq().then((seq) => seen.push(seq)));
    await eventually(() => seen.length === 1); // the hint given once the LISTEN connection is up
    seen.length = 0;
    await register(writer, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2)] }, victim);
    await eventually(() => seen.length > 0);
    // Woken after the commit: the change is already visible to the follower.
    expect(seen[0]).toBe(2);
  });

  it('listen again after the LISTEN connection is killed, and hint the followers then', async () => {
    const url = sharedPostgres().schemaUrl('relisten');
    const errors: string[] = [];
    const follower = await open(url, { onConnectionError: (e) => errors.push(e.message) });
    const writer = await open(url);
    let hints = 0;
    follower.watchChanges(() => hints++);
    const listeners = () =>
      query<{ pid: number }>(sharedPostgres().url(), `SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN rempart_changes_relisten%'`);
    await eventually(async () => (await listeners()).length === 1);
    const [{ pid }] = (await listeners()) as [{ pid: number }];
    await query(sharedPostgres().url(), 'SELECT pg_terminate_backend($1)', [pid]);
    await eventually(async () => (await listeners()).some((l) => l.pid !== pid));
    expect(errors.length).toBeGreaterThan(0);
    const before = hints;
    await register(writer, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    await eventually(() => hints > before);
  });
});

describe('PostgreSQL erasure', () => {
  it('runs VACUUM after a withdrawal, so no dead row version of a withdrawn value stays in the tables', async () => {
    const url = sharedPostgres().schemaUrl('vacuum');
    const store = await open(url);
    const values = Array.from({ length: 50 }, () => ({ algorithm: 'pdq', bytes: new Uint8Array(randomBytes(32)), quality: 90 }));
    const { case: c } = await register(store, { number: 'RMP-A', secretHash: 's', hashes: values }, victim);
    const vacuums = async () =>
      (await query<{ n: number }>(url, `SELECT vacuum_count::int AS n FROM pg_stat_user_tables WHERE relname = 'hashes' AND schemaname = $1`, [new URL(url).searchParams.get('schema')]))[0]!.n;
    const before = await vacuums();
    await store.withdrawCase(c.id, victim);
    expect(await store.erasureSettled(30_000)).toBe(true);
    expect(await store.erasureStatus()).toMatchObject({ pending: false, lastError: null });
    await eventually(async () => (await vacuums()) > before);
    expect(await store.countHashes()).toBe(0);
  });
});

describe('PostgreSQL erasure of a rejected held submission', () => {
  it('VACUUMs `held_submissions` after a rejection, so no row version of the rejected values stays in the table', async () => {
    const url = sharedPostgres().schemaUrl('vacuum_held');
    const schema = new URL(url).searchParams.get('schema');
    const store = await open(url);
    const { case: c } = await register(store, { number: 'RMP-H', secretHash: 's', hashes: [] }, victim);
    const values = Array.from({ length: 20 }, () => ({ algorithm: 'pdq', bytes: new Uint8Array(randomBytes(32)), quality: 90 }));
    await store.holdItems({ ref: 'hold_v', caseId: c.id, reason: 'allow_list', detail: {}, items: [{ kind: 'image', hashes: values }] }, victim);
    const vacuums = async (table: string) =>
      (await query<{ n: number }>(url, `SELECT vacuum_count::int AS n FROM pg_stat_user_tables WHERE relname = $1 AND schemaname = $2`, [table, schema]))[0]!.n;
    const before = { held: await vacuums('held_submissions'), hashes: await vacuums('hashes') };

    await store.decideHeld('hold_v', 'rejected', { kind: 'operator', id: 'ops' });
    const [row] = await query<{ items: unknown[] }>(url, `SELECT items FROM ${schema}.held_submissions WHERE ref = 'hold_v'`);
    expect(row!.items).toEqual([]);
    expect(await store.erasureSettled(30_000)).toBe(true);
    await eventually(async () => (await vacuums('held_submissions')) > before.held);
    expect(await vacuums('hashes')).toBe(before.hashes);
  });
});

describe('PostgreSQL erasure of a report', () => {
  it('VACUUMs `reports` after its personal data is erased, and not the hash tables', async () => {
    const url = sharedPostgres().schemaUrl('vacuum_report');
    const schema = new URL(url).searchParams.get('schema');
    const store = await open(url);
    const { case: c } = await register(store, { number: 'RMP-R', secretHash: 's', hashes: [pdq(1)] }, victim);
    const report = await store.createReport({ ref: 'r_vacuum', caseId: c.id, ageBracket: 'adult', language: 'fr', descriptionSealed: 'v1:sealed', contactSealed: 'v1:sealed', links: [], actor: victim });
    const vacuums = async (table: string) =>
      (await query<{ n: number }>(url, `SELECT vacuum_count::int AS n FROM pg_stat_user_tables WHERE relname = $1 AND schemaname = $2`, [table, schema]))[0]!.n;
    const before = { reports: await vacuums('reports'), hashes: await vacuums('hashes') };
    await store.closeReport(report.id, 'closed', new Date().toISOString());
    expect(await store.erasureSettled(30_000)).toBe(true);
    await eventually(async () => (await vacuums('reports')) > before.reports);
    expect(await vacuums('hashes')).toBe(before.hashes);
  });
});

describe('PostgreSQL crash and restart', () => {
  it('keeps every acknowledged write across kill -9 of PostgreSQL, and the store reconnects by itself', async () => {
    const server = await startPostgres();
    const url = `${server.url()}?schema=crash`;
    const errors: string[] = [];
    const store = await open(url, { onConnectionError: (e) => errors.push(e.message) });
    let hints = 0;
    store.watchChanges(() => hints++);

    // Registrations stream in; PostgreSQL is killed in the middle of them.
    const acknowledged: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const created = await register(store, { number: `RMP-K${i}`, secretHash: 's', hashes: [pdq(i), pdq(i + 100_000)] }, victim);
          acknowledged.push(created.case.number);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // the server is down: try the next one
        }
      }
    })();
    await eventually(() => acknowledged.length >= 20);
    await server.kill();
    const atKill = acknowledged.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await server.start();
    await eventually(() => acknowledged.length >= atKill + 20, 30_000);
    stop = true;
    await writer;

    const survivor = await open(url);
    for (const number of acknowledged) expect((await survivor.getCaseByNumber(number))?.hashCount).toBe(2);
    // Seqs stayed gapless and in order through the crash.
    const log = await survivor.changesAfter(0, 100_000);
    expect(log.map((ch) => ch.seq)).toEqual(log.map((_, i) => i + 1));
    expect(await survivor.lastSeq()).toBe(log.length);
    expect((await collect(survivor.hashes())).length).toBe(log.length);
    // The LISTEN connection came back too.
    const before = hints;
    await register(survivor, { number: 'RMP-AFTER', secretHash: 's', hashes: [pdq(999_999)] }, victim);
    await eventually(() => hints > before);
  });
});
