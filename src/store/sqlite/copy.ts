/**
 * A SQLite file as either end of `rempart copy` (src/store/copy.ts): read in one read
 * transaction (a WAL snapshot: a serving process may go on writing), or written in one
 * IMMEDIATE transaction with foreign keys checked at commit.
 */
import type Database from 'better-sqlite3';
import type { CopySource, CopyTarget, Row, TableShape } from '../copy.js';
import { openConnection } from './connection.js';

const PAGE_ROWS = 2_000;

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function openSqliteCopyEnd(file: string, role: 'source' | 'target'): CopySource & CopyTarget {
  // A source is opened read-only (its schema must be current: `rempart migrate` first);
  // a target is created and migrated like any new store.
  const db = openConnection(file, role === 'source');
  const inserts = new Map<string, Database.Statement>();
  let inTransaction = false;

  function tables(): Map<string, TableShape> {
    const names = db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
      .pluck()
      .all() as string[];
    const shapes = new Map<string, TableShape>();
    for (const name of names) {
      const columns = db.prepare(`SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`).all(name) as { name: string; pk: number }[];
      const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      const references = db.prepare(`SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`).pluck().all(name) as string[];
      shapes.set(name, { name, columns: columns.map((c) => c.name), orderBy: key.length > 0 ? key : ['rowid'], references });
    }
    return shapes;
  }

  /** SQLite wants text, numbers and blobs: PostgreSQL's timestamps and booleans are turned into what the SQLite store writes. */
  function toSqlite(value: unknown): unknown {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'boolean') return value ? 1 : 0;
    return value;
  }

  return {
    location: file,
    backend: 'sqlite',

    async begin() {
      if (role === 'source') {
        db.exec('BEGIN');
        db.prepare('SELECT count(*) FROM sqlite_schema').get(); // the snapshot starts at the first read
      } else {
        db.exec('BEGIN IMMEDIATE');
        // Checked at COMMIT: rows of a table referring to later rows of itself are fine.
        db.pragma('defer_foreign_keys = ON');
      }
      inTransaction = true;
    },

    async tables() {
      return tables();
    },

    async highWaterMarks() {
      const rows = db.prepare('SELECT name, seq FROM sqlite_sequence').all() as { name: string; seq: number }[];
      return new Map(rows.map((r) => [r.name, r.seq]));
    },

    async countRows(table) {
      return db.prepare(`SELECT count(*) FROM ${quote(table)}`).pluck().get() as number;
    },

    async *rows(table: TableShape, columns: readonly string[]): AsyncIterable<Row[]> {
      const statement = db
        .prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table.name)} ORDER BY ${table.orderBy.map(quote).join(', ')}`)
        .raw(true);
      let page: Row[] = [];
      for (const row of statement.iterate() as IterableIterator<Row>) {
        page.push(row);
        if (page.length === PAGE_ROWS) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    },

    async clear(table) {
      db.prepare(`DELETE FROM ${quote(table)}`).run();
    },

    async insert(table: TableShape, columns: readonly string[], rows: readonly Row[]) {
      const key = `${table.name}(${columns.join(',')})`;
      let statement = inserts.get(key);
      if (!statement) {
        statement = db.prepare(
          `INSERT INTO ${quote(table.name)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
        );
        inserts.set(key, statement);
      }
      for (const row of rows) statement.run(row.map(toSqlite));
    },

    async finish(marks) {
      // AUTOINCREMENT tables keep their counter in sqlite_sequence (already at least their
      // largest id); other rowid tables continue from their largest id by themselves.
      const counted = db
        .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'`)
        .pluck()
        .all() as string[];
      const current = db.prepare<[string], number>('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck();
      for (const table of counted) {
        const mark = marks.get(table) ?? 0;
        if (mark <= (current.get(table) ?? 0)) continue;
        db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(table);
        db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, mark);
      }
    },

    async commit() {
      db.exec('COMMIT');
      inTransaction = false;
    },

    async rollback() {
      if (inTransaction) db.exec('ROLLBACK');
      inTransaction = false;
    },

    async close() {
      if (inTransaction && db.inTransaction) db.exec('ROLLBACK');
      db.close();
    },
  };
}
