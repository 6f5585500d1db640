/**
 * `rempart copy`: moves a whole bank from one store to another (SQLite to PostgreSQL when a
 * hotline outgrows one machine, PostgreSQL to SQLite to take a bank offline or back), row
 * for row: every id, ref, change-log seq, exchange position and audit entry is kept, so
 * platforms' sync cursors, StopNCII feed positions and case numbers go on working against
 * the copy, and no id is ever handed out twice (each table's high-water mark travels too,
 * not only its largest surviving id: a withdrawn hash's id stays burnt).
 *
 * The copy is table by table, by column name, over every table both schemas have: a role
 * added later (its tables created by a migration on each backend, with the same names) is
 * copied without touching this file. Values are converted where the backends differ
 * (timestamps as ISO text ↔ timestamptz, JSON text ↔ jsonb, 0/1 ↔ boolean, BLOB ↔ bytea).
 *
 * The source is read in one snapshot (a read transaction) and the target written in one
 * transaction: a copy that fails leaves the target as it was. The target must be empty (a
 * new file, or a new database or schema): copying never merges two banks.
 */
import { openPostgresCopyEnd } from './postgres/copy.js';
import { openSqliteCopyEnd } from './sqlite/copy.js';

/** What a store looks like to the copy: its tables and their columns. */
export interface TableShape {
  name: string;
  columns: string[];
  /** Columns to read rows in (the primary key), so that rows referring to earlier rows of the same table come after them. */
  orderBy: string[];
  /** Tables this one refers to (foreign keys), copied first. */
  references: string[];
}

/** Rows as arrays of values, in the order of the columns asked for. */
export type Row = unknown[];

export interface CopySource {
  readonly location: string;
  readonly backend: 'sqlite' | 'postgres';
  /** Starts the snapshot every later read sees. */
  begin(): Promise<void>;
  tables(): Promise<Map<string, TableShape>>;
  /** Per table: the highest id ever handed out (ids of deleted rows included); `changes`: the last seq. */
  highWaterMarks(): Promise<Map<string, number>>;
  countRows(table: string): Promise<number>;
  /** Pages of rows, in `orderBy` order. Timestamps may come as Date or ISO text, JSON as text. */
  rows(table: TableShape, columns: readonly string[]): AsyncIterable<Row[]>;
  close(): Promise<void>;
}

export interface CopyTarget {
  readonly location: string;
  readonly backend: 'sqlite' | 'postgres';
  tables(): Promise<Map<string, TableShape>>;
  countRows(table: string): Promise<number>;
  /** Opens the transaction every later write is part of. */
  begin(): Promise<void>;
  /** Empties a table a migration seeded (single-row state tables), before its rows are copied. */
  clear(table: string): Promise<void>;
  insert(table: TableShape, columns: readonly string[], rows: readonly Row[]): Promise<void>;
  /**
   * After the rows: makes every id (seq, for `changes`) handed out from now on greater than
   * both the table's largest id and the source's mark for it.
   */
  finish(marks: ReadonlyMap<string, number>): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Bookkeeping of one backend, never copied: migrations (each side records its own), SQLite's
 * AUTOINCREMENT counters and PostgreSQL's change-log counter (both carried as high-water
 * marks instead), rate-limit windows (seconds long; SQLite keeps them in memory), burst
 * counting's recent submissions (an hour at most; a copy starts counting afresh), and the
 * allow-list's version (the target's triggers count the copied rows themselves).
 */
const NOT_COPIED = new Set(['schema_migrations', 'sqlite_sequence', 'change_log_state', 'rate_limits', 'recent_submissions', 'allow_list_version']);

/** Tables a migration fills with a starting row: the source's row replaces it. */
export const SEEDED_TABLES = new Set(['exchange_state']);

export interface CopyReport {
  from: string;
  to: string;
  /** Rows copied per table, in the order they were copied. */
  tables: { name: string; rows: number }[];
  /** Tables of the source with no rows that the target does not have (a role not on that backend yet). */
  skipped: string[];
  ms: number;
}

export interface CopyOptions {
  /** Told after each table (and every 100,000 rows of a big one). */
  onProgress?: (table: string, rows: number, done: boolean) => void;
}

/** A PostgreSQL URL, or a SQLite database file. */
export type StoreLocation = { postgres: string } | { sqliteFile: string };

