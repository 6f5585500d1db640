/** PostgreSQL side of the allow-list and review roles (see ../review.ts, and ../sqlite/review.ts). */
import type pg from 'pg';
import type { AllowListStore, ReviewStore } from '../review.js';
import { type PostgresColumnTypes, postgresColumns } from '../columns.js';
import { heldItemsToJson } from '../held-items.js';
import { type AllowListRow as AllowListRowOf, type HeldRow as HeldRowOf, type LiveHashRow as LiveHashRowOf, reviewRowMappers } from '../review-rows.js';
import type { Actor } from '../types.js';
import { type Queryable, inTransaction, queries } from './connection.js';

export interface PostgresReviewContext {
  /** Called after hash values were erased (a rejection, a withdrawn case's held items): VACUUM then removes the old row versions. */
  onErased?: () => void;
  now: () => Date;
  audit: (client: Queryable, actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null) => Promise<void>;
}

const HELD = 'SELECT h.*, c.number AS case_number FROM held_submissions h JOIN cases c ON c.id = h.case_id';

type HeldRow = HeldRowOf<PostgresColumnTypes>;
type LiveHashRow = LiveHashRowOf<PostgresColumnTypes>;
const rowMappers = reviewRowMappers(postgresColumns);
const toHeld = rowMappers.held;

export function postgresReviewRole(pool: pg.Pool, context: PostgresReviewContext): AllowListStore & ReviewStore {
  // Direct queries report a lost database as DATABASE_UNAVAILABLE (503), as the store's own do.
  const db = queries(pool);
  const byRef = async (client: Queryable, ref: string) => {
    const { rows } = await client.query<HeldRow>(`${HELD} WHERE h.ref = $1`, [ref]);
    return rows[0] && toHeld(rows[0]);
  };
  return {
    async addAllowListed(entries, actor) {
      return inTransaction(pool, async (client) => {
        const at = context.now();
        let added = 0;
        for (const e of entries) {
          const result = await client.query(
            'INSERT INTO allow_list (algorithm, value, label, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
            [e.algorithm, Buffer.from(e.bytes), e.label, at],
          );
          added += result.rowCount ?? 0;
        }
        await context.audit(client, actor, 'allow_list.add', null, { added, already: entries.length - added });
        return { added, already: entries.length - added };
      });
    },
    async removeAllowListed(ids, actor) {
      return inTransaction(pool, async (client) => {
        const result = await client.query('DELETE FROM allow_list WHERE id = ANY($1::bigint[])', [ids]);
        const removed = result.rowCount ?? 0;
        await context.audit(client, actor, 'allow_list.remove', null, { ids, removed });
        return removed;
      });
    },
    async allowListPage(afterId, limit) {
      const { rows } = await db.query<AllowListRowOf<PostgresColumnTypes>>(
        'SELECT * FROM allow_list WHERE id > $1 ORDER BY id LIMIT $2',
        [afterId, limit],
      );
      return rows.map(rowMappers.allowListEntry);
    },
    async allowListVersion() {
      // One row, whatever the list's size: a trigger bumps it on every change (migration 13).
      const { rows } = await db.query<{ version: number }>('SELECT version FROM allow_list_version WHERE id = 1');
      return String(rows[0]!.version);
    },
    async holdItems(input, actor) {
      return inTransaction(pool, async (client) => {
        const hashCount = input.items.reduce((n, item) => n + item.hashes.length, 0);
        await client.query(
          `INSERT INTO held_submissions (ref, case_id, reason, detail, items, hash_count, status, held_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'held', $7)`,
          [input.ref, input.caseId, input.reason, JSON.stringify(input.detail), heldItemsToJson(input.items), hashCount, context.now()],
        );
        await context.audit(client, actor, 'review.hold', input.ref, { reason: input.reason, hashes: hashCount });
        return (await byRef(client, input.ref))!;
      });
    },
    async listHeld(options = {}) {
      const { rows } = await db.query<HeldRow>(`${HELD} WHERE ($1::text IS NULL OR h.status = $1) ORDER BY h.id LIMIT $2`, [
        options.status ?? null,
        options.limit ?? 100,
      ]);
      return rows.map(toHeld);
    },
    getHeld: (ref) => byRef(db, ref),
    async decideHeld(ref, status, actor) {
      const decided = await inTransaction(pool, async (client) => {
        // A rejection erases the values in the same statement: no rejected value is ever committed.
        const result = await client.query(
          `UPDATE held_submissions SET status = $1, decided_at = $2, decided_by = $3,
                  items = CASE WHEN $1 = 'rejected' THEN '[]'::jsonb ELSE items END
            WHERE ref = $4 AND status = 'held'`,
          [status, context.now(), `${actor.kind}:${actor.id}`, ref],
        );
        if (result.rowCount === 0) return undefined;
        await context.audit(client, actor, `review.${status === 'released' ? 'release' : 'reject'}`, ref, null);
        return byRef(client, ref);
      });
      // The old row versions (held, with the values) stay in the table's pages until VACUUM.
      if (decided && status === 'rejected') context.onErased?.();
      return decided;
    },
    async eraseHeldItems(ref) {
      await db.query(`UPDATE held_submissions SET items = '[]' WHERE ref = $1 AND status <> 'held'`, [ref]);
    },
    async heldCountsOfCase(caseId) {
      const { rows } = await db.query<{ held: number | null; rejected: number | null }>(
        `SELECT sum(CASE WHEN status = 'held' THEN hash_count ELSE 0 END)::integer AS held,
                sum(CASE WHEN status = 'rejected' THEN hash_count ELSE 0 END)::integer AS rejected
           FROM held_submissions WHERE case_id = $1`,
        [caseId],
      );
      return { held: rows[0]?.held ?? 0, rejected: rows[0]?.rejected ?? 0 };
    },
    async liveItemsOfRefs(refs) {
      const { rows } = await db.query<LiveHashRow>(
        `WITH wanted(id) AS (SELECT h.item_id FROM hashes h WHERE h.ref = ANY($1::text[])
                             UNION SELECT i.id FROM items i WHERE i.ref = ANY($1::text[]))
         SELECT i.id AS item_id, i.ref AS item_ref, i.case_id, i.kind, h.algorithm, h.value, h.quality, h.role, h.detail
           FROM wanted w JOIN items i ON i.id = w.id JOIN hashes h ON h.item_id = i.id ORDER BY i.id, h.id`,
        [refs],
      );
      return rowMappers.liveItems(rows);
    },
    async eraseHeldOfWithdrawnCases() {
      const result = await db.query(`DELETE FROM held_submissions WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`);
      const erased = result.rowCount ?? 0;
      if (erased > 0) context.onErased?.();
      return erased;
    },
  };
}
