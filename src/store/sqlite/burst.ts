/** SQLite side of the recent-submissions role (see ../burst.ts). */
import type Database from 'better-sqlite3';
import type { BurstStore } from '../burst.js';
import { decodeSubmittedHashes, encodeSubmittedHashes } from '../burst-codec.js';

export function sqliteBurstRole(db: Database.Database, options: { onErased?: () => void } = {}): BurstStore {
  const sql = {
    recent: db.prepare<[string, number, number], { hashes: string }>(
      'SELECT hashes FROM recent_submissions WHERE address = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?',
    ),
    insert: db.prepare('INSERT INTO recent_submissions (address, case_id, at, hashes) VALUES (?, ?, ?, ?)'),
    forget: db.prepare('DELETE FROM recent_submissions WHERE at < ?'),
    eraseWithdrawn: db.prepare(`DELETE FROM recent_submissions WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`),
  };
  const rememberTx = db.transaction((input: Parameters<BurstStore['rememberSubmission']>[0], forgetBefore: number) => {
    sql.forget.run(forgetBefore);
    sql.insert.run(input.address, input.caseId, input.at, encodeSubmittedHashes(input.hashes));
  });
  return {
    async recentSubmissions(address, since, limit) {
      return sql.recent.all(address, since, limit).map((r) => decodeSubmittedHashes(r.hashes));
    },
    async rememberSubmission(input, forgetBefore) {
      rememberTx(input, forgetBefore);
    },
    async eraseSubmissionsOfWithdrawnCases() {
      const erased = sql.eraseWithdrawn.run().changes;
      if (erased > 0) options.onErased?.();
      return erased;
    },
  };
}
