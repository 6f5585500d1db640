/** PostgreSQL side of the follower's role (see ../follow.ts, and ../sqlite/follow.ts). */
import type pg from 'pg';
import { type PostgresColumnTypes, jsonOrNull, postgresColumns } from '../columns.js';
import type { FeedbackValue } from '../feedback.js';
import { type FollowStore, type FollowedChange, type FollowedFacts, type FollowedHash, type FollowedHashRow, followedHashFromRow } from '../follow.js';
import { inTransaction, queries } from './connection.js';

const followedHash = followedHashFromRow(postgresColumns);

type Add = Extract<FollowedChange, { op: 'add' }>;

/** A page as runs of consecutive adds and removals: one statement per run, not per change (a catch-up page holds 10,000). */
function runs(changes: readonly FollowedChange[]): FollowedChange[][] {
  const out: FollowedChange[][] = [];
  for (const c of changes) {
    const last = out[out.length - 1];
    if (last && last[0]!.op === c.op) last.push(c);
    else out.push([c]);
  }
  return out;
}

export function postgresFollowRole(pool: pg.Pool, now: () => Date, options: { onErased?: () => void } = {}): FollowStore {
  // Direct queries report a lost database as DATABASE_UNAVAILABLE (503), as the store's own do.
  const db = queries(pool);
  return {
    async followSource(url) {
      await db.query('INSERT INTO follow_sources (url, cursor, updated_at) VALUES ($1, 0, $2) ON CONFLICT (url) DO NOTHING', [url, now()]);
      const { rows } = await db.query<{ id: number; cursor: number }>('SELECT id, cursor FROM follow_sources WHERE url = $1', [url]);
      return rows[0]!;
    },
    async applyFollowed(sourceId, changes, cursor) {
      let erased = false;
      const result = await inTransaction(pool, async (client) => {
        // Replicas on one database each apply every page to their own index; the row lock
        // makes their writes of one source's pages take turns.
        await client.query('SELECT 1 FROM follow_sources WHERE id = $1 FOR UPDATE', [sourceId]);
        const added = new Map<string, FollowedHash>();
        const removed: number[] = [];
        for (const run of runs(changes)) {
          const refs = run.map((c) => c.ref);
          if (run[0]!.op === 'add') {
            const adds = run as Add[];
            // A ref removed before (by this or another replica) is not added back by a replayed page.
            await client.query(
              `INSERT INTO followed_hashes (source_id, ref, item_ref, role, detail, algorithm, value, quality)
               SELECT $1, a.ref, a.item_ref, a.role, a.detail, a.algorithm, a.value, a.quality
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::bytea[], $8::int[])
                   AS a (ref, item_ref, role, detail, algorithm, value, quality)
                WHERE NOT EXISTS (SELECT 1 FROM followed_removals r WHERE r.source_id = $1 AND r.ref = a.ref)
               ON CONFLICT (source_id, ref) DO NOTHING`,
              [
                sourceId,
                refs,
                adds.map((c) => c.itemRef),
                adds.map((c) => c.role),
                adds.map((c) => (c.detail === null ? null : JSON.stringify(c.detail))),
                adds.map((c) => c.algorithm),
                adds.map((c) => Buffer.from(c.bytes)),
                adds.map((c) => c.quality),
              ],
            );
            const { rows } = await client.query<FollowedHashRow<PostgresColumnTypes>>(
              'SELECT * FROM followed_hashes WHERE source_id = $1 AND ref = ANY($2::text[]) ORDER BY id',
              [sourceId, refs],
            );
            for (const row of rows) added.set(row.ref, followedHash(row));
          } else {
            const { rows } = await client.query<{ id: number }>(
              `WITH gone AS (DELETE FROM followed_hashes WHERE source_id = $1 AND ref = ANY($2::text[]) RETURNING source_id, ref, id),
                    kept AS (INSERT INTO followed_removals (source_id, ref, id) SELECT source_id, ref, id FROM gone ON CONFLICT DO NOTHING)
               SELECT id FROM gone
               UNION ALL
               SELECT id FROM followed_removals WHERE source_id = $1 AND ref = ANY($2::text[])`,
              [sourceId, refs],
            );
            // `gone` and the earlier removals are disjoint (a held ref has no removal row yet).
            for (const row of rows) removed.push(row.id);
            for (const ref of refs) added.delete(ref);
            erased ||= rows.length > 0;
          }
        }
        await client.query('UPDATE follow_sources SET cursor = $1, updated_at = $2 WHERE id = $3 AND cursor <= $1', [cursor, now(), sourceId]);
        return { added: [...added.values()], removed };
      });
      // Removed values leave the table's files too (VACUUM), as a withdrawal's do at the bank.
      if (erased) options.onErased?.();
      return result;
    },
    async queueFollowedFeedback(entries) {
      return inTransaction(pool, async (client) => {
        const queued: string[] = [];
        const unknown: string[] = [];
        for (const e of entries) {
          const { rowCount } = await client.query(
            `INSERT INTO followed_feedback (source_id, ref, value, tags, queued_at)
             SELECT DISTINCT source_id, $1::text, $2::text, $3::jsonb, $4::timestamptz FROM followed_hashes WHERE ref = $1::text OR item_ref = $1::text`,
            [e.ref, e.value, JSON.stringify(e.tags), now()],
          );
          ((rowCount ?? 0) > 0 ? queued : unknown).push(e.ref);
        }
        return { queued, unknown };
      });
    },
    async queuedFeedback(sourceId, limit) {
      const { rows } = await db.query<{ id: number; ref: string; value: FeedbackValue; tags: string[] }>(
        'SELECT id, ref, value, tags FROM followed_feedback WHERE source_id = $1 ORDER BY id LIMIT $2',
        [sourceId, limit],
      );
      return rows;
    },
    async dropQueuedFeedback(ids) {
      if (ids.length > 0) await db.query('DELETE FROM followed_feedback WHERE id = ANY($1::bigint[])', [ids]);
    },
    async followedPage(afterId, limit) {
      const { rows } = await db.query<FollowedHashRow<PostgresColumnTypes>>('SELECT * FROM followed_hashes WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
      return rows.map(followedHash);
    },
    async followedFacts(ids) {
      const out = new Map<number, FollowedFacts>();
      if (ids.length === 0) return out;
      const { rows } = await db.query<{ id: number; ref: string; item_ref: string; role: string; detail: PostgresColumnTypes['json'] | null; algorithm: string; url: string }>(
        `SELECT f.id, f.ref, f.item_ref, f.role, f.detail, f.algorithm, s.url FROM followed_hashes f JOIN follow_sources s ON s.id = f.source_id
          WHERE f.id = ANY($1::bigint[])`,
        [ids],
      );
      for (const r of rows) out.set(r.id, { ref: r.ref, itemRef: r.item_ref, role: r.role, detail: jsonOrNull(postgresColumns, r.detail), algorithm: r.algorithm, source: r.url });
      return out;
    },
    async followedItemsHolding(ids, algorithm) {
      if (ids.length === 0) return new Set();
      const { rows } = await db.query<{ id: number }>(
        `SELECT f.id FROM followed_hashes f
          WHERE f.id = ANY($1::bigint[])
            AND EXISTS (SELECT 1 FROM followed_hashes o WHERE o.item_ref = f.item_ref AND o.source_id = f.source_id AND o.algorithm = $2)`,
        [ids, algorithm],
      );
      return new Set(rows.map((r) => Number(r.id)));
    },
  };
}
