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
import { openTestStore, tempDir } from './store-helpers.js';

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
    const insertHash = db.prepare(
      `INSERT INTO hashes (ref, case_id, algorithm, value, quality, created_at) VALUES (?, ?, 'pdq', ?, ?, 't')`,
    );
    expect(() => insertHash.run('h_a', 1, Buffer.alloc(31), null)).toThrow(/hash_value_32_bytes/);
    expect(() => insertHash.run('h_b', 1, Buffer.alloc(32), 101)).toThrow(/hash_quality_0_100/);
    expect(() => insertHash.run('h_c', 99, Buffer.alloc(32), null)).toThrow(/FOREIGN KEY/);
    expect(() => insertHash.run('h_d', 1, 'not a blob', null)).toThrow();
    insertHash.run('h_e', 1, Buffer.alloc(32), 50);
    expect(() => insertHash.run('h_e', 1, Buffer.alloc(32), 50)).toThrow(/UNIQUE/);
    expect(() => db.prepare(`UPDATE cases SET status = 'withdrawn'`).run()).toThrow(/withdrawn_has_date/);
    expect(() =>
      db.prepare(`INSERT INTO changes (op, ref, algorithm, value, at) VALUES ('remove', 'h_e', 'pdq', ?, 't')`).run(Buffer.alloc(32)),
    ).toThrow(/only_adds_carry_values/);
    db.close();
  });
});
