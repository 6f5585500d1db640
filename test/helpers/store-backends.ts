/**
 * The store backends the contract suite (test/store-contract.test.ts) runs against: each
 * opens a new, empty store of its kind and can look inside it the way an attacker with
 * the database would (every cell of every table), for the erasure checks.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { Store, StoreBackend } from '../../src/store/types.js';
import { closeAfterTest, tempDir } from '../store-helpers.js';
import { sharedPostgres } from './postgres.js';

export interface StoreOpenOptions {
  now?: () => Date;
}

export interface StoreHandle {
  store: Store;
  /** Closes `store` and opens the same database again (closed after the test). */
  reopen(options?: StoreOpenOptions): Promise<Store>;
  /** Opens a second, independent store on the same database (another process's view). */
  openAnother(options?: StoreOpenOptions): Promise<Store>;
  /** `table.column` of every cell holding these bytes, as bytes or as hex text. */
  cellsContaining(needle: Uint8Array): Promise<string[]>;
}

export interface StoreUnderTest {
  backend: StoreBackend;
  /** A new, empty store, closed after the test. */
  open(options?: StoreOpenOptions): Promise<StoreHandle>;
}

const sqlite: StoreUnderTest = {
  backend: 'sqlite',
  async open(options = {}) {
    const file = path.join(tempDir(), 'rempart.sqlite');
    const openAt = (o: StoreOpenOptions) => closeAfterTest(openSqliteStore({ path: file, ...o }));
    const handle: StoreHandle = {
      store: openAt(options),
      async reopen(again = {}) {
        await handle.store.close();
        handle.store = openAt(again);
        return handle.store;
      },
      async openAnother(other = {}) {
        return openAt(other);
      },
      async cellsContaining(needle) {
        const raw = new Database(file, { readonly: true });
        try {
          const tables = raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
          return tables.flatMap((table) =>
            (raw.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]).flatMap((row) =>
              Object.entries(row).flatMap(([column, value]) => (holds(value, needle) ? [`${table}.${column}`] : [])),
            ),
          );
        } finally {
          raw.close();
        }
      },
    };
    return handle;
  },
};

const postgres: StoreUnderTest = {
  backend: 'postgres',
  async open(options = {}) {
    const url = sharedPostgres().schemaUrl('contract');
    const schema = new URL(url).searchParams.get('schema')!;
    const openAt = async (o: StoreOpenOptions) => closeAfterTest(await openPostgresStore({ url, poolSize: 4, ...o }));
    const handle: StoreHandle = {
      store: await openAt(options),
      async reopen(again = {}) {
        await handle.store.close();
        handle.store = await openAt(again);
        return handle.store;
      },
      openAnother: (other = {}) => openAt(other),
      async cellsContaining(needle) {
        const client = new pg.Client({ connectionString: sharedPostgres().url() });
        await client.connect();
        try {
          const { rows: tables } = await client.query<{ name: string }>(
            `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
            [schema],
          );
          const hits: string[] = [];
          for (const { name } of tables) {
            const { rows } = await client.query<Record<string, unknown>>(
              `SELECT * FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`,
            );
            for (const row of rows) {
              for (const [column, value] of Object.entries(row)) {
                const cell = value !== null && typeof value === 'object' && !Buffer.isBuffer(value) ? JSON.stringify(value) : value;
                if (holds(cell, needle)) hits.push(`${name}.${column}`);
              }
            }
          }
          return hits;
        } finally {
          await client.end();
        }
      },
    };
    return handle;
  },
};

/** True if a cell holds the bytes themselves or their hex spelling. */
export function holds(value: unknown, needle: Uint8Array): boolean {
  const bytes = Buffer.from(needle);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).includes(bytes);
  if (typeof value === 'string') return value.toLowerCase().includes(bytes.toString('hex'));
  return false;
}

export const STORE_BACKENDS: readonly StoreUnderTest[] = [sqlite, postgres];
