/** SQLite side of the recent-submissions role (see ../burst.ts). */
import type Database from 'better-sqlite3';
import type { BurstStore, RememberedSubmission } from '../burst.js';
import { decodeSubmittedHashes, encodeSubmittedHashes } from '../burst-codec.js';

/** Remembers a submission with its case: called inside createCase's transaction. */
export function sqliteSubmissionWriter(db: Database.Database): (caseId: number, submission: RememberedSubmission) => void {
  const insert = db.prepare('INSERT INTO recent_submissions (address, case_id, at, hashes) VALUES (?, ?, ?, ?)');
  const forget = db.prepare('DELETE FROM recent_submissions WHERE at < ?');
  return (caseId, submission) => {
    forget.run(submission.forgetBefore);
    insert.run(submission.address, caseId, submission.at, encodeSubmittedHashes(submission.hashes));
  };
}

export function sqliteBurstRole(db: Database.Database, options: { onErased?: () => void } = {}): BurstStore {
  const sql = {
    recent: db.prepare<[string, number, number], { hashes: string }>(
      'SELECT hashes FROM recent_submissions WHERE address = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?',
    ),
    allowListVersion: db.prepare<[], { version: number }>('SELECT version FROM allow_list_version WHERE id = 1'),
    eraseWithdrawn: db.prepare(`DELETE FROM recent_submissions WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`),
  };
  const recent = (address: string, since: number, limit: number) => sql.recent.all(address, since, limit).map((r) => decodeSubmittedHashes(r.hashes));
  return {
    async recentSubmissions(address, since, limit) {
      return recent(address, since, limit);
    },
    async screeningState(address, since, limit) {
      return {
        allowListVersion: String(sql.allowListVersion.get()!.version),
        recent: address === undefined ? [] : recent(address, since, limit),
      };
    },
    async eraseSubmissionsOfWithdrawnCases() {
      const erased = sql.eraseWithdrawn.run().changes;
      if (erased > 0) options.onErased?.();
      return erased;
    },
  };
}
