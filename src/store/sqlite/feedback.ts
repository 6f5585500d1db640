/** SQLite side of the feedback role (see ../feedback.ts). */
import type Database from 'better-sqlite3';
import type { FeedbackEntry, FeedbackStore, FeedbackValue, NewFeedback, RecordedFeedback } from '../feedback.js';
import type { Actor } from '../types.js';

interface FeedbackRow {
  ref: string;
  item_ref: string;
  platform_id: number;
  platform: string;
  value: FeedbackValue;
  tags: string;
  first_at: string;
  at: string;
}

export interface SqliteFeedbackContext {
  iso: () => string;
  audit: (actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null) => void;
}

const ENTRY_COLUMNS = 'f.platform_id, p.name AS platform, f.value, f.tags, f.first_at, f.at';

/**
 * The items that refs name: a hash ref (`h_…`, what matches return today) names its item, an
 * item ref (`i_…`) itself. Refs naming nothing live are absent.
 */
const RESOLVE = `
  WITH given(ref) AS (SELECT value FROM json_each(?))
  SELECT g.ref, i.id AS item_id, i.ref AS item_ref, i.case_id
    FROM given g JOIN hashes h ON h.ref = g.ref JOIN items i ON i.id = h.item_id
  UNION ALL
  SELECT g.ref, i.id, i.ref, i.case_id FROM given g JOIN items i ON i.ref = g.ref`;

export function sqliteFeedbackRole(db: Database.Database, context: SqliteFeedbackContext): FeedbackStore {
  const sql = {
    resolve: db.prepare<[string], { ref: string; item_id: number; item_ref: string; case_id: number }>(RESOLVE),
    upsert: db.prepare(
      `INSERT INTO feedback (item_id, platform_id, case_id, value, tags, first_at, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (item_id, platform_id) DO UPDATE SET value = excluded.value, tags = excluded.tags, at = excluded.at`,
    ),
    platformName: db.prepare<[number], { name: string }>('SELECT name FROM platforms WHERE id = ?'),
    hashRefsOfItems: db.prepare<[string], string>(
      'SELECT ref FROM hashes WHERE item_id IN (SELECT value FROM json_each(?)) ORDER BY id',
    ).pluck(),
    ofRefs: db.prepare<[string], FeedbackRow>(
      `SELECT r.ref, r.item_ref, ${ENTRY_COLUMNS}
         FROM (${RESOLVE}) r JOIN feedback f ON f.item_id = r.item_id JOIN platforms p ON p.id = f.platform_id
        ORDER BY f.at DESC, r.ref, p.name`,
    ),
    ofCase: db.prepare<[number], FeedbackRow>(
      `SELECT i.ref AS ref, i.ref AS item_ref, ${ENTRY_COLUMNS}
         FROM feedback f JOIN items i ON i.id = f.item_id JOIN platforms p ON p.id = f.platform_id
        WHERE f.case_id = ? ORDER BY f.at DESC, i.ref, p.name`,
    ),
    countReporting: db.prepare<[string, string], { ref: string; n: number }>(
      `SELECT r.ref, count(*) AS n
         FROM (${RESOLVE}) r JOIN feedback f ON f.item_id = r.item_id JOIN platforms p ON p.id = f.platform_id
        WHERE f.value = ? AND p.revoked_at IS NULL
        GROUP BY r.ref`,
    ),
    countBlocking: db.prepare<[number], { n: number }>(
      `SELECT count(DISTINCT f.platform_id) AS n FROM feedback f JOIN platforms p ON p.id = f.platform_id
        WHERE f.case_id = ? AND f.value = 'Blocked' AND p.revoked_at IS NULL`,
    ),
    eraseWithdrawn: db.prepare(
      `DELETE FROM feedback WHERE case_id IN (SELECT id FROM cases WHERE status = 'withdrawn')`,
    ),
  };

  const recordTx = db.transaction((platformId: number, entries: readonly NewFeedback[], actor: Actor): RecordedFeedback => {
    const items = new Map(sql.resolve.all(JSON.stringify(entries.map((e) => e.ref))).map((r) => [r.ref, r]));
    const at = context.iso();
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
      sql.upsert.run(item.item_id, platformId, item.case_id, entry.value, JSON.stringify(entry.tags), at, at);
      recorded.push(entry.ref);
      itemIds.add(item.item_id);
      counts[entry.value] = (counts[entry.value] ?? 0) + 1;
    }
    if (recorded.length > 0) {
      const platform = sql.platformName.get(platformId)?.name ?? String(platformId);
      context.audit(actor, 'feedback.record', platform, { refs: recorded, values: counts });
    }
    const itemHashRefs = itemIds.size === 0 ? [] : sql.hashRefsOfItems.all(JSON.stringify([...itemIds]));
    return { recorded, unknown, itemHashRefs };
  });

  return {
    async recordFeedback(platformId, entries, actor) {
      return entries.length === 0 ? { recorded: [], unknown: [], itemHashRefs: [] } : recordTx.immediate(platformId, entries, actor);
    },
    async feedbackOfRefs(refs) {
      return refs.length === 0 ? [] : sql.ofRefs.all(JSON.stringify(refs)).map(toEntry);
    },
    async feedbackOfCase(caseId) {
      return sql.ofCase.all(caseId).map(toEntry);
    },
    async countPlatformsReporting(refs, value) {
      const out = new Map<string, number>();
      if (refs.length === 0) return out;
      for (const row of sql.countReporting.all(JSON.stringify(refs), value)) out.set(row.ref, row.n);
      return out;
    },
    async countPlatformsBlocking(caseId) {
      return sql.countBlocking.get(caseId)!.n;
    },
    async eraseFeedbackOfWithdrawnCases() {
      return sql.eraseWithdrawn.run().changes;
    },
  };
}

function toEntry(row: FeedbackRow): FeedbackEntry {
  return {
    ref: row.ref,
    itemRef: row.item_ref,
    platformId: row.platform_id,
    platform: row.platform,
    value: row.value,
    tags: JSON.parse(row.tags) as string[],
    firstAt: row.first_at,
    at: row.at,
  };
}
