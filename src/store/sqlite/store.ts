/**
 * The embedded Store: one better-sqlite3 connection, every statement prepared once,
 * every multi-row write in one transaction. better-sqlite3 is synchronous: each method
 * runs its whole transaction inside the call, so no two ever interleave, and a write's
 * Promise resolves only after SQLite has committed it to disk (synchronous = FULL).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { RempartError } from '../../errors.js';
import { type SqliteColumnTypes, jsonOrNull, sqliteColumns } from '../columns.js';
import {
  type AuditRow as AuditRowOf,
  type CaseRow as CaseRowOf,
  type ChangeRow as ChangeRowOf,
  type PlatformRow as PlatformRowOf,
  storeRowMappers,
} from '../store-rows.js';
import { newHashRef, newItemRef } from '../ids.js';
import { packBatch } from '../packed-pages.js';
import { sqliteExchangeRole } from './exchange.js';
import { sqliteFeedbackRole } from './feedback.js';
import { sqlitePlatformSettingsRole } from './platform-settings.js';
import { sqliteReviewRole } from './review.js';
import { sqliteFollowRole } from './follow.js';
import { sqliteBurstRole, sqliteSubmissionWriter } from './burst.js';
import type {
  Actor,
  ErasureEvent,
  HashFacts,
  NewCase,
  NewItem,
  StoredHash,
  StoredItem,
  Store,
} from '../types.js';
import { DEFAULT_HASH_ROLE, checkNewItems, detailText } from '../validation.js';
import { BUSY_TIMEOUT_MS, openConnection } from './connection.js';
import { currentSchemaVersion } from './migrations.js';
import { WindowCounter } from '../window-counter.js';
import { HashPageReader, checkPageSize } from './hash-pages.js';
import { readPackedPagesInWorker } from './page-reader.js';
import { WalEraser } from './wal-eraser.js';
import { sqliteTakedownStore } from './takedown.js';
import { sqliteWebhookStore } from './webhooks.js';

export { DATABASE_FILE_NAME, defaultDatabasePath } from './connection.js';

/** Rows per page when paging hashes. */
const DEFAULT_PAGE_SIZE = 10_000;
const DEFAULT_AUDIT_LIMIT = 100;

export interface SqliteStoreOptions {
  /** The database file, or ':memory:'. */
  path: string;
  readonly?: boolean;
  /** Clock for timestamps; tests swap it. */
  now?: () => Date;
  /** Told when erasing withdrawn values from the files stalls, and when it completes after all. */
  onErasure?: (event: ErasureEvent) => void;
}

type CaseRow = CaseRowOf<SqliteColumnTypes>;
type ChangeRow = ChangeRowOf<SqliteColumnTypes>;
type PlatformRow = PlatformRowOf<SqliteColumnTypes>;
type AuditRow = AuditRowOf<SqliteColumnTypes>;
const { caseRecord: toCaseRecord, change: toChange, platform: toPlatformRecord, audit: toAuditEntry } = storeRowMappers(sqliteColumns);

interface HashFactsRow {
  id: number;
  ref: string;
  item_id: number;
  item_ref: string;
  role: string;
  detail: string | null;
  algorithm: string;
}
const CASE_COLUMNS = `c.id, c.number, c.secret_hash, c.status, c.created_at, c.withdrawn_at, c.match_count,
  (SELECT count(*) FROM hashes h WHERE h.case_id = c.id) AS hash_count`;

