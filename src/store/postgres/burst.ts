/** PostgreSQL side of the recent-submissions role (see ../burst.ts): every replica counts the same submissions. */
import type pg from 'pg';
import type { BurstStore } from '../burst.js';
import { decodeSubmittedHashes, encodeSubmittedHashes } from '../burst-codec.js';
import { queries } from './connection.js';

export function postgresBurstRole(pool: pg.Pool, options: { onErased?: () => void } = {}): BurstStore {
  // Direct queries report a lost database as DATABASE_UNAVAILABLE (503), as the store's own do.
  const db = queries(pool);
  return {
    async recentSubmissions(address, since, limit) {
      const { rows } = await db.query<{ hashes: string }>(
        'SELECT hashes FROM recent_submissions WHERE address = $1 AND at >= $2 ORDER BY at DESC, id DESC LIMIT $3',
        [address, since, limit],
      );
      return rows.map((r) => decodeSubmittedHashes(r.hashes));
    },
    async rememberSubmission(input, forgetBefore) {
      await db.query(
        `WITH forgotten AS (DELETE FROM recent_submissions WHERE at < $5)
         INSERT INTO recent_submissions (address, case_id, at, hashes) VALUES ($1, $2, $3, $4)`,
        [input.address, input.caseId, input.at, encodeSubmittedHashes(input.hashes), forgetBefore],
      );
    },
    async eraseSubmissionsOfWithdrawnCases() {
      const result = await db.query(`DELETE FROM recent_submissions WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`);
      const erased = result.rowCount ?? 0;
      if (erased > 0) options.onErased?.();
      return erased;
    },
  };
}
