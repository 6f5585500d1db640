/**
 * The PostgreSQL Store, for several Rempart replicas on one database. Same contract as
 * the SQLite store (test/store-contract.test.ts runs against both): every multi-row write
 * is one transaction, committed with synchronous_commit = on before its Promise resolves.
 *
 * The change log must be readable by cursor without ever skipping an entry, while several
 * replicas write at once. Its seqs come from one counter row (change_log_state), updated
 * by every transaction that appends to the log: the row lock orders those transactions,
 * so a seq is only handed out once every lower one has committed (or rolled back, in
 * which case the counter rolls back with it: no gaps). A reader that sees seq n thus
 * already sees every entry below n. Writers queue on that lock only for their last steps
 * (the log entries and the commit: each writes the log last).
 */
import { RempartError } from '../../errors.js';
import { type PostgresColumnTypes, postgresColumns } from '../columns.js';
import {
  type AuditRow as AuditRowOf,
  type CaseRow as CaseRowOf,
  type ChangeRow as ChangeRowOf,
  type PlatformRow as PlatformRowOf,
  storeRowMappers,
} from '../store-rows.js';
import { newHashRef, newItemRef } from '../ids.js';
import type {
  Actor,
  CaseRecord,
  ErasureEvent,
  HashFacts,
  NewCase,
  NewItem,
  StoredHash,
  StoredItem,
  Store,
} from '../types.js';
import { DEFAULT_HASH_ROLE, checkNewItems, detailText } from '../validation.js';
import { DEFAULT_POOL_SIZE, type Queryable, inTransaction, openPool, parseDatabaseUrl, queries, redactUrl } from './connection.js';
import { ERASED_TABLES, VacuumEraser } from './erasure.js';
import { copyIndexPages } from './index-copy.js';
import { postgresExchangeRole } from './exchange.js';
import { postgresFeedbackRole } from './feedback.js';
import { postgresTakedownRole } from './takedown.js';
import { postgresWebhookRole } from './webhooks.js';
import { postgresPlatformSettingsRole } from './platform-settings.js';
import { postgresReviewRole } from './review.js';
import { postgresFollowRole } from './follow.js';
import { postgresBurstRole, rememberSubmission, rememberSubmissionCtes, submissionParameters } from './burst.js';
import { migratePostgres } from './migrations.js';
import { ChangeNotifier, changesChannel } from './notify.js';

const DEFAULT_PAGE_SIZE = 10_000;
const DEFAULT_AUDIT_LIMIT = 100;
/** Rows per multi-row INSERT (unnest of arrays): bounded statement size for big imports. */
const INSERT_CHUNK = 5_000;

/**
 * A registration of at most INSERT_CHUNK hashes (every victim's) in one statement: the case,
 * its items and hashes, the audit entry, the change-log entries, the notification and the
 * submission remembered for burst counting ($16…$19, or nothing), as data-modifying CTEs of
 * one INSERT. Parameters: see createCaseInOneStatement.
 */
const CREATE_CASE_STATEMENT = `WITH new_case AS (
         INSERT INTO cases (number, secret_hash, created_at) VALUES ($1, $2, $3) RETURNING id, created_at
       ), new_audit AS (
         INSERT INTO audit (at, actor_kind, actor_id, action, target, detail)
         VALUES ($3, $4, $5, 'case.create', $1, jsonb_build_object('items', cardinality($6::text[]), 'hashes', cardinality($8::text[])))
       ), new_items AS (
         INSERT INTO items (ref, case_id, kind, created_at)
         SELECT t.ref, new_case.id, t.kind, $3 FROM new_case, unnest($6::text[], $7::text[]) WITH ORDINALITY AS t(ref, kind, ord)
          ORDER BY t.ord
         RETURNING id, ref
       ), new_hashes AS (
         INSERT INTO hashes (ref, case_id, item_id, role, detail, algorithm, value, quality, created_at)
         SELECT t.ref, new_case.id, new_items.id, t.role, t.detail::jsonb, t.algorithm, t.value, t.quality, $3
           FROM new_case, unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[], $14::smallint[])
                WITH ORDINALITY AS t(ref, item_ref, role, detail, algorithm, value, quality, ord)
           JOIN new_items ON new_items.ref = t.item_ref
          ORDER BY t.ord
         RETURNING id, ref
       ), log_state AS (
         -- The change log's counter row, locked until the statement commits (see the header).
         UPDATE change_log_state SET last_seq = last_seq + cardinality($8::text[])
          WHERE id = 1 AND cardinality($8::text[]) > 0 RETURNING last_seq
       ), new_changes AS (
         INSERT INTO changes (seq, op, hash_id, ref, item_ref, role, detail, algorithm, value, quality, at)
         SELECT log_state.last_seq - cardinality($8::text[]) + t.ord, 'add', new_hashes.id, t.ref, t.item_ref, t.role,
                t.detail::jsonb, t.algorithm, t.value, t.quality, $3
           FROM log_state, unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bytea[], $14::smallint[])
                WITH ORDINALITY AS t(ref, item_ref, role, detail, algorithm, value, quality, ord)
           JOIN new_hashes ON new_hashes.ref = t.ref
       ), ${rememberSubmissionCtes(16)}
       SELECT new_case.id, new_case.created_at,
              (SELECT json_object_agg(ref, id) FROM new_items) AS item_ids,
              (SELECT json_object_agg(ref, id) FROM new_hashes) AS hash_ids,
              (SELECT pg_notify($15, last_seq::text) FROM log_state) AS notified,
              (SELECT last_seq FROM log_state) AS last_seq
         FROM new_case`;

