/**
 * Opens the store the configuration names: the embedded SQLite file under the data
 * directory by default. The one place that knows the backends; everything else gets a
 * `Store` (or the narrow roles it needs) passed in.
 */
import { defaultDatabasePath, openSqliteStore } from './sqlite/store.js';
import type { ErasureEvent, Store } from './types.js';

export interface StoreOptions {
  /** Data directory: holds the SQLite file when no other database is configured. */
  dataDir: string;
  /** Clock for timestamps; tests swap it. */
  now?: () => Date;
  /** Told when erasing withdrawn values from the files stalls, and when it completes after all. */
  onErasure?: (event: ErasureEvent) => void;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const { dataDir, ...rest } = options;
  return openSqliteStore({ path: defaultDatabasePath(dataDir), ...rest });
}