export function openSqliteStore(options: SqliteStoreOptions): Store {
  const readonly = options.readonly ?? false;
  const now = options.now ?? (() => new Date());
  const iso = () => now().toISOString();
  const file = options.path;
  const db = openConnection(file, readonly, now);
  const hashPages = new HashPageReader(db);
  const rateLimits = new WindowCounter();
  /** Told after each write that grew the change log (see watchChanges). */
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const listener of watchers) queueMicrotask(listener);
  };
  const eraser = new WalEraser(db, { busyTimeoutMs: BUSY_TIMEOUT_MS, onEvent: options.onErasure });
  // A crash, or a reader that outlived the last process, may have left an erasure unfinished.
  if (!readonly) eraser.request();

  const sql = {
    caseById: db.prepare<[number], CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.id = ?`),
    caseByNumber: db.prepare<[string], CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.number = ?`),
    insertCase: db.prepare('INSERT INTO cases (number, secret_hash, created_at) VALUES (?, ?, ?)'),
    markWithdrawn: db.prepare(`UPDATE cases SET status = 'withdrawn', withdrawn_at = ? WHERE id = ?`),
    insertItem: db.prepare('INSERT INTO items (ref, case_id, kind, created_at) VALUES (?, ?, ?, ?)'),
    insertHash: db.prepare(
      `INSERT INTO hashes (ref, case_id, item_id, role, detail, algorithm, value, quality, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    hashesOfCase: db.prepare<[number], { id: number; ref: string; item_ref: string; role: string; algorithm: string }>(
      `SELECT h.id, h.ref, i.ref AS item_ref, h.role, h.algorithm
         FROM hashes h JOIN items i ON i.id = h.item_id WHERE h.case_id = ? ORDER BY h.id`,
    ),
    deleteHashesOfCase: db.prepare('DELETE FROM hashes WHERE case_id = ?'),
    hashesOfItems: db.prepare<[string], { id: number; ref: string; item_ref: string; role: string; algorithm: string }>(
      `SELECT h.id, h.ref, i.ref AS item_ref, h.role, h.algorithm
         FROM hashes h JOIN items i ON i.id = h.item_id WHERE h.item_id IN (SELECT value FROM json_each(?)) ORDER BY h.id`,
    ),
    deleteAddChangesOfItems: db.prepare(
      `DELETE FROM changes WHERE op = 'add' AND hash_id IN (SELECT id FROM hashes WHERE item_id IN (SELECT value FROM json_each(?)))`,
    ),
    deleteHashesOfItems: db.prepare('DELETE FROM hashes WHERE item_id IN (SELECT value FROM json_each(?))'),
    deleteItems: db.prepare('DELETE FROM items WHERE id IN (SELECT value FROM json_each(?))'),
    deleteItemsOfCase: db.prepare('DELETE FROM items WHERE case_id = ?'),
    // Erases the values a withdrawn case ever published to the change log.
    deleteAddChangesOfCase: db.prepare(
      `DELETE FROM changes WHERE op = 'add' AND hash_id IN (SELECT id FROM hashes WHERE case_id = ?)`,
    ),
    insertChange: db.prepare(
      `INSERT INTO changes (op, hash_id, ref, item_ref, role, detail, algorithm, value, quality, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    countMatches: db.prepare<[string], { number: string }>(
      `UPDATE cases SET match_count = match_count + m.n
         FROM (SELECT h.case_id, count(*) AS n FROM json_each(?) j JOIN hashes h ON h.id = j.value
               GROUP BY h.case_id) AS m
        WHERE cases.id = m.case_id
       RETURNING cases.number`,
    ),
    countHashes: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM hashes'),
    refsOf: db.prepare<[string], { id: number; ref: string }>(
      'SELECT id, ref FROM hashes WHERE id IN (SELECT value FROM json_each(?))',
    ),
    hashFacts: db.prepare<[string], HashFactsRow>(
      `SELECT h.id, h.ref, h.item_id, i.ref AS item_ref, h.role, h.detail, h.algorithm
         FROM hashes h JOIN items i ON i.id = h.item_id
        WHERE h.id IN (SELECT value FROM json_each(?))`,
    ),
    registeredWith: db.prepare<[string, string], { id: number }>(
      `SELECT h.id FROM hashes h
        WHERE h.id IN (SELECT value FROM json_each(?))
          AND EXISTS (SELECT 1 FROM hashes o WHERE o.case_id = h.case_id AND o.algorithm = ?)`,
    ),
    changesAfter: db.prepare<[number, number], ChangeRow>(
      `SELECT seq, op, hash_id, ref, item_ref, role, detail, algorithm, value, quality, at
         FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`,
    ),
    // sqlite_sequence holds the highest seq ever assigned, even if that entry was erased.
    lastSeq: db.prepare<[], { seq: number }>(`SELECT seq FROM sqlite_sequence WHERE name = 'changes'`),
    insertPlatform: db.prepare('INSERT INTO platforms (name, key_id, key_hash, created_at) VALUES (?, ?, ?, ?)'),
    platformById: db.prepare<[number], PlatformRow>('SELECT * FROM platforms WHERE id = ?'),
    platformByKeyId: db.prepare<[string], PlatformRow>('SELECT * FROM platforms WHERE key_id = ?'),
    listPlatforms: db.prepare<[], PlatformRow>('SELECT * FROM platforms ORDER BY id'),
    revokePlatform: db.prepare('UPDATE platforms SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL'),
    rotatePlatformKey: db.prepare<[string, string, string], PlatformRow>(
      'UPDATE platforms SET key_id = ?, key_hash = ? WHERE name = ? AND revoked_at IS NULL RETURNING *',
    ),
    insertAudit: db.prepare(
      'INSERT INTO audit (at, actor_kind, actor_id, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    listAudit: db.prepare<[number, number], AuditRow>('SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?'),
    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
    setSetting: db.prepare(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };

  function audit(actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null) {
    sql.insertAudit.run(iso(), actor.kind, actor.id, action, target ?? null, detail == null ? null : JSON.stringify(detail));
  }

  /** Inserts items, their hashes and an 'add' change per hash; call inside a transaction. */
  function insertItems(caseId: number, items: readonly NewItem[], at: string): StoredItem[] {
    checkNewItems(items);
    return items.map((item) => {
      const itemRef = newItemRef();
      const itemId = Number(sql.insertItem.run(itemRef, caseId, item.kind, at).lastInsertRowid);
      const hashes = item.hashes.map((hash): StoredHash => {
        const ref = newHashRef();
        const value = toBuffer(hash.bytes);
        const quality = hash.quality ?? null;
        const role = hash.role ?? DEFAULT_HASH_ROLE;
        const detail = detailText(hash.detail);
        const id = Number(
          sql.insertHash.run(ref, caseId, itemId, role, detail, hash.algorithm, value, quality, at).lastInsertRowid,
        );
        sql.insertChange.run('add', id, ref, itemRef, role, detail, hash.algorithm, value, quality, at);
        return {
          id,
          ref,
          caseId,
          itemId,
          itemRef,
          role,
          detail: hash.detail ?? null,
          algorithm: hash.algorithm,
          bytes: new Uint8Array(value),
          quality,
          createdAt: at,
        };
      });
      return { id: itemId, ref: itemRef, caseId, kind: item.kind, createdAt: at, hashes };
    });
  }

  function existingCase(caseId: number): CaseRow {
    const row = sql.caseById.get(caseId);
    if (row === undefined) throw new RempartError('NOT_FOUND', `no case with id ${caseId}`);
    return row;
  }

  const rememberSubmission = sqliteSubmissionWriter(db);
  const createCaseTx = db.transaction(
    (input: NewCase, actor: Actor) => {
      const at = iso();
      const caseId = Number(sql.insertCase.run(input.number, input.secretHash, at).lastInsertRowid);
      const items = insertItems(caseId, input.items, at);
      audit(actor, 'case.create', input.number, { items: items.length, hashes: countHashes(items) });
      if (input.submission) rememberSubmission(caseId, input.submission);
      return { case: toCaseRecord(existingCase(caseId)), items };
    },
  );

  const addItemsTx = db.transaction((caseId: number, items: NewItem[], actor: Actor) => {
    const row = existingCase(caseId);
    if (row.status === 'withdrawn') {
      throw new RempartError('CASE_WITHDRAWN', `case ${row.number} was withdrawn; it accepts no new items`);
    }
    const stored = insertItems(caseId, items, iso());
    audit(actor, 'case.add_items', row.number, { items: stored.length, hashes: countHashes(stored) });
    return stored;
  });

  const withdrawCaseTx = db.transaction((caseId: number, actor: Actor): number[] => {
    const row = existingCase(caseId);
    if (row.status === 'withdrawn') return []; // idempotent: a retried withdrawal is not an error
    const at = iso();
    const removed = sql.hashesOfCase.all(caseId);
    sql.deleteAddChangesOfCase.run(caseId);
    sql.deleteHashesOfCase.run(caseId);
    sql.deleteItemsOfCase.run(caseId);
    for (const h of removed) sql.insertChange.run('remove', h.id, h.ref, h.item_ref, h.role, null, h.algorithm, null, null, at);
    sql.markWithdrawn.run(at, caseId);
    audit(actor, 'case.withdraw', row.number, { hashes: removed.length });
    return removed.map((hash) => hash.id);
  });

  // An operator's removal of some items (quarantine): like a withdrawal, for those items only.
  const removeItemsTx = db.transaction((itemIds: readonly number[], actor: Actor): number[] => {
    const ids = JSON.stringify(itemIds);
    const removed = sql.hashesOfItems.all(ids);
    if (removed.length === 0) return [];
    const at = iso();
    sql.deleteAddChangesOfItems.run(ids);
    sql.deleteHashesOfItems.run(ids);
    sql.deleteItems.run(ids);
    // Marked as an operator's removal: the StopNCII feed then says Deleted, not Withdrawn.
    const detail = JSON.stringify({ removedBy: 'operator' });
    for (const h of removed) sql.insertChange.run('remove', h.id, h.ref, h.item_ref, h.role, detail, h.algorithm, null, null, at);
    audit(actor, 'case.remove_items', null, { items: itemIds.length, hashes: removed.length });
    return removed.map((hash) => hash.id);
  });

  const recordMatchesTx = db.transaction((hashIds: readonly number[], actor: Actor) => {
    const cases = sql.countMatches.all(JSON.stringify(hashIds)).map((row) => row.number);
    if (cases.length > 0) audit(actor, 'case.match', null, { cases: cases.sort(), hashes: hashIds.length });
  });

  const addPlatformTx = db.transaction((input: { name: string; keyId: string; keyHash: string }, actor: Actor) => {
    const id = Number(sql.insertPlatform.run(input.name, input.keyId, input.keyHash, iso()).lastInsertRowid);
    audit(actor, 'platform.add', input.name, { keyId: input.keyId });
    return toPlatformRecord(sql.platformById.get(id)!);
  });

  const revokePlatformTx = db.transaction((name: string, actor: Actor) => {
    if (sql.revokePlatform.run(iso(), name).changes === 0) return false;
    audit(actor, 'platform.revoke', name, null);
    return true;
  });

  const rotatePlatformKeyTx = db.transaction((name: string, key: { keyId: string; keyHash: string }, actor: Actor) => {
    const row = sql.rotatePlatformKey.get(key.keyId, key.keyHash, name);
    if (row === undefined) return undefined;
    audit(actor, 'platform.rotate', name, { keyId: key.keyId });
    return toPlatformRecord(row);
  });

  return {
    backend: 'sqlite',
    location: file === ':memory:' ? file : path.resolve(file),
    // Newer roles keep their SQL in their own modules, on this connection.
    ...sqliteWebhookStore(db, now),
    ...sqliteTakedownStore(db, now),

    ...sqliteExchangeRole(db, { onErased: () => eraser.request() }),
    ...sqliteFeedbackRole(db, { iso, audit }),
    ...sqlitePlatformSettingsRole(db, { iso, audit }),
    ...sqliteReviewRole(db, { iso, audit, onErased: () => eraser.request() }),
    ...sqliteFollowRole(db, iso),
    ...sqliteBurstRole(db, { onErased: () => eraser.request() }),

    async createCase(input, actor) {
      try {
        const created = createCaseTx(input, actor);
        if (created.items.length > 0) changed();
        return created;
      } catch (error) {
        if (isUniqueViolation(error, 'cases.number')) {
          throw new RempartError('CONFLICT', `case number ${input.number} is already taken`);
        }
        throw error;
      }
    },
    async addItems(caseId, items, actor) {
      const added = addItemsTx(caseId, items, actor);
      if (added.length > 0) changed();
      return added;
    },
    async getCaseByNumber(number) {
      const row = sql.caseByNumber.get(number);
      return row === undefined ? undefined : { ...toCaseRecord(row), secretHash: row.secret_hash };
    },
    async withdrawCase(caseId, actor) {
      const removed = withdrawCaseTx(caseId, actor);
      if (removed.length > 0) changed();
      if (removed.length > 0) eraser.request();
      return removed;
    },
    async removeItems(itemIds, actor) {
      const removed = itemIds.length === 0 ? [] : removeItemsTx(itemIds, actor);
      if (removed.length > 0) changed();
      if (removed.length > 0) eraser.request();
      return removed;
    },
    async recordMatches(hashIds, actor) {
      if (hashIds.length > 0) recordMatchesTx(hashIds, actor);
    },
    async erasureSettled(timeoutMs) {
      return eraser.settled(timeoutMs);
    },
    async erasureStatus() {
      return eraser.status();
    },

    async *hashes(options = {}) {
      for (const page of hashPages.rowPages(DEFAULT_PAGE_SIZE, options.afterId ?? 0)) yield* page;
    },
    async *indexPages(options = {}) {
      const afterId = options.afterId ?? 0;
      const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
      const readAhead = options.readAhead ?? 0;
      checkPageSize(pageSize);
      if (readAhead > 0 && !db.memory) {
        // A long read: pages read and packed on a worker thread (its own read-only
        // connection) while the consumer indexes the previous ones.
        yield* readPackedPagesInWorker({ file, afterId, batchSize: pageSize, ahead: readAhead });
        return;
      }
      for (const batch of hashPages.batches(pageSize, afterId)) yield packBatch(batch);
    },
    async countHashes() {
      return sql.countHashes.get()!.n;
    },
    async refsOf(ids) {
      const refs = new Map<number, string>();
      if (ids.length === 0) return refs;
      for (const row of sql.refsOf.all(JSON.stringify(ids))) refs.set(row.id, row.ref);
      return refs;
    },
    async hashFacts(ids) {
      const facts = new Map<number, HashFacts>();
      if (ids.length === 0) return facts;
      for (const row of sql.hashFacts.all(JSON.stringify(ids))) facts.set(row.id, toHashFacts(row));
      return facts;
    },
    async registeredWith(ids, algorithm) {
      if (ids.length === 0) return new Set();
      return new Set(sql.registeredWith.all(JSON.stringify(ids), algorithm).map((row) => row.id));
    },

    async changesAfter(after, limit) {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new RempartError('BAD_REQUEST', `limit must be a positive integer, got ${limit}`);
      }
      return sql.changesAfter.all(after, limit).map(toChange);
    },
    async lastSeq() {
      return sql.lastSeq.get()?.seq ?? 0;
    },
    watchChanges(listener) {
      watchers.add(listener);
      return () => void watchers.delete(listener);
    },

    async addPlatform(input, actor) {
      try {
        return addPlatformTx(input, actor);
      } catch (error) {
        if (isUniqueViolation(error, 'platforms.name')) {
          throw new RempartError('CONFLICT', `a platform named "${input.name}" already exists`);
        }
        if (isUniqueViolation(error, 'platforms.key_id')) {
          throw new RempartError('CONFLICT', `key id "${input.keyId}" is already in use`);
        }
        throw error;
      }
    },
    async getPlatformByKeyId(keyId) {
      const row = sql.platformByKeyId.get(keyId);
      return row === undefined ? undefined : { ...toPlatformRecord(row), keyHash: row.key_hash };
    },
    async listPlatforms() {
      return sql.listPlatforms.all().map(toPlatformRecord);
    },
    async revokePlatform(name, actor) {
      return revokePlatformTx(name, actor);
    },
    async rotatePlatformKey(name, key, actor) {
      try {
        return rotatePlatformKeyTx(name, key, actor);
      } catch (error) {
        if (isUniqueViolation(error, 'platforms.key_id')) throw new RempartError('CONFLICT', `key id "${key.keyId}" is already in use`);
        throw error;
      }
    },

    async audit(actor, action, target, detail) {
      audit(actor, action, target, detail);
    },
    async listAudit(options = {}) {
      return sql.listAudit.all(options.afterId ?? 0, options.limit ?? DEFAULT_AUDIT_LIMIT).map(toAuditEntry);
    },

    async getSetting(key) {
      return sql.getSetting.get(key)?.value;
    },
    async setSetting(key, value) {
      sql.setSetting.run(key, value);
    },

    async countRequest(key, windowMs) {
      return rateLimits.count(key, windowMs);
    },

    async schemaVersion() {
      return currentSchemaVersion(db);
    },
    async vacuum() {
      // A new database file holding only live rows, then the WAL emptied into it.
      db.exec('VACUUM');
      eraser.request();
      await eraser.settled(BUSY_TIMEOUT_MS);
    },

    async close() {
      watchers.clear();
      eraser.close();
      if (db.open) db.close();
    },
  };
}

function isUniqueViolation(error: unknown, column: string): boolean {
  return (
    error instanceof Database.SqliteError &&
    error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes(column)
  );
}

/** better-sqlite3 binds Buffers, not plain Uint8Arrays; this wraps without copying. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toHashFacts(row: HashFactsRow): HashFacts {
  return {
    id: row.id,
    ref: row.ref,
    itemId: row.item_id,
    itemRef: row.item_ref,
    role: row.role,
    detail: jsonOrNull(sqliteColumns, row.detail),
    algorithm: row.algorithm,
  };
}

function countHashes(items: readonly StoredItem[]): number {
  return items.reduce((sum, item) => sum + item.hashes.length, 0);
}