const UNIQUE_VIOLATION = '23505';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database[?schema=name] (REMPART_DATABASE_URL). */
  url: string;
  /** Connections this process keeps at most (REMPART_DATABASE_POOL; the LISTEN connection is one more). */
  poolSize?: number;
  /** Clock for timestamps; tests swap it. */
  now?: () => Date;
  /** Told when erasing withdrawn values (VACUUM) stalls, and when it completes after all. */
  onErasure?: (event: ErasureEvent) => void;
  /** Told of lost connections (idle pool clients, the LISTEN connection); they are replaced. */
  onConnectionError?: (error: Error) => void;
}

type CaseRow = CaseRowOf<PostgresColumnTypes>;
type ChangeRow = ChangeRowOf<PostgresColumnTypes>;
type PlatformRow = PlatformRowOf<PostgresColumnTypes>;
type AuditRow = AuditRowOf<PostgresColumnTypes>;
const { caseRecord: toCaseRecord, change: toChange, platform: toPlatformRecord, audit: toAuditEntry } = storeRowMappers(postgresColumns);

interface HashRow {
  id: number;
  ref: string;
  case_id: number;
  item_id: number;
  item_ref: string;
  role: string;
  detail: Record<string, unknown> | null;
  algorithm: string;
  value: Buffer;
  quality: number | null;
  created_at: Date;
}
/** A change-log entry to append (its seq is handed out by appendChanges). */
interface NewChange {
  op: 'add' | 'remove';
  hashId: number;
  ref: string;
  itemRef: string;
  role: string;
  detail: string | null;
  algorithm: string;
  value: Buffer | null;
  quality: number | null;
}

const CASE_COLUMNS = `c.id, c.number, c.secret_hash, c.status, c.created_at, c.withdrawn_at, c.match_count,
  (SELECT count(*) FROM hashes h WHERE h.case_id = c.id) AS hash_count`;
const HASH_COLUMNS = `h.id, h.ref, h.case_id, h.item_id, i.ref AS item_ref, h.role, h.detail, h.algorithm, h.value,
  h.quality, h.created_at`;

