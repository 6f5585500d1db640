/** SQLite side of the allow-list and review roles (see ../review.ts). */
import type Database from 'better-sqlite3';
import type { AllowListStore, ReviewStore } from '../review.js';
import { type SqliteColumnTypes, sqliteColumns } from '../columns.js';
import { heldItemsToJson } from '../held-items.js';
import { type AllowListRow as AllowListRowOf, type HeldRow as HeldRowOf, type LiveHashRow as LiveHashRowOf, reviewRowMappers } from '../review-rows.js';
import type { Actor } from '../types.js';

export interface SqliteReviewContext {
  iso: () => string;
  audit: (actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null) => void;
  /** Called after hash values were erased (a rejection, a withdrawn case's held items): the WAL still holds them. */
  onErased?: () => void;
}

const HELD_COLUMNS = 'h.*, c.number AS case_number';

type HeldRow = HeldRowOf<SqliteColumnTypes>;
type LiveHashRow = LiveHashRowOf<SqliteColumnTypes>;
const rowMappers = reviewRowMappers(sqliteColumns);
const toHeld = rowMappers.held;

export function sqliteReviewRole(db: Database.Database, context: SqliteReviewContext): AllowListStore & ReviewStore {
  const sql = {
    allowInsert: db.prepare('INSERT INTO allow_list (algorithm, value, label, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    allowDelete: db.prepare('DELETE FROM allow_list WHERE id = ?'),
    allowPage: db.prepare<[number, number], AllowListRowOf<SqliteColumnTypes>>(
      'SELECT * FROM allow_list WHERE id > ? ORDER BY id LIMIT ?',
    ),
    // One row, whatever the list's size: triggers bump it on every change (migration 14).
    allowVersion: db.prepare<[], { version: number }>('SELECT version FROM allow_list_version WHERE id = 1'),
    hold: db.prepare(
      `INSERT INTO held_submissions (ref, case_id, reason, detail, items, hash_count, status, held_at) VALUES (?, ?, ?, ?, ?, ?, 'held', ?)`,
    ),
    byRef: db.prepare<[string], HeldRow>(`SELECT ${HELD_COLUMNS} FROM held_submissions h JOIN cases c ON c.id = h.case_id WHERE h.ref = ?`),
    list: db.prepare<[string | null, string | null, number], HeldRow>(
      `SELECT ${HELD_COLUMNS} FROM held_submissions h JOIN cases c ON c.id = h.case_id
        WHERE (? IS NULL OR h.status = ?) ORDER BY h.id LIMIT ?`,
    ),
    // A rejection erases the values in the same statement: no rejected value is ever committed.
    decide: db.prepare(
      `UPDATE held_submissions SET status = ?, decided_at = ?, decided_by = ?, items = CASE WHEN ? = 'rejected' THEN '[]' ELSE items END
        WHERE ref = ? AND status = 'held'`,
    ),
    erase: db.prepare(`UPDATE held_submissions SET items = '[]' WHERE ref = ? AND status <> 'held'`),
    counts: db.prepare<[number], { held: number | null; rejected: number | null }>(
      `SELECT sum(CASE WHEN status = 'held' THEN hash_count ELSE 0 END) AS held,
              sum(CASE WHEN status = 'rejected' THEN hash_count ELSE 0 END) AS rejected
         FROM held_submissions WHERE case_id = ?`,
    ),
    eraseWithdrawn: db.prepare(`DELETE FROM held_submissions WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`),
    liveItems: db.prepare<[string, string], LiveHashRow>(
      `WITH given(ref) AS (SELECT value FROM json_each(?)),
            wanted(id) AS (SELECT h.item_id FROM given g JOIN hashes h ON h.ref = g.ref
                           UNION SELECT i.id FROM json_each(?) g JOIN items i ON i.ref = g.value)
       SELECT i.id AS item_id, i.ref AS item_ref, i.case_id, i.kind, h.algorithm, h.value, h.quality, h.role, h.detail
         FROM wanted w JOIN items i ON i.id = w.id JOIN hashes h ON h.item_id = i.id ORDER BY i.id, h.id`,
    ),
  };

  const addTx = db.transaction((entries: readonly { algorithm: string; bytes: Uint8Array; label: string | null }[], actor: Actor) => {
    const at = context.iso();
    let added = 0;
    for (const e of entries) added += sql.allowInsert.run(e.algorithm, Buffer.from(e.bytes), e.label, at).changes;
    context.audit(actor, 'allow_list.add', null, { added, already: entries.length - added });
    return { added, already: entries.length - added };
  });
  const removeTx = db.transaction((ids: readonly number[], actor: Actor) => {
    let removed = 0;
    for (const id of ids) removed += sql.allowDelete.run(id).changes;
    context.audit(actor, 'allow_list.remove', null, { ids, removed });
    return removed;
  });
  const holdTx = db.transaction(
    (input: Parameters<ReviewStore['holdItems']>[0], actor: Actor) => {
      const hashCount = input.items.reduce((n, item) => n + item.hashes.length, 0);
      sql.hold.run(input.ref, input.caseId, input.reason, JSON.stringify(input.detail), heldItemsToJson(input.items), hashCount, context.iso());
      context.audit(actor, 'review.hold', input.ref, { reason: input.reason, hashes: hashCount });
      return toHeld(sql.byRef.get(input.ref)!);
    },
  );
  const decideTx = db.transaction((ref: string, status: 'released' | 'rejected', actor: Actor) => {
    if (sql.decide.run(status, context.iso(), `${actor.kind}:${actor.id}`, status, ref).changes === 0) return undefined;
    context.audit(actor, `review.${status === 'released' ? 'release' : 'reject'}`, ref, null);
    return toHeld(sql.byRef.get(ref)!);
  });

  return {
    async addAllowListed(entries, actor) {
      return addTx(entries, actor);
    },
    async removeAllowListed(ids, actor) {
      return removeTx(ids, actor);
    },
    async allowListPage(afterId, limit) {
      return sql.allowPage.all(afterId, limit).map(rowMappers.allowListEntry);
    },
    async allowListVersion() {
      return String(sql.allowVersion.get()!.version);
    },
    async holdItems(input, actor) {
      return holdTx(input, actor);
    },
    async listHeld(options = {}) {
      const status = options.status ?? null;
      return sql.list.all(status, status, options.limit ?? 100).map(toHeld);
    },
    async getHeld(ref) {
      const row = sql.byRef.get(ref);
      return row && toHeld(row);
    },
    async decideHeld(ref, status, actor) {
      const decided = decideTx(ref, status, actor);
      if (decided && status === 'rejected') context.onErased?.();
      return decided;
    },
    async eraseHeldItems(ref) {
      sql.erase.run(ref);
    },
    async heldCountsOfCase(caseId) {
      const row = sql.counts.get(caseId)!;
      return { held: row.held ?? 0, rejected: row.rejected ?? 0 };
    },
    async eraseHeldOfWithdrawnCases() {
      const erased = sql.eraseWithdrawn.run().changes;
      if (erased > 0) context.onErased?.();
      return erased;
    },
    async liveItemsOfRefs(refs) {
      const json = JSON.stringify(refs);
      return rowMappers.liveItems(sql.liveItems.all(json, json));
    },
  };
}