export async function copyStore(from: StoreLocation, to: StoreLocation, options: CopyOptions = {}): Promise<CopyReport> {
  const started = performance.now();
  const source = 'postgres' in from ? await openPostgresCopyEnd(from.postgres, 'source') : openSqliteCopyEnd(from.sqliteFile, 'source');
  try {
    const target = 'postgres' in to ? await openPostgresCopyEnd(to.postgres, 'target') : openSqliteCopyEnd(to.sqliteFile, 'target');
    try {
      return await copyBetween(source, target, options, started);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function copyBetween(source: CopySource, target: CopyTarget, options: CopyOptions, started: number): Promise<CopyReport> {
  await source.begin();
  const [sourceTables, targetTables] = await Promise.all([source.tables(), target.tables()]);
  const plan = await planCopy(source, target, sourceTables, targetTables);
  const marks = await source.highWaterMarks();

  await target.begin();
  const copied: CopyReport['tables'] = [];
  try {
    for (const table of plan.order) {
      const shape = targetTables.get(table)!;
      const columns = sourceTables.get(table)!.columns;
      if (SEEDED_TABLES.has(table)) await target.clear(table);
      let rows = 0;
      let reported = 0;
      for await (const page of source.rows(sourceTables.get(table)!, columns)) {
        await target.insert(shape, columns, page);
        rows += page.length;
        if (rows - reported >= 100_000) {
          options.onProgress?.(table, rows, false);
          reported = rows;
        }
      }
      options.onProgress?.(table, rows, true);
      copied.push({ name: table, rows });
    }
    await target.finish(marks);
    await target.commit();
  } catch (error) {
    await target.rollback().catch(() => {});
    throw error;
  }
  return { from: source.location, to: target.location, tables: copied, skipped: plan.skipped, ms: Math.round(performance.now() - started) };
}

/** Which tables to copy, in an order where every row's references are already there; refuses what would lose data. */
async function planCopy(
  source: CopySource,
  target: CopyTarget,
  sourceTables: Map<string, TableShape>,
  targetTables: Map<string, TableShape>,
): Promise<{ order: string[]; skipped: string[] }> {
  const copied: string[] = [];
  const skipped: string[] = [];
  for (const [name, shape] of sourceTables) {
    if (NOT_COPIED.has(name)) continue;
    const into = targetTables.get(name);
    if (!into) {
      const rows = await source.countRows(name);
      if (rows > 0) {
        throw new CopyError(
          `the ${target.backend} store has no table "${name}" (${rows} rows in ${source.location}): ` +
            `that part of Rempart is not available on ${target.backend} yet, and copying would lose it`,
        );
      }
      skipped.push(name);
      continue;
    }
    const missing = shape.columns.filter((c) => !into.columns.includes(c));
    const extra = into.columns.filter((c) => !shape.columns.includes(c));
    if (missing.length > 0 || extra.length > 0) {
      throw new CopyError(
        `table "${name}" differs between the stores (` +
          [missing.length ? `only in ${source.location}: ${missing.join(', ')}` : '', extra.length ? `only in ${target.location}: ${extra.join(', ')}` : '']
            .filter(Boolean)
            .join('; ') +
          '): are both at the latest schema version? (rempart migrate)',
      );
    }
    copied.push(name);
  }
  for (const name of targetTables.keys()) {
    if (NOT_COPIED.has(name) || SEEDED_TABLES.has(name)) continue;
    const rows = await target.countRows(name);
    if (rows > 0) {
      throw new CopyError(
        `${target.location} is not empty (${rows} rows in "${name}"): copy into a new database, schema or data directory; it never merges two banks`,
      );
    }
  }
  return { order: referencedFirst(copied, targetTables), skipped };
}

/** Tables ordered so that each comes after the tables it refers to (a reference to itself is fine: rows come in key order). */
function referencedFirst(tables: readonly string[], shapes: Map<string, TableShape>): string[] {
  const chosen = new Set(tables);
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new CopyError(`tables refer to each other in a cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const parent of shapes.get(name)?.references ?? []) if (parent !== name && chosen.has(parent)) visit(parent, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of [...tables].sort()) visit(name, []);
  return order;
}

export class CopyError extends Error {
  override name = 'CopyError';
}