export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const now = options.now ?? (() => new Date());
  const location = redactUrl(options.url);
  const target = parseDatabaseUrl(options.url);
  const channel = changesChannel(target.schema);
  const onConnectionError = options.onConnectionError ?? (() => {});
  const pool = openPool({ target, max: options.poolSize ?? DEFAULT_POOL_SIZE, onIdleError: onConnectionError });
  try {
    await migratePostgres(pool, target.schema, location, now);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db = queries(pool);
  const notifier = new ChangeNotifier(target, onConnectionError);
  const eraser = new VacuumEraser(pool, options.onErasure);
  let closing: Promise<void> | undefined;
  let nextRateLimitSweep = 0;

  async function audit(
    client: Queryable,
    actor: Actor,
    action: string,
    target?: string | null,
    detail?: Record<string, unknown> | null,
  ): Promise<void> {
    await client.query('INSERT INTO audit (at, actor_kind, actor_id, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
      now(),
      actor.kind,
      actor.id,
      action,
      target ?? null,
      detail == null ? null : JSON.stringify(detail),
    ]);
  }

  /**
   * Appends entries to the change log with the next seqs, and notifies the listeners at
   * commit. Takes the counter's row lock until the transaction ends (see the header).
   */
  async function appendChanges(client: Queryable, entries: readonly NewChange[], at: Date): Promise<void> {
    if (entries.length === 0) return;
    const { rows } = await client.query<{ last_seq: number }>(
      'UPDATE change_log_state SET last_seq = last_seq + $1 WHERE id = 1 RETURNING last_seq',
      [entries.length],
    );
    const last = rows[0]!.last_seq;
    const first = last - entries.length + 1;
    for (let start = 0; start < entries.length; start += INSERT_CHUNK) {
      const chunk = entries.slice(start, start + INSERT_CHUNK);
      await client.query(
        `INSERT INTO changes (seq, op, hash_id, ref, item_ref, role, detail, algorithm, value, quality, at)
         SELECT $1::bigint + ord - 1, op, hash_id, ref, item_ref, role, detail::jsonb, algorithm, value, quality, $11
           FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[], $10::smallint[])
                WITH ORDINALITY AS t(op, hash_id, ref, item_ref, role, detail, algorithm, value, quality, ord)`,
        [
          first + start,
          chunk.map((c) => c.op),
          chunk.map((c) => c.hashId),
          chunk.map((c) => c.ref),
          chunk.map((c) => c.itemRef),
          chunk.map((c) => c.role),
          chunk.map((c) => c.detail),
          chunk.map((c) => c.algorithm),
          chunk.map((c) => c.value),
          chunk.map((c) => c.quality),
          at,
        ],
      );
    }
    await client.query('SELECT pg_notify($1, $2)', [channel, String(last)]);
  }

  /** Inserts items and their hashes, and an 'add' change per hash; inside a transaction. */
  async function insertItems(client: Queryable, caseId: number, items: readonly NewItem[], at: Date): Promise<StoredItem[]> {
    checkNewItems(items);
    if (items.length === 0) return [];
    const plan = planItems(items);
    const itemIds = new Map<string, number>();
    for (let start = 0; start < items.length; start += INSERT_CHUNK) {
      const refs = plan.itemRefs.slice(start, start + INSERT_CHUNK);
      const { rows } = await client.query<{ id: number; ref: string }>(
        `INSERT INTO items (ref, case_id, kind, created_at)
         SELECT ref, $2, kind, $4 FROM unnest($1::text[], $3::text[]) AS t(ref, kind) RETURNING id, ref`,
        [refs, caseId, items.slice(start, start + INSERT_CHUNK).map((item) => item.kind), at],
      );
      for (const row of rows) itemIds.set(row.ref, row.id);
    }

    const flat = plan.hashes;
    const hashIds = new Map<string, number>();
    for (let start = 0; start < flat.length; start += INSERT_CHUNK) {
      const chunk = flat.slice(start, start + INSERT_CHUNK);
      const { rows } = await client.query<{ id: number; ref: string }>(
        `INSERT INTO hashes (ref, case_id, item_id, role, detail, algorithm, value, quality, created_at)
         SELECT ref, $2, item_id, role, detail::jsonb, algorithm, value, quality, $9
           FROM unnest($1::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::smallint[])
                AS t(ref, item_id, role, detail, algorithm, value, quality)
         RETURNING id, ref`,
        [
          chunk.map((h) => h.ref),
          caseId,
          chunk.map((h) => itemIds.get(h.itemRef)!),
          chunk.map((h) => h.role),
          chunk.map((h) => h.detail),
          chunk.map((h) => h.hash.algorithm),
          chunk.map((h) => h.value),
          chunk.map((h) => h.quality),
          at,
        ],
      );
      for (const row of rows) hashIds.set(row.ref, row.id);
    }
    await appendChanges(
      client,
      flat.map((h) => ({
        op: 'add',
        hashId: hashIds.get(h.ref)!,
        ref: h.ref,
        itemRef: h.itemRef,
        role: h.role,
        detail: h.detail,
        algorithm: h.hash.algorithm,
        value: h.value,
        quality: h.quality,
      })),
      at,
    );
    return storedItems(caseId, items, plan, itemIds, hashIds, at);
  }

  /**
   * A registration of at most INSERT_CHUNK hashes in one statement (CREATE_CASE_STATEMENT).
   * Outside a transaction block PostgreSQL commits a statement on its own, with
   * synchronous_commit on (set for every connection): resolved = committed, as with the
   * transaction, but one round trip (and one WAL flush) instead of ten, and the victim's
   * submission remembered in the same commit instead of a second one.
   */
  async function createCaseInOneStatement(input: NewCase, actor: Actor): Promise<{ case: CaseRecord; items: StoredItem[]; loggedUpTo: number | null }> {
    checkNewItems(input.items);
    const at = now();
    const plan = planItems(input.items);
    const hashes = plan.hashes;
    // A prepared statement: every registration runs the same text, parsed and planned once per connection.
    const { rows } = await db.query<{
      id: number;
      created_at: Date;
      item_ids: Record<string, number> | null;
      hash_ids: Record<string, number> | null;
      last_seq: number | null;
    }>({
      name: 'rempart_create_case',
      text: CREATE_CASE_STATEMENT,
      values: [
        input.number,
        input.secretHash,
        at,
        actor.kind,
        actor.id,
        plan.itemRefs,
        input.items.map((item) => item.kind),
        hashes.map((h) => h.ref),
        hashes.map((h) => h.itemRef),
        hashes.map((h) => h.role),
        hashes.map((h) => h.detail),
        hashes.map((h) => h.hash.algorithm),
        hashes.map((h) => h.value),
        hashes.map((h) => h.quality),
        channel,
        ...submissionParameters(input.submission),
      ],
    });
    const row = rows[0]!;
    const items = storedItems(row.id, input.items, plan, new Map(Object.entries(row.item_ids ?? {})), new Map(Object.entries(row.hash_ids ?? {})), row.created_at);
    const record: CaseRecord = {
      id: row.id,
      number: input.number,
      status: 'active',
      createdAt: row.created_at.toISOString(),
      withdrawnAt: null,
      hashCount: hashes.length,
      matchCount: 0,
    };
    return { case: record, items, loggedUpTo: row.last_seq };
  }

  /** The case, locked until the transaction ends (writes to one case never interleave). */
  async function lockCase(client: Queryable, caseId: number): Promise<CaseRow> {
    const { rows } = await client.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.id = $1 FOR UPDATE`, [caseId]);
    if (rows.length === 0) throw new RempartError('NOT_FOUND', `no case with id ${caseId}`);
    return rows[0]!;
  }

  async function caseById(client: Queryable, caseId: number): Promise<CaseRow> {
    const { rows } = await client.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.id = $1`, [caseId]);
    return rows[0]!;
  }

  const store: Store = {
    backend: 'postgres',
    location,

    async createCase(input, actor) {
      try {
        const hashCount = input.items.reduce((sum, item) => sum + (Array.isArray(item?.hashes) ? item.hashes.length : 0), 0);
        const created =
          input.items.length <= INSERT_CHUNK && hashCount <= INSERT_CHUNK
            ? await createCaseInOneStatement(input, actor)
            : await inTransaction(pool, async (client) => {
                // A bulk import: statements of INSERT_CHUNK rows in one transaction.
                const at = now();
                const { rows } = await client.query<{ id: number }>(
                  'INSERT INTO cases (number, secret_hash, created_at) VALUES ($1, $2, $3) RETURNING id',
                  [input.number, input.secretHash, at],
                );
                const caseId = rows[0]!.id;
                const record = toCaseRecord(await caseById(client, caseId));
                await audit(client, actor, 'case.create', input.number, { items: input.items.length, hashes: hashCount });
                if (input.submission) await rememberSubmission(client, caseId, input.submission);
                // Last: appending to the change log takes the log's lock until COMMIT (see the header).
                const items = await insertItems(client, caseId, input.items, at);
                return { case: { ...record, hashCount: countHashes(items) }, items, loggedUpTo: null };
              });
        if (created.items.length > 0) notifier.hint(created.loggedUpTo ?? undefined);
        return { case: created.case, items: created.items };
      } catch (error) {
        if (isUniqueViolation(error, 'cases_number_key')) {
          throw new RempartError('CONFLICT', `case number ${input.number} is already taken`);
        }
        throw error;
      }
    },
    async addItems(caseId, items, actor) {
      const added = await inTransaction(pool, async (client) => {
        const row = await lockCase(client, caseId);
        if (row.status === 'withdrawn') {
          throw new RempartError('CASE_WITHDRAWN', `case ${row.number} was withdrawn; it accepts no new items`);
        }
        const hashes = items.reduce((sum, item) => sum + item.hashes.length, 0);
        await audit(client, actor, 'case.add_items', row.number, { items: items.length, hashes });
        // Last: appending to the change log takes the log's lock until COMMIT (see the header).
        return insertItems(client, caseId, items, now());
      });
      if (added.length > 0) notifier.hint();
      return added;
    },
    async getCaseByNumber(number) {
      const { rows } = await db.query<CaseRow>(`SELECT ${CASE_COLUMNS} FROM cases c WHERE c.number = $1`, [number]);
      const row = rows[0];
      return row === undefined ? undefined : { ...toCaseRecord(row), secretHash: row.secret_hash };
    },
    async withdrawCase(caseId, actor) {
      const removed = await inTransaction(pool, async (client) => {
        const row = await lockCase(client, caseId);
        if (row.status === 'withdrawn') return []; // idempotent: a retried withdrawal is not an error
        const at = now();
        const { rows: gone } = await client.query<{ id: number; ref: string; item_ref: string; role: string; algorithm: string }>(
          `SELECT h.id, h.ref, i.ref AS item_ref, h.role, h.algorithm
             FROM hashes h JOIN items i ON i.id = h.item_id WHERE h.case_id = $1 ORDER BY h.id`,
          [caseId],
        );
        // Erases the values the case ever published to the change log.
        await client.query(`DELETE FROM changes WHERE op = 'add' AND hash_id = ANY($1::bigint[])`, [gone.map((h) => h.id)]);
        await client.query('DELETE FROM hashes WHERE case_id = $1', [caseId]);
        await client.query('DELETE FROM items WHERE case_id = $1', [caseId]);
        await client.query(`UPDATE cases SET status = 'withdrawn', withdrawn_at = $1 WHERE id = $2`, [at, caseId]);
        await audit(client, actor, 'case.withdraw', row.number, { hashes: gone.length });
        // Last: appending to the change log takes the log's lock until COMMIT (see the header).
        await appendChanges(
          client,
          gone.map((h) => ({
            op: 'remove',
            hashId: h.id,
            ref: h.ref,
            itemRef: h.item_ref,
            role: h.role,
            detail: null,
            algorithm: h.algorithm,
            value: null,
            quality: null,
          })),
          at,
        );
        return gone.map((h) => h.id);
      });
      if (removed.length > 0) {
        notifier.hint();
        eraser.request();
      }
      return removed;
    },
    async removeItems(itemIds, actor) {
      if (itemIds.length === 0) return [];
      const removed = await inTransaction(pool, async (client) => {
        // The cases first, in id order, as every writer of a case locks them.
        await client.query('SELECT id FROM cases WHERE id IN (SELECT case_id FROM items WHERE id = ANY($1::bigint[])) ORDER BY id FOR UPDATE', [itemIds]);
        const { rows: gone } = await client.query<{ id: number; ref: string; item_ref: string; role: string; algorithm: string }>(
          `SELECT h.id, h.ref, i.ref AS item_ref, h.role, h.algorithm
             FROM hashes h JOIN items i ON i.id = h.item_id WHERE h.item_id = ANY($1::bigint[]) ORDER BY h.id`,
          [itemIds],
        );
        if (gone.length === 0) return [];
        await client.query(`DELETE FROM changes WHERE op = 'add' AND hash_id = ANY($1::bigint[])`, [gone.map((h) => h.id)]);
        await client.query('DELETE FROM hashes WHERE item_id = ANY($1::bigint[])', [itemIds]);
        await client.query('DELETE FROM items WHERE id = ANY($1::bigint[])', [itemIds]);
        await appendChanges(
          client,
          // Marked as an operator's removal: the StopNCII feed then says Deleted, not Withdrawn.
          gone.map((h) => ({ op: 'remove', hashId: h.id, ref: h.ref, itemRef: h.item_ref, role: h.role, detail: JSON.stringify({ removedBy: 'operator' }), algorithm: h.algorithm, value: null, quality: null })),
          now(),
        );
        await audit(client, actor, 'case.remove_items', null, { items: itemIds.length, hashes: gone.length });
        return gone.map((h) => h.id);
      });
      if (removed.length > 0) {
        notifier.hint();
        eraser.request();
      }
      return removed;
    },
    async recordMatches(hashIds, actor) {
      if (hashIds.length === 0) return;
      await inTransaction(pool, async (client) => {
        // Locks the cases in id order first: two replicas counting at once never deadlock.
        await client.query(
          `SELECT id FROM cases WHERE id IN (SELECT case_id FROM hashes WHERE id = ANY($1::bigint[])) ORDER BY id FOR UPDATE`,
          [hashIds],
        );
        const { rows } = await client.query<{ number: string }>(
          `UPDATE cases SET match_count = match_count + m.n
             FROM (SELECT h.case_id, count(*) AS n FROM unnest($1::bigint[]) AS j(id) JOIN hashes h ON h.id = j.id
                   GROUP BY h.case_id) AS m
            WHERE cases.id = m.case_id
           RETURNING cases.number`,
          [hashIds],
        );
        const cases = rows.map((row) => row.number);
        if (cases.length > 0) await audit(client, actor, 'case.match', null, { cases: cases.sort(), hashes: hashIds.length });
      });
    },
    async erasureSettled(timeoutMs) {
      return eraser.settled(timeoutMs);
    },
    async erasureStatus() {
      return eraser.status();
    },

    async *hashes(options = {}) {
      let after = options.afterId ?? 0;
      for (;;) {
        const { rows } = await db.query<HashRow>(
          `SELECT ${HASH_COLUMNS} FROM hashes h JOIN items i ON i.id = h.item_id WHERE h.id > $1 ORDER BY h.id LIMIT $2`,
          [after, DEFAULT_PAGE_SIZE],
        );
        for (const row of rows) yield toStoredHash(row);
        if (rows.length < DEFAULT_PAGE_SIZE) return;
        after = rows[rows.length - 1]!.id;
      }
    },
    async *indexPages(options = {}) {
      const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
      if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
        throw new RempartError('BAD_REQUEST', `page size must be a positive integer, got ${pageSize}`);
      }
      yield* copyIndexPages(pool, options.afterId ?? 0, pageSize, options.readAhead ?? 0);
    },
    async countHashes() {
      const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM hashes');
      return rows[0]!.n;
    },
    async refsOf(ids) {
      const refs = new Map<number, string>();
      if (ids.length === 0) return refs;
      const { rows } = await db.query<{ id: number; ref: string }>('SELECT id, ref FROM hashes WHERE id = ANY($1::bigint[])', [ids]);
      for (const row of rows) refs.set(row.id, row.ref);
      return refs;
    },
    async hashFacts(ids) {
      const facts = new Map<number, HashFacts>();
      if (ids.length === 0) return facts;
      const { rows } = await db.query<{ id: number; ref: string; item_id: number; item_ref: string; role: string; detail: Record<string, unknown> | null; algorithm: string }>({
        // On every matched upload: a prepared statement (parsed and planned once per connection).
        name: 'rempart_hash_facts',
        // The item's ref by an index lookup per row, not a join: for a large batch the planner
        // chose a hash join over a sequential scan of every item (1,000 ids among 100k items:
        // 23-39 ms, against 4.5 ms this way; EXPLAIN ANALYZE on PostgreSQL 18).
        text: `SELECT h.id, h.ref, h.item_id, (SELECT i.ref FROM items i WHERE i.id = h.item_id) AS item_ref, h.role, h.detail, h.algorithm
                 FROM hashes h WHERE h.id = ANY($1::bigint[])`,
        values: [ids],
      });
      for (const r of rows) {
        facts.set(r.id, { id: r.id, ref: r.ref, itemId: r.item_id, itemRef: r.item_ref, role: r.role, detail: r.detail, algorithm: r.algorithm });
      }
      return facts;
    },
    async registeredWith(ids, algorithm) {
      if (ids.length === 0) return new Set();
      const { rows } = await db.query<{ id: number }>(
        `SELECT h.id FROM hashes h
          WHERE h.id = ANY($1::bigint[])
            AND EXISTS (SELECT 1 FROM hashes o WHERE o.case_id = h.case_id AND o.algorithm = $2)`,
        [ids, algorithm],
      );
      return new Set(rows.map((r) => Number(r.id)));
    },

    async changesAfter(after, limit) {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new RempartError('BAD_REQUEST', `limit must be a positive integer, got ${limit}`);
      }
      const { rows } = await db.query<ChangeRow>(
        `SELECT seq, op, hash_id, ref, item_ref, role, detail, algorithm, value, quality, at
           FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [after, limit],
      );
      return rows.map(toChange);
    },
    async lastSeq() {
      const { rows } = await db.query<{ last_seq: number }>('SELECT last_seq FROM change_log_state WHERE id = 1');
      return rows[0]!.last_seq;
    },
    watchChanges(listener) {
      return notifier.watch(listener);
    },

    async addPlatform(input, actor) {
      try {
        return await inTransaction(pool, async (client) => {
          const { rows } = await client.query<PlatformRow>(
            'INSERT INTO platforms (name, key_id, key_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING *',
            [input.name, input.keyId, input.keyHash, now()],
          );
          await audit(client, actor, 'platform.add', input.name, { keyId: input.keyId });
          return toPlatformRecord(rows[0]!);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'platforms_name_key')) {
          throw new RempartError('CONFLICT', `a platform named "${input.name}" already exists`);
        }
        if (isUniqueViolation(error, 'platforms_key_id_key')) {
          throw new RempartError('CONFLICT', `key id "${input.keyId}" is already in use`);
        }
        throw error;
      }
    },
    async getPlatformByKeyId(keyId) {
      const { rows } = await db.query<PlatformRow>('SELECT * FROM platforms WHERE key_id = $1', [keyId]);
      const row = rows[0];
      return row === undefined ? undefined : { ...toPlatformRecord(row), keyHash: row.key_hash };
    },
    async listPlatforms() {
      const { rows } = await db.query<PlatformRow>('SELECT * FROM platforms ORDER BY id');
      return rows.map(toPlatformRecord);
    },
    async revokePlatform(name, actor) {
      return inTransaction(pool, async (client) => {
        const result = await client.query('UPDATE platforms SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL', [now(), name]);
        if (result.rowCount === 0) return false;
        await audit(client, actor, 'platform.revoke', name, null);
        return true;
      });
    },

    async rotatePlatformKey(name, key, actor) {
      try {
        return await inTransaction(pool, async (client) => {
          const { rows } = await client.query<PlatformRow>(
            'UPDATE platforms SET key_id = $1, key_hash = $2 WHERE name = $3 AND revoked_at IS NULL RETURNING *',
            [key.keyId, key.keyHash, name],
          );
          if (rows.length === 0) return undefined;
          await audit(client, actor, 'platform.rotate', name, { keyId: key.keyId });
          return toPlatformRecord(rows[0]!);
        });
      } catch (error) {
        if (isUniqueViolation(error, 'platforms_key_id_key')) throw new RempartError('CONFLICT', `key id "${key.keyId}" is already in use`);
        throw error;
      }
    },

    async audit(actor, action, target, detail) {
      await audit(db, actor, action, target, detail);
    },
    async listAudit(options = {}) {
      const { rows } = await db.query<AuditRow>('SELECT * FROM audit WHERE id > $1 ORDER BY id LIMIT $2', [
        options.afterId ?? 0,
        options.limit ?? DEFAULT_AUDIT_LIMIT,
      ]);
      return rows.map(toAuditEntry);
    },

    async getSetting(key) {
      const { rows } = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
      return rows[0]?.value;
    },
    async setSetting(key, value) {
      await db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },

    ...postgresExchangeRole(pool, { onErased: () => eraser.request() }),
    ...postgresFeedbackRole(pool, { now, audit }),
    ...postgresWebhookRole(pool, now),
    ...postgresTakedownRole(pool, now, { onErased: () => eraser.request(['reports']) }),
    ...postgresPlatformSettingsRole(pool, { now, audit }),
    ...postgresReviewRole(pool, { now, audit, onErased: () => eraser.request(['held_submissions']) }),
    ...postgresFollowRole(pool, now, { onErased: () => eraser.request(['followed_hashes']) }),
    ...postgresBurstRole(pool, { onErased: () => eraser.request(['recent_submissions']) }),

    async countRequest(key, windowMs) {
      // The database's clock, so that every replica agrees on the window. A count lost in a
      // crash only eases a limit for a minute: no need to wait for the WAL flush.
      const { rows } = await db.query<{ count: number; window_start: number; now: number }>(
        `WITH settings AS (SELECT set_config('synchronous_commit', 'off', true)),
              clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now)
         INSERT INTO rate_limits AS r (key, window_start, count)
         SELECT $1, clock.now, 1 FROM clock, settings
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN r.window_start > excluded.window_start - $2 THEN r.count + 1 ELSE 1 END,
           window_start = CASE WHEN r.window_start > excluded.window_start - $2 THEN r.window_start ELSE excluded.window_start END
         RETURNING r.count, r.window_start, (SELECT now FROM clock) AS now`,
        [key, windowMs],
      );
      const row = rows[0]!;
      if (Date.now() >= nextRateLimitSweep) {
        nextRateLimitSweep = Date.now() + windowMs;
        void db.query('DELETE FROM rate_limits WHERE window_start < (extract(epoch FROM clock_timestamp()) * 1000)::bigint - $1', [windowMs]).catch(() => {});
      }
      return { count: row.count, resetInMs: Math.max(0, row.window_start + windowMs - row.now) };
    },

    async schemaVersion() {
      const { rows } = await db.query<{ version: number }>('SELECT max(version) AS version FROM schema_migrations');
      return rows[0]!.version;
    },
    async vacuum(options = {}) {
      await db.query(`VACUUM ${options.full ? 'FULL ' : ''}${ERASED_TABLES.join(', ')}`);
    },

    async close() {
      closing ??= (async () => {
        await notifier.close();
        await eraser.close();
        await pool.end();
      })();
      return closing;
    },
  };
  return store;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e.code === UNIQUE_VIOLATION && e.constraint === constraint;
}

/** node-postgres sends Buffers as bytea; a plain Uint8Array is wrapped without a copy. */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Refs for new items and hashes, and each hash's row values, in registration order. */
interface ItemsPlan {
  itemRefs: string[];
  hashes: { hash: NewItem['hashes'][number]; ref: string; itemRef: string; role: string; detail: string | null; value: Buffer; quality: number | null }[];
}

function planItems(items: readonly NewItem[]): ItemsPlan {
  const itemRefs = items.map(() => newItemRef());
  const hashes = items.flatMap((item, i) =>
    item.hashes.map((hash) => ({
      hash,
      ref: newHashRef(),
      itemRef: itemRefs[i]!,
      role: hash.role ?? DEFAULT_HASH_ROLE,
      detail: detailText(hash.detail),
      value: toBuffer(hash.bytes),
      quality: hash.quality ?? null,
    })),
  );
  return { itemRefs, hashes };
}

/** The stored items of a registration, from the ids the database gave its refs. */
function storedItems(
  caseId: number,
  items: readonly NewItem[],
  plan: ItemsPlan,
  itemIds: ReadonlyMap<string, number>,
  hashIds: ReadonlyMap<string, number>,
  at: Date,
): StoredItem[] {
  const createdAt = at.toISOString();
  let next = 0;
  return items.map((item, i) => {
    const itemRef = plan.itemRefs[i]!;
    const itemId = itemIds.get(itemRef)!;
    const hashes = item.hashes.map((): StoredHash => {
      const h = plan.hashes[next++]!;
      return {
        id: hashIds.get(h.ref)!,
        ref: h.ref,
        caseId,
        itemId,
        itemRef,
        role: h.role,
        detail: h.hash.detail ?? null,
        algorithm: h.hash.algorithm,
        bytes: new Uint8Array(h.value),
        quality: h.quality,
        createdAt,
      };
    });
    return { id: itemId, ref: itemRef, caseId, kind: item.kind, createdAt, hashes };
  });
}

function countHashes(items: readonly StoredItem[]): number {
  return items.reduce((sum, item) => sum + item.hashes.length, 0);
}

function toStoredHash(row: HashRow): StoredHash {
  return {
    id: row.id,
    ref: row.ref,
    caseId: row.case_id,
    itemId: row.item_id,
    itemRef: row.item_ref,
    role: row.role,
    detail: row.detail,
    algorithm: row.algorithm,
    bytes: new Uint8Array(row.value),
    quality: row.quality,
    createdAt: row.created_at.toISOString(),
  };
}

