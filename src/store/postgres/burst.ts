/** PostgreSQL side of the recent-submissions role (see ../burst.ts): every replica counts the same submissions. */
import type pg from 'pg';
import type { BurstStore, RememberedSubmission } from '../burst.js';
import { decodeSubmittedHashes, encodeSubmittedHashes } from '../burst-codec.js';
import { type Queryable, queries } from './connection.js';

/** The parameters of a remembered submission (or of none), for the statements below. */
export function submissionParameters(submission: RememberedSubmission | undefined): [string | null, number | null, string | null, number | null] {
  return submission
    ? [submission.address, submission.at, encodeSubmittedHashes(submission.hashes), submission.forgetBefore]
    : [null, null, null, null];
}

/**
 * Data-modifying CTEs that remember a submission with the case `new_case` (in createCase's
 * one statement), its parameters at $first… (see submissionParameters): nothing without one.
 */
export function rememberSubmissionCtes(first: number): string {
  const [address, at, hashes, forgetBefore] = [first, first + 1, first + 2, first + 3].map((n) => `$${n}`);
  return `forgotten_submissions AS (
         DELETE FROM recent_submissions WHERE ${address}::text IS NOT NULL AND at < ${forgetBefore}::bigint
       ), remembered_submission AS (
         INSERT INTO recent_submissions (address, case_id, at, hashes)
         SELECT ${address}::text, new_case.id, ${at}::bigint, ${hashes}::text FROM new_case WHERE ${address}::text IS NOT NULL
       )`;
}

/** Remembers a submission with its case inside the caller's transaction (createCase's bulk path). */
export async function rememberSubmission(client: Queryable, caseId: number, submission: RememberedSubmission): Promise<void> {
  const [address, at, hashes, forgetBefore] = submissionParameters(submission);
  await client.query('DELETE FROM recent_submissions WHERE at < $1', [forgetBefore]);
  await client.query('INSERT INTO recent_submissions (address, case_id, at, hashes) VALUES ($1, $2, $3, $4)', [address, caseId, at, hashes]);
}

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
    async screeningState(address, since, limit) {
      // One round trip before every victim's submission: a prepared statement (parsed and planned once per connection).
      const { rows } = await db.query<{ version: number; recent: string[] }>({
        name: 'rempart_screening_state',
        text: `SELECT (SELECT version FROM allow_list_version WHERE id = 1) AS version,
                      ARRAY(SELECT hashes FROM recent_submissions WHERE address = $1 AND at >= $2
                             ORDER BY at DESC, id DESC LIMIT $3) AS recent`,
        values: [address ?? null, since, limit],
      });
      return { allowListVersion: String(rows[0]!.version), recent: rows[0]!.recent.map(decodeSubmittedHashes) };
    },
    async eraseSubmissionsOfWithdrawnCases() {
      const result = await db.query(`DELETE FROM recent_submissions WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`);
      const erased = result.rowCount ?? 0;
      if (erased > 0) options.onErased?.();
      return erased;
    },
  };
}
