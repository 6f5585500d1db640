/**
 * Opens the store the configuration names: the embedded SQLite file under the data
 * directory by default. The one place that knows the backends; everything else gets a
 * `Store` (or the narrow roles it needs) passed in.
 */
import { openPostgresStore } from './postgres/store.js';
import { defaultDatabasePath, openSqliteStore } from './sqlite/store.js';
import type { ErasureEvent, Store } from './types.js';

export interface StoreOptions {
  /** Data directory: holds the SQLite file when no other database is configured. */
  dataDir: string;
  /** A PostgreSQL URL: the store lives there instead. */
  database?: string | undefined;
  /** PostgreSQL: connections kept at most. */
  poolSize?: number;
  /** PostgreSQL: a connection was lost (it is replaced); for the log. */
  onConnectionError?: (error: Error) => void;
  /** Clock for timestamps; tests swap it. */
  now?: () => Date;
  /** Told when erasing withdrawn values from the files stalls, and when it completes after all. */
  onErasure?: (event: ErasureEvent) => void;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const { dataDir, database, poolSize, onConnectionError, ...common } = options;
  if (database) {
    return openPostgresStore({
      url: database,
      ...common,
      ...(poolSize ? { poolSize } : {}),
      ...(onConnectionError ? { onConnectionError } : {}),
    });
  }
  return openSqliteStore({ path: defaultDatabasePath(dataDir), ...common });
}
