/**
 * Numbered schema migrations (as fastify/demo does): each runs once, in its own
 * transaction, and is recorded in schema_migrations. Append new ones; never edit
 * a migration that has shipped.
 */
import type Database from 'better-sqlite3';
import { SchemaTooNewError, SchemaTooOldError } from '../schema-errors.js';
import { TAKEDOWN_MIGRATION_SQL } from './takedown.js';
import { WEBHOOKS_MIGRATION_SQL } from './webhooks.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema: cases, hashes, platforms, change log, audit, settings',
    up(db) {
      db.exec(`
        CREATE TABLE cases (
          id           INTEGER PRIMARY KEY AUTOINCREMENT,
          number       TEXT NOT NULL UNIQUE,
          secret_hash  TEXT NOT NULL,
          status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
          created_at   TEXT NOT NULL,
          withdrawn_at TEXT,
          match_count  INTEGER NOT NULL DEFAULT 0,
          CONSTRAINT withdrawn_has_date CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL))
        ) STRICT;

        -- AUTOINCREMENT: an id is never reused, so a stale id (a match computed just
        -- before a withdrawal) can never point at another victim's hash.
        CREATE TABLE hashes (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          ref        TEXT NOT NULL UNIQUE,
          case_id    INTEGER NOT NULL REFERENCES cases (id),
          algorithm  TEXT NOT NULL CONSTRAINT hash_algorithm_name CHECK (length(algorithm) BETWEEN 1 AND 64),
          value      BLOB NOT NULL CONSTRAINT hash_value_32_bytes CHECK (length(value) = 32),
          quality    INTEGER CONSTRAINT hash_quality_0_100 CHECK (quality IS NULL OR quality BETWEEN 0 AND 100),
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX hashes_case_id ON hashes (case_id);

        CREATE TABLE platforms (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          name       TEXT NOT NULL UNIQUE,
          key_id     TEXT NOT NULL UNIQUE,
          key_hash   TEXT NOT NULL,
          created_at TEXT NOT NULL,
          revoked_at TEXT
        ) STRICT;

        -- The log platforms sync from. AUTOINCREMENT keeps seq monotonic even after
        -- a withdrawal deletes the newest 'add' entries.
        CREATE TABLE changes (
          seq       INTEGER PRIMARY KEY AUTOINCREMENT,
          op        TEXT NOT NULL CHECK (op IN ('add', 'remove')),
          ref       TEXT NOT NULL,
          algorithm TEXT NOT NULL,
          value     BLOB CONSTRAINT change_value_32_bytes CHECK (value IS NULL OR length(value) = 32),
          quality   INTEGER,
          at        TEXT NOT NULL,
          CONSTRAINT only_adds_carry_values CHECK ((op = 'add') = (value IS NOT NULL))
        ) STRICT;
        CREATE INDEX changes_ref ON changes (ref);

        CREATE TABLE audit (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          at         TEXT NOT NULL,
          actor_kind TEXT NOT NULL CHECK (actor_kind IN ('victim', 'platform', 'operator', 'system')),
          actor_id   TEXT NOT NULL,
          action     TEXT NOT NULL,
          target     TEXT,
          detail     TEXT CHECK (detail IS NULL OR json_valid(detail))
        ) STRICT;

        CREATE TABLE settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    name: 'exchange projection: one record per exchanged hash value, for the StopNCII-compatible feed',
    up(db) {
      db.exec(`
        -- Followed from the change log by the exchange projector (src/service/exchange.ts).
        -- One row per (signal type, value); position is the record's place in the feed,
        -- reassigned on every change, and modified_at never decreases as position grows.
        CREATE TABLE exchange_records (
          id                INTEGER PRIMARY KEY AUTOINCREMENT,
          signal_type       TEXT NOT NULL,
          value             BLOB NOT NULL,
          position          INTEGER NOT NULL UNIQUE,
          modified_at       INTEGER NOT NULL,
          -- First time the value was served as active (seconds and position): a withdrawn value is
          -- only ever sent to a client that may have seen it active.
          exposed_at        INTEGER NOT NULL,
          exposed_position  INTEGER NOT NULL,
          -- Set while no member is active: where it became inactive, and when it must be erased.
          inactive_position INTEGER,
          erase_after       INTEGER,
          UNIQUE (signal_type, value),
          CONSTRAINT inactive_has_deadline CHECK ((inactive_position IS NULL) = (erase_after IS NULL))
        ) STRICT;
        CREATE INDEX exchange_records_modified ON exchange_records (modified_at, position);
        CREATE INDEX exchange_records_inactive ON exchange_records (erase_after) WHERE erase_after IS NOT NULL;

        -- The opaque hash refs behind a record, and each one's status.
        CREATE TABLE exchange_members (
          ref       TEXT PRIMARY KEY,
          record_id INTEGER NOT NULL REFERENCES exchange_records (id) ON DELETE CASCADE,
          status    TEXT NOT NULL CHECK (status IN ('Active', 'Withdrawn', 'Deleted'))
        ) STRICT;
        CREATE INDEX exchange_members_record ON exchange_members (record_id);

        -- Single row: change-log seq applied so far, last position and time handed out.
        CREATE TABLE exchange_state (
          id            INTEGER PRIMARY KEY CHECK (id = 1),
          applied_seq   INTEGER NOT NULL,
          last_position INTEGER NOT NULL,
          last_modified INTEGER NOT NULL
        ) STRICT;
        INSERT INTO exchange_state (id, applied_seq, last_position, last_modified) VALUES (1, 0, 0, 0);

        -- What each platform has been served and has acknowledged (the startTimestamp it comes back
        -- with): a tombstone is erased as soon as every platform that may have seen the value has
        -- acknowledged its removal, or when its window ends.
        CREATE TABLE exchange_readers (
          platform_id     INTEGER PRIMARY KEY REFERENCES platforms (id),
          served_position INTEGER NOT NULL,
          acked_time      INTEGER NOT NULL,
          last_read_at    TEXT NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    version: 3,
    name: 'items: hashes belong to an item (image or video) and carry a role; change-log entries name hash id, item and role',
    up(db) {
      // Ids are never reused: keep each table's high-water mark across the rebuilds below.
      const sequence = (name: string) =>
        (db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(name) as number | undefined) ?? 0;
      const hashesSeq = sequence('hashes');
      const changesSeq = sequence('changes');
      db.exec(`
        CREATE TABLE items (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          ref        TEXT NOT NULL UNIQUE,
          case_id    INTEGER NOT NULL REFERENCES cases (id),
          kind       TEXT NOT NULL CHECK (kind IN ('image', 'video')),
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX items_case_id ON items (case_id);

        -- Each existing hash becomes an item of its own, with the same id and the random
        -- part of the hash's ref (already public, so this reveals nothing new).
        INSERT INTO items (id, ref, case_id, kind, created_at)
          SELECT id, 'i_' || substr(ref, 3), case_id, 'image', created_at FROM hashes ORDER BY id;

        CREATE TABLE hashes_v2 (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          ref        TEXT NOT NULL UNIQUE,
          case_id    INTEGER NOT NULL REFERENCES cases (id),
          item_id    INTEGER NOT NULL REFERENCES items (id),
          role       TEXT NOT NULL DEFAULT 'full'
                     CONSTRAINT hash_role_tag CHECK (length(role) BETWEEN 1 AND 32 AND role NOT GLOB '*[^a-z0-9_-]*'),
          detail     TEXT CONSTRAINT hash_detail_object
                     CHECK (detail IS NULL OR (json_valid(detail) AND json_type(detail) = 'object' AND length(detail) <= 1024)),
          algorithm  TEXT NOT NULL CONSTRAINT hash_algorithm_name CHECK (length(algorithm) BETWEEN 1 AND 64),
          value      BLOB NOT NULL CONSTRAINT hash_value_32_bytes CHECK (length(value) = 32),
          quality    INTEGER CONSTRAINT hash_quality_0_100 CHECK (quality IS NULL OR quality BETWEEN 0 AND 100),
          created_at TEXT NOT NULL
        ) STRICT;
        INSERT INTO hashes_v2 (id, ref, case_id, item_id, role, detail, algorithm, value, quality, created_at)
          SELECT id, ref, case_id, id, 'full', NULL, algorithm, value, quality, created_at FROM hashes ORDER BY id;
        DROP TABLE hashes;
        ALTER TABLE hashes_v2 RENAME TO hashes;
        CREATE INDEX hashes_case_id ON hashes (case_id);
        -- Deleting an item checks its hashes through this (foreign key).
        CREATE INDEX hashes_item_id ON hashes (item_id);

        CREATE TABLE changes_v2 (
          seq       INTEGER PRIMARY KEY AUTOINCREMENT,
          op        TEXT NOT NULL CHECK (op IN ('add', 'remove')),
          -- Internal, never served; null only for removals logged before this migration.
          hash_id   INTEGER,
          ref       TEXT NOT NULL,
          item_ref  TEXT NOT NULL,
          role      TEXT NOT NULL,
          detail    TEXT CHECK (detail IS NULL OR json_valid(detail)),
          algorithm TEXT NOT NULL,
          value     BLOB CONSTRAINT change_value_32_bytes CHECK (value IS NULL OR length(value) = 32),
          quality   INTEGER,
          at        TEXT NOT NULL,
          CONSTRAINT only_adds_carry_values CHECK ((op = 'add') = (value IS NOT NULL)),
          CONSTRAINT adds_name_their_hash CHECK (op = 'remove' OR hash_id IS NOT NULL)
        ) STRICT;
        INSERT INTO changes_v2 (seq, op, hash_id, ref, item_ref, role, detail, algorithm, value, quality, at)
          SELECT c.seq, c.op, h.id, c.ref, 'i_' || substr(c.ref, 3), 'full', NULL, c.algorithm, c.value, c.quality, c.at
            FROM changes c LEFT JOIN hashes h ON h.ref = c.ref ORDER BY c.seq;
        DROP TABLE changes;
        ALTER TABLE changes_v2 RENAME TO changes;
        -- A withdrawal erases the 'add' entries of its hashes through this.
        CREATE INDEX changes_hash_id ON changes (hash_id);
      `);
      for (const [name, seq] of [['hashes', hashesSeq], ['changes', changesSeq]] as const) {
        const kept = Math.max(seq, sequence(name));
        db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(name);
        if (kept > 0) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(name, kept);
      }
    },
  },
  {
    version: 4,
    name: 'webhooks: per-platform endpoints, durable delivery queue, attempt log',
    up(db) {
      db.exec(WEBHOOKS_MIGRATION_SQL);
    },
  },
  {
    version: 5,
    name: 'takedown: reports, links and their history, notices, platform directory, answer templates, operators and sessions',
    up(db) {
      db.exec(TAKEDOWN_MIGRATION_SQL);
    },
  },
  {
    version: 6,
    name: "feedback: each platform's latest report per matched item (blocked, not blocked, pending review…)",
    up(db) {
      db.exec(`
        -- One row per (item, platform): a new report replaces the platform's earlier one (the
        -- history is in the audit log). Deleted with the item when the case is withdrawn.
        CREATE TABLE feedback (
          item_id     INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
          platform_id INTEGER NOT NULL REFERENCES platforms (id),
          case_id     INTEGER NOT NULL REFERENCES cases (id),
          value       TEXT NOT NULL CHECK (value IN ('Unknown', 'None', 'QualityUnknown', 'PendingReview', 'Blocked',
                                                     'NotBlocked', 'Withdrawn', 'Deleted')),
          tags        TEXT NOT NULL CHECK (json_valid(tags) AND json_type(tags) = 'array'),
          first_at    TEXT NOT NULL,
          at          TEXT NOT NULL,
          PRIMARY KEY (item_id, platform_id)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX feedback_case ON feedback (case_id);
      `);
    },
  },
  {
    version: 7,
    name: 'platform thresholds: a platform may match more strictly than the bank, per algorithm',
    up(db) {
      db.exec(`
        CREATE TABLE platform_thresholds (
          platform_id INTEGER NOT NULL REFERENCES platforms (id),
          algorithm   TEXT NOT NULL CHECK (algorithm GLOB '[a-z0-9_]*' AND length(algorithm) BETWEEN 1 AND 32),
          threshold   INTEGER NOT NULL CHECK (threshold BETWEEN 0 AND 256),
          set_at      TEXT NOT NULL,
          PRIMARY KEY (platform_id, algorithm)
        ) STRICT, WITHOUT ROWID;
      `);
    },
  },
  {
    version: 8,
    name: 'abuse controls: allow-list of benign hashes, submissions held for review',
    up(db) {
      db.exec(`
        CREATE TABLE allow_list (
          id        INTEGER PRIMARY KEY AUTOINCREMENT,
          algorithm TEXT NOT NULL CHECK (length(algorithm) BETWEEN 1 AND 64),
          value     BLOB NOT NULL CHECK (length(value) = 32),
          label     TEXT CHECK (label IS NULL OR length(label) <= 200),
          added_at  TEXT NOT NULL,
          UNIQUE (algorithm, value)
        ) STRICT;
        -- Held hashes stay out of 'hashes' (no match, no feed) until released; erased with the case.
        CREATE TABLE held_submissions (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          ref        TEXT NOT NULL UNIQUE,
          case_id    INTEGER NOT NULL REFERENCES cases (id),
          reason     TEXT NOT NULL CHECK (reason IN ('allow_list', 'burst', 'dispute')),
          detail     TEXT NOT NULL CHECK (json_valid(detail)),
          items      TEXT NOT NULL CHECK (json_valid(items) AND json_type(items) = 'array'),
          hash_count INTEGER NOT NULL CHECK (hash_count >= 0),
          status     TEXT NOT NULL CHECK (status IN ('held', 'released', 'rejected')),
          held_at    TEXT NOT NULL,
          decided_at TEXT,
          decided_by TEXT,
          CHECK ((status = 'held') = (decided_at IS NULL))
        ) STRICT;
        CREATE INDEX held_case ON held_submissions (case_id);
        CREATE INDEX held_status ON held_submissions (status, id);
      `);
    },
  },
  {
    version: 9,
    name: "follower: other banks' feeds followed by this instance (cursor per source) and the hashes they hold",
    up(db) {
      db.exec(`
        CREATE TABLE follow_sources (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          url        TEXT NOT NULL UNIQUE,
          cursor     INTEGER NOT NULL CHECK (cursor >= 0),
          updated_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE followed_hashes (
          id        INTEGER PRIMARY KEY AUTOINCREMENT,
          source_id INTEGER NOT NULL REFERENCES follow_sources (id),
          ref       TEXT NOT NULL,
          item_ref  TEXT NOT NULL,
          role      TEXT NOT NULL,
          algorithm TEXT NOT NULL CHECK (length(algorithm) BETWEEN 1 AND 64),
          value     BLOB NOT NULL CHECK (length(value) = 32),
          quality   INTEGER CHECK (quality IS NULL OR quality BETWEEN 0 AND 100),
          UNIQUE (source_id, ref)
        ) STRICT;
      `);
    },
  },
  {
    version: 10,
    name: 'follower: the local id each removed followed hash had, so that every process sharing the store drops it from its index',
    up(db) {
      db.exec(`
        CREATE TABLE followed_removals (
          source_id INTEGER NOT NULL REFERENCES follow_sources (id),
          ref       TEXT NOT NULL,
          id        INTEGER NOT NULL,
          PRIMARY KEY (source_id, ref)
        ) STRICT;
      `);
    },
  },
  {
    version: 11,
    name: "follower: each followed hash keeps its detail (a region's box, a video frame's time); the copy is read again from the start to get them",
    up(db) {
      // The copy is the source's to give again: emptied and re-read, rather than left without boxes and times.
      db.exec(`
        ALTER TABLE followed_hashes ADD COLUMN detail TEXT
          CHECK (detail IS NULL OR (json_valid(detail) AND json_type(detail) = 'object' AND length(detail) <= 1024));
        DELETE FROM followed_removals;
        DELETE FROM followed_hashes;
        UPDATE follow_sources SET cursor = 0;
      `);
    },
  },  {
    version: 12,
    name: 'abuse controls: recent submissions per address (a keyed hash) for burst counting, shared by every process on the store',
    up(db) {
      db.exec(`
        CREATE TABLE recent_submissions (
          id      INTEGER PRIMARY KEY AUTOINCREMENT,
          address TEXT NOT NULL,
          case_id INTEGER NOT NULL,
          at      INTEGER NOT NULL,
          hashes  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX recent_submissions_address ON recent_submissions (address, at);
        CREATE INDEX recent_submissions_at ON recent_submissions (at);
        CREATE INDEX recent_submissions_case ON recent_submissions (case_id);
      `);
    },
  },  {
    version: 13,
    name: "follower: platforms' feedback on followed hashes, queued until the bank they come from has it",
    up(db) {
      db.exec(`
        CREATE TABLE followed_feedback (
          id        INTEGER PRIMARY KEY AUTOINCREMENT,
          source_id INTEGER NOT NULL REFERENCES follow_sources (id),
          ref       TEXT NOT NULL,
          value     TEXT NOT NULL,
          tags      TEXT NOT NULL CHECK (json_valid(tags)),
          queued_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX followed_feedback_source ON followed_feedback (source_id, id);
        CREATE INDEX followed_hashes_ref ON followed_hashes (ref);
        CREATE INDEX followed_hashes_item ON followed_hashes (item_ref);
      `);
    },
  },
  {
    version: 14,
    name: 'abuse controls: the allow-list version, bumped by triggers on every change (screening reads one row, not the list)',
    up(db) {
      db.exec(`
        CREATE TABLE allow_list_version (
          id      INTEGER PRIMARY KEY CHECK (id = 1),
          version INTEGER NOT NULL
        ) STRICT;
        INSERT INTO allow_list_version (id, version) VALUES (1, 0);
        CREATE TRIGGER allow_list_added AFTER INSERT ON allow_list BEGIN UPDATE allow_list_version SET version = version + 1; END;
        CREATE TRIGGER allow_list_updated AFTER UPDATE ON allow_list BEGIN UPDATE allow_list_version SET version = version + 1; END;
        CREATE TRIGGER allow_list_removed AFTER DELETE ON allow_list BEGIN UPDATE allow_list_version SET version = version + 1; END;
      `);
    },
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

export { SchemaTooNewError, SchemaTooOldError } from '../schema-errors.js';

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`;

/** Highest applied version, 0 for a fresh database. */
export function currentSchemaVersion(db: Database.Database): number {
  const table = db
    .prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`)
    .get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT max(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  return row.version ?? 0;
}

/** Checks, without writing, that the code can use this database as it is. */
export function assertSchemaUsable(db: Database.Database, path: string, migrations = MIGRATIONS): void {
  const supported = latestVersion(migrations);
  const found = currentSchemaVersion(db);
  if (found > supported) throw new SchemaTooNewError(path, found, supported);
  if (found < supported) throw new SchemaTooOldError(path, found, supported);
}

/**
 * Applies every pending migration in order, each in its own IMMEDIATE transaction
 * (so two processes opening the same new file cannot both apply one). Returns the
 * versions applied by this call.
 */
export function migrate(
  db: Database.Database,
  path: string,
  now: () => Date = () => new Date(),
  migrations: readonly Migration[] = MIGRATIONS,
): number[] {
  assertOrdered(migrations);
  db.exec(CREATE_MIGRATIONS_TABLE);
  const supported = latestVersion(migrations);
  const found = currentSchemaVersion(db);
  if (found > supported) throw new SchemaTooNewError(path, found, supported);

  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of migrations) {
    const applyOnce = db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return false;
      migration.up(db);
      record.run(migration.version, migration.name, now().toISOString());
      return true;
    });
    if (applyOnce.immediate()) applied.push(migration.version);
  }
  return applied;
}

function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`migrations must be numbered 1, 2, 3… in order; found version ${m.version} at position ${i + 1}`);
    }
  });
}
