/** PostgreSQL side of the feedback role (see ../feedback.ts, and ../sqlite/feedback.ts for the same in SQLite). */
import type pg from 'pg';
import type { FeedbackEntry, FeedbackStore, FeedbackValue, NewFeedback } from '../feedback.js';
import type { Actor } from '../types.js';
import { type Queryable, inTransaction, queries } from './connection.js';

interface FeedbackRow {
  ref: string;
  item_ref: string;
  platform_id: number;
  platform: string;
  value: FeedbackValue;
  tags: string[];
  first_at: Date;
  at: Date;
}

export interface PostgresFeedbackContext {
  now: () => Date;
  audit: (client: Queryable, actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null) => Promise<void>;
}

const ENTRY_COLUMNS = 'f.platform_id, p.name AS platform, f.value, f.tags, f.first_at, f.at';

/** The items refs name: a hash ref (`h_…`) its item, an item ref (`i_…`) itself. */
const RESOLVE = `
  SELECT g.ref, i.id AS item_id, i.ref AS item_ref, i.case_id
    FROM unnest($1::text[]) AS g(ref) JOIN hashes h ON h.ref = g.ref JOIN items i ON i.id = h.item_id
  UNION ALL
  SELECT g.ref, i.id, i.ref, i.case_id FROM unnest($1::text[]) AS g(ref) JOIN items i ON i.ref = g.ref`;

export function postgresFeedbackRole(pool: pg.Pool, context: PostgresFeedbackContext): FeedbackStore {
  // Direct queries report a lost database as DATABASE_UNAVAILABLE (503), as the store's own do.
  const db = queries(pool);
  return {
    async recordFeedback(platformId, entries: readonly NewFeedback[], actor) {
      if (entries.length === 0) return { recorded: [], unknown: [], itemHashRefs: [] };
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ ref: string; item_id: number; case_id: number }>(RESOLVE, [entries.map((e) => e.ref)]);
        const items = new Map(rows.map((r) => [r.ref, r]));
        const at = context.now();
        const recorded: string[] = [];
        const unknown: string[] = [];
        const counts: Partial<Record<FeedbackValue, number>> = {};
        const itemIds = new Set<number>();
        for (const entry of entries) {
          const item = items.get(entry.ref);
          if (item === undefined) {
            unknown.push(entry.ref);
            continue;
          }
          itemIds.add(Number(item.item_id));
          await client.query(
            `INSERT INTO feedback (item_id, platform_id, case_id, value, tags, first_at, at) VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (item_id, platform_id) DO UPDATE SET value = excluded.value, tags = excluded.tags, at = excluded.at`,
            [item.item_id, platformId, item.case_id, entry.value, JSON.stringify(entry.tags), at],
          );
          recorded.push(entry.ref);
          counts[entry.value] = (counts[entry.value] ?? 0) + 1;
        }
        if (recorded.length > 0) {
          const name = await client.query<{ name: string }>('SELECT name FROM platforms WHERE id = $1', [platformId]);
          await context.audit(client, actor, 'feedback.record', name.rows[0]?.name ?? String(platformId), { refs: recorded, values: counts });
        }
        const itemHashRefs =
          itemIds.size === 0
            ? []
            : (await client.query<{ ref: string }>('SELECT ref FROM hashes WHERE item_id = ANY($1::bigint[]) ORDER BY id', [[...itemIds]])).rows.map(
                (r) => r.ref,
              );
        return { recorded, unknown, itemHashRefs };
      });
    },

    async feedbackOfRefs(refs) {
      if (refs.length === 0) return [];
      const { rows } = await db.query<FeedbackRow>(
        `SELECT r.ref, r.item_ref, ${ENTRY_COLUMNS}
           FROM (${RESOLVE}) r JOIN feedback f ON f.item_id = r.item_id JOIN platforms p ON p.id = f.platform_id
          ORDER BY f.at DESC, r.ref, p.name`,
        [refs],
      );
      return rows.map(toEntry);
    },

    async feedbackOfCase(caseId) {
      const { rows } = await db.query<FeedbackRow>(
        `SELECT i.ref AS ref, i.ref AS item_ref, ${ENTRY_COLUMNS}
           FROM feedback f JOIN items i ON i.id = f.item_id JOIN platforms p ON p.id = f.platform_id
          WHERE f.case_id = $1 ORDER BY f.at DESC, i.ref, p.name`,
        [caseId],
      );
      return rows.map(toEntry);
    },

    async countPlatformsReporting(refs, value) {
      const out = new Map<string, number>();
      if (refs.length === 0) return out;
      const { rows } = await db.query<{ ref: string; n: number }>(
        `SELECT r.ref, count(*)::int AS n
           FROM (${RESOLVE}) r JOIN feedback f ON f.item_id = r.item_id JOIN platforms p ON p.id = f.platform_id
          WHERE f.value = $2 AND p.revoked_at IS NULL
          GROUP BY r.ref`,
        [refs, value],
      );
      for (const row of rows) out.set(row.ref, row.n);
      return out;
    },

    async countPlatformsBlocking(caseId) {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(DISTINCT f.platform_id)::int AS n FROM feedback f JOIN platforms p ON p.id = f.platform_id
          WHERE f.case_id = $1 AND f.value = 'Blocked' AND p.revoked_at IS NULL`,
        [caseId],
      );
      return rows[0]!.n;
    },

    async eraseFeedbackOfWithdrawnCases() {
      const result = await db.query(`DELETE FROM feedback WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`);
      return result.rowCount ?? 0;
    },
  };
}

function toEntry(row: FeedbackRow): FeedbackEntry {
  return {
    ref: row.ref,
    itemRef: row.item_ref,
    platformId: Number(row.platform_id),
    platform: row.platform,
    value: row.value,
    tags: row.tags,
    firstAt: row.first_at.toISOString(),
    at: row.at.toISOString(),
  };
}
