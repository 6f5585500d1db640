/**
 * Opening a SQLite database the way every Rempart connection needs it: private file,
 * WAL, synchronous = FULL, secure_delete, schema migrated (or, read-only, checked).
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertSchemaUsable, migrate } from './migrations.js';

export const DATABASE_FILE_NAME = 'rempart.sqlite';
/** How long a write waits for another connection's lock before failing. */
export const BUSY_TIMEOUT_MS = 5_000;
/** Page cache per connection: keeps the random-ref UNIQUE index hot during bulk imports. */
const PAGE_CACHE_KIB = 64 * 1024;

export function defaultDatabasePath(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE_NAME);
}

/** Opens, configures and migrates (or, read-only, checks) a connection. */
export function openConnection(file: string, readonly = false, now: () => Date = () => new Date()): Database.Database {
  const inMemory = file === ':memory:';
  if (!inMemory && !readonly) {
    // The file holds secrets' hashes: keep it private to the service's user.
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
  }
  const db = new Database(file, { readonly, fileMustExist: readonly });
  try {
    // Values are concatenated as text when paging (group_concat): only UTF-8 keeps bytes intact.
    if (db.pragma('encoding', { simple: true }) !== 'UTF-8') throw new Error(`${file} is not a UTF-8 database`);
    if (!readonly && !inMemory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`could not put ${file} in WAL mode (got ${String(mode)})`);
    }
    // FULL: an acknowledged registration survives power loss, not only a crash.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Overwrite deleted rows with zeros, so withdrawn hash values do not linger in free pages.
    db.pragma('secure_delete = ON');
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    if (readonly) assertSchemaUsable(db, file);
    else migrate(db, file, now);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
