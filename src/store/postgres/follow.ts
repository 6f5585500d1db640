/** PostgreSQL side of the follower's role (see ../follow.ts, and ../sqlite/follow.ts). */
import type pg from 'pg';
import { type FollowStore, type FollowedFacts, type FollowedHash, type FollowedHashRow, followedHashFromRow } from '../follow.js';
import { inTransaction, queries } from './connection.js';


export function postgresFollowRole(pool: pg.Pool, now: () => Date): FollowStore {
  // Direct queries report a lost database as DATABASE_UNAVAILABLE (503), as the store's own do.
  const db = queries(pool);
  return {
    async followSource(url) {
      await db.query('INSERT INTO follow_sources (url, cursor, updated_at) VALUES ($1, 0, $2) ON CONFLICT (url) DO NOTHING', [url, now()]);
      const { rows } = await db.query<{ id: number; cursor: number }>('SELECT id, cursor FROM follow_sources WHERE url = $1', [url]);
      return rows[0]!;
    },
    async applyFollowed(sourceId, changes, cursor) {
      return inTransaction(pool, async (client) => {
        // One follower loop per source and process; the row lock keeps two replicas' pages apart.
        await client.query('SELECT 1 FROM follow_sources WHERE id = $1 FOR UPDATE', [sourceId]);
        const added: FollowedHash[] = [];
        const removed: number[] = [];
        for (const c of changes) {
          if (c.op === 'add') {
            const { rows } = await client.query<FollowedHashRow>(
              `INSERT INTO followed_hashes (source_id, ref, item_ref, role, algorithm, value, quality) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (source_id, ref) DO NOTHING RETURNING *`,
              [sourceId, c.ref, c.itemRef, c.role, c.algorithm, Buffer.from(c.bytes), c.quality],
            );
            if (rows[0]) added.push(followedHashFromRow(rows[0]));
          } else {
            const { rows } = await client.query<{ id: number }>('DELETE FROM followed_hashes WHERE source_id = $1 AND ref = $2 RETURNING id', [
              sourceId,
              c.ref,
            ]);
            if (rows[0]) removed.push(rows[0].id);
          }
        }
        await client.query('UPDATE follow_sources SET cursor = $1, updated_at = $2 WHERE id = $3 AND cursor <= $1', [cursor, now(), sourceId]);
        return { added, removed };
      });
    },
    async followedPage(afterId, limit) {
      const { rows } = await db.query<FollowedHashRow>('SELECT * FROM followed_hashes WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit]);
      return rows.map(followedHashFromRow);
    },
    async followedFacts(ids) {
      const out = new Map<number, FollowedFacts>();
      if (ids.length === 0) return out;
      const { rows } = await db.query<{ id: number; ref: string; item_ref: string; role: string; algorithm: string; url: string }>(
        `SELECT f.id, f.ref, f.item_ref, f.role, f.algorithm, s.url FROM followed_hashes f JOIN follow_sources s ON s.id = f.source_id
          WHERE f.id = ANY($1::bigint[])`,
        [ids],
      );
      for (const r of rows) out.set(r.id, { ref: r.ref, itemRef: r.item_ref, role: r.role, algorithm: r.algorithm, source: r.url });
      return out;
    },
  };
}
