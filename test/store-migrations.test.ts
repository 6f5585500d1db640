import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  SchemaTooNewError,
  SchemaTooOldError,
  currentSchemaVersion,
  migrate,
  type Migration,
} from '../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { collect, hashBytes, openTestStore, pdq, register, tempDir, victim } from './store-helpers.js';

function rawDb(file = path.join(tempDir(), 'raw.sqlite')) {
  return { db: new Database(file), file };
}

function appliedVersions(db: Database.Database): number[] {
  return db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all() as number[];
}

describe('migrations', () => {
  it('are numbered 1, 2, 3… with names', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    for (const m of MIGRATIONS) expect(m.name.length).toBeGreaterThan(0);
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('apply once on a new database and not again on reopen', async () => {
    const { store, file } = openTestStore();
    await store.setSetting('marker', '1');
    await store.close();
    await openTestStore(file).store.close();

    const db = new Database(file);
    expect(appliedVersions(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(currentSchemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(migrate(db, file)).toEqual([]);
    expect(db.prepare(`SELECT value FROM settings WHERE key = 'marker'`).pluck().get()).toBe('1');
    db.close();
  });

  it('apply only the pending ones, in order, recording each', () => {
    const { db, file } = rawDb();
    const ran: number[] = [];
    const list: Migration[] = [
      { version: 1, name: 'one', up: (d) => (d.exec('CREATE TABLE t1 (x)'), ran.push(1)) },
      { version: 2, name: 'two', up: (d) => (d.exec('CREATE TABLE t2 (x)'), ran.push(2)) },
    ];
    expect(migrate(db, file, undefined, list.slice(0, 1))).toEqual([1]);
    expect(migrate(db, file, undefined, list)).toEqual([2]);
    expect(ran).toEqual([1, 2]);
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual([
      { version: 1, name: 'one' },
      { version: 2, name: 'two' },
    ]);
    db.close();
  });

  it('roll back a failing migration entirely and record nothing for it', () => {
    const { db, file } = rawDb();
    const list: Migration[] = [
      { version: 1, name: 'one', up: (d) => d.exec('CREATE TABLE t1 (x)') },
      {
        version: 2,
        name: 'broken',
        up: (d) => {
          d.exec('CREATE TABLE t2 (x)');
          throw new Error('boom');
        },
      },
    ];
    expect(() => migrate(db, file, undefined, list)).toThrow('boom');
    expect(appliedVersions(db)).toEqual([1]);
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 't2'`).get()).toBeUndefined();
    db.close();
  });

  it('refuse a list with gaps or disorder', () => {
    const { db, file } = rawDb();
    const bad: Migration[] = [{ version: 2, name: 'two', up: () => {} }];
    expect(() => migrate(db, file, undefined, bad)).toThrow(/numbered 1, 2, 3/);
    db.close();
  });

  it('refuse to open a database written by a newer Rempart, with a clear message', async () => {
    const { store, file } = openTestStore();
    await store.close();
    const db = new Database(file);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      LATEST_SCHEMA_VERSION + 1,
      'from the future',
      new Date().toISOString(),
    );
    db.close();

    expect(() => openSqliteStore({ path: file })).toThrow(SchemaTooNewError);
    expect(() => openSqliteStore({ path: file })).toThrow(
      `Database ${file} has schema version ${LATEST_SCHEMA_VERSION + 1}, but this Rempart only knows versions up to ${LATEST_SCHEMA_VERSION}`,
    );
    expect(() => openSqliteStore({ path: file, readonly: true })).toThrow(SchemaTooNewError);
  });

  it('read-only opening refuses a database that still needs migrations', () => {
    const { db, file } = rawDb();
    db.close();
    expect(() => openSqliteStore({ path: file, readonly: true })).toThrow(SchemaTooOldError);
    expect(() => openSqliteStore({ path: file, readonly: true })).toThrow(/open it once read-write/);
  });

  it('the schema itself rejects malformed rows, whatever the code above it does', async () => {
    const { store, file } = openTestStore();
    await store.close();
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    db.prepare(`INSERT INTO cases (number, secret_hash, created_at) VALUES ('N', 's', 't')`).run();
    db.prepare(`INSERT INTO items (ref, case_id, kind, created_at) VALUES ('i_a', 1, 'image', 't')`).run();
    expect(() => db.prepare(`INSERT INTO items (ref, case_id, kind, created_at) VALUES ('i_b', 1, 'audio', 't')`).run()).toThrow(/CHECK/);
    const insertHash = db.prepare(
      `INSERT INTO hashes (ref, case_id, item_id, algorithm, value, quality, created_at) VALUES (?, ?, 1, 'pdq', ?, ?, 't')`,
    );
    expect(() => insertHash.run('h_a', 1, Buffer.alloc(31), null)).toThrow(/hash_value_32_bytes/);
    expect(() => insertHash.run('h_b', 1, Buffer.alloc(32), 101)).toThrow(/hash_quality_0_100/);
    expect(() => insertHash.run('h_c', 99, Buffer.alloc(32), null)).toThrow(/FOREIGN KEY/);
    expect(() => insertHash.run('h_d', 1, 'not a blob', null)).toThrow();
    insertHash.run('h_e', 1, Buffer.alloc(32), 50);
    expect(() => insertHash.run('h_e', 1, Buffer.alloc(32), 50)).toThrow(/UNIQUE/);
    expect(() => db.prepare(`UPDATE cases SET status = 'withdrawn'`).run()).toThrow(/withdrawn_has_date/);
    expect(() =>
      db.prepare(`INSERT INTO changes (op, ref, item_ref, role, algorithm, value, at) VALUES ('remove', 'h_e', 'i_a', 'full', 'pdq', ?, 't')`).run(Buffer.alloc(32)),
    ).toThrow(/only_adds_carry_values/);
    db.close();
  });
});

describe('migration 3: items', () => {
  /** A database as Rempart wrote it before items: two cases, one withdrawn, erased adds at the end of the log. */
  function version1Database() {
    const { db, file } = rawDb();
    migrate(db, file, undefined, MIGRATIONS.slice(0, 1));
    db.exec(`
      INSERT INTO cases (id, number, secret_hash, created_at) VALUES (1, 'RMP-KEEP', 's', 't1');
      INSERT INTO cases (id, number, secret_hash, status, created_at, withdrawn_at) VALUES (2, 'RMP-GONE', 's', 'withdrawn', 't1', 't2');
    `);
    const hash = db.prepare(`INSERT INTO hashes (id, ref, case_id, algorithm, value, quality, created_at) VALUES (?, ?, 1, 'pdq', ?, 90, 't1')`);
    const change = db.prepare(`INSERT INTO changes (seq, op, ref, algorithm, value, quality, at) VALUES (?, ?, ?, 'pdq', ?, ?, 't')`);
    hash.run(1, 'h_AAAAAAAAAAAAAAAAAAAAAA', Buffer.from(hashBytes(1)));
    hash.run(4, 'h_BBBBBBBBBBBBBBBBBBBBBB', Buffer.from(hashBytes(4)));
    change.run(1, 'add', 'h_AAAAAAAAAAAAAAAAAAAAAA', Buffer.from(hashBytes(1)), 90);
    change.run(4, 'add', 'h_BBBBBBBBBBBBBBBBBBBBBB', Buffer.from(hashBytes(4)), 90);
    // Case 2 had hashes 2, 3, 5 (seqs 2, 3, 5), withdrawn as seqs 6-8; hash 6 and seq 9 were
    // assigned and erased since: the high-water marks must survive the migration.
    for (const [seq, ref] of [[6, 'h_CCCCCCCCCCCCCCCCCCCCCC'], [7, 'h_DDDDDDDDDDDDDDDDDDDDDD'], [8, 'h_EEEEEEEEEEEEEEEEEEEEEE']] as const) {
      change.run(seq, 'remove', ref, null, null);
    }
    db.exec(`UPDATE sqlite_sequence SET seq = 6 WHERE name = 'hashes'; UPDATE sqlite_sequence SET seq = 9 WHERE name = 'changes';`);
    db.close();
    return file;
  }

  it('makes each hash an item of its own and names hash ids, items and roles in the log', async () => {
    const file = version1Database();
    const { store } = openTestStore(file);
    const hashes = await collect(store.hashes());
    expect(hashes.map((h) => [h.id, h.ref, h.itemId, h.itemRef, h.role, h.detail])).toEqual([
      [1, 'h_AAAAAAAAAAAAAAAAAAAAAA', 1, 'i_AAAAAAAAAAAAAAAAAAAAAA', 'full', null],
      [4, 'h_BBBBBBBBBBBBBBBBBBBBBB', 4, 'i_BBBBBBBBBBBBBBBBBBBBBB', 'full', null],
    ]);
    expect(hashes.map((h) => h.bytes)).toEqual([hashBytes(1), hashBytes(4)]);
    expect((await store.getCaseByNumber('RMP-KEEP'))?.hashCount).toBe(2);
    expect((await store.hashFacts([4])).get(4)).toMatchObject({ itemRef: 'i_BBBBBBBBBBBBBBBBBBBBBB', role: 'full' });
    expect((await store.changesAfter(0, 10)).map((c) => [c.seq, c.op, c.hashId, c.itemRef, c.role])).toEqual([
      [1, 'add', 1, 'i_AAAAAAAAAAAAAAAAAAAAAA', 'full'],
      [4, 'add', 4, 'i_BBBBBBBBBBBBBBBBBBBBBB', 'full'],
      [6, 'remove', null, 'i_CCCCCCCCCCCCCCCCCCCCCC', 'full'],
      [7, 'remove', null, 'i_DDDDDDDDDDDDDDDDDDDDDD', 'full'],
      [8, 'remove', null, 'i_EEEEEEEEEEEEEEEEEEEEEE', 'full'],
    ]);
    // Ids and seqs go on from where they were, never reusing one.
    expect(await store.lastSeq()).toBe(9);
    const later = await register(store, { number: 'RMP-NEW', secretHash: 's', hashes: [pdq(9)] }, victim);
    expect(later.hashes[0]!.id).toBe(7);
    expect(later.items[0]!.id).toBe(5);
    expect(await store.lastSeq()).toBe(10);

    // A withdrawal of a migrated case erases its adds and logs removals with hash ids.
    const keep = (await store.getCaseByNumber('RMP-KEEP'))!;
    expect(await store.withdrawCase(keep.id, victim)).toEqual([1, 4]);
    expect((await store.changesAfter(0, 20)).map((c) => [c.seq, c.op, c.hashId])).toEqual([
      [6, 'remove', null],
      [7, 'remove', null],
      [8, 'remove', null],
      [10, 'add', 7],
      [11, 'remove', 1],
      [12, 'remove', 4],
    ]);
  });

  it('the new schema rejects a hash without an item, a bad role, or an add without its hash id', async () => {
    const { store, file } = openTestStore();
    await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    await store.close();
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const insert = db.prepare(
      `INSERT INTO hashes (ref, case_id, item_id, role, algorithm, value, created_at) VALUES (?, 1, ?, ?, 'pdq', ?, 't')`,
    );
    expect(() => insert.run('h_x', 99, 'full', Buffer.alloc(32))).toThrow(/FOREIGN KEY/);
    expect(() => insert.run('h_y', 1, 'Full', Buffer.alloc(32))).toThrow(/hash_role_tag/);
    expect(() => insert.run('h_z', 1, 'x'.repeat(33), Buffer.alloc(32))).toThrow(/hash_role_tag/);
    expect(() =>
      db.prepare(`INSERT INTO changes (op, ref, item_ref, role, algorithm, value, at) VALUES ('add', 'h', 'i', 'full', 'pdq', ?, 't')`).run(Buffer.alloc(32)),
    ).toThrow(/adds_name_their_hash/);
    expect(() => db.prepare(`UPDATE hashes SET detail = '[1]'`).run()).toThrow(/hash_detail_object/);
    db.close();
  });
});
