/** SQLite side of the follower's role (see ../follow.ts). */
import type Database from 'better-sqlite3';
import { type SqliteColumnTypes, jsonOrNull, sqliteColumns } from '../columns.js';
import type { FeedbackValue } from '../feedback.js';
import { type FollowStore, type FollowedFacts, type FollowedHash, type FollowedHashRow, followedHashFromRow } from '../follow.js';

const followedHash = followedHashFromRow(sqliteColumns);


export function sqliteFollowRole(db: Database.Database, iso: () => string): FollowStore {
  const sql = {
    source: db.prepare<[string], { id: number; cursor: number }>('SELECT id, cursor FROM follow_sources WHERE url = ?'),
    addSource: db.prepare('INSERT INTO follow_sources (url, cursor, updated_at) VALUES (?, 0, ?) ON CONFLICT (url) DO NOTHING'),
    // A ref removed before (by this or another process) is not added back by a replayed page.
    add: db.prepare<[number, string, string, string, string | null, string, Buffer, number | null, number, string], FollowedHashRow<SqliteColumnTypes>>(
      `INSERT INTO followed_hashes (source_id, ref, item_ref, role, detail, algorithm, value, quality)
       SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM followed_removals WHERE source_id = ? AND ref = ?)
       ON CONFLICT (source_id, ref) DO NOTHING RETURNING *`,
    ),
    held: db.prepare<[number, string], FollowedHashRow<SqliteColumnTypes>>('SELECT * FROM followed_hashes WHERE source_id = ? AND ref = ?'),
    remove: db.prepare<[number, string], { id: number }>('DELETE FROM followed_hashes WHERE source_id = ? AND ref = ? RETURNING id'),
    keepRemoval: db.prepare('INSERT INTO followed_removals (source_id, ref, id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
    removedBefore: db.prepare<[number, string], { id: number }>('SELECT id FROM followed_removals WHERE source_id = ? AND ref = ?'),
    moveCursor: db.prepare('UPDATE follow_sources SET cursor = ?, updated_at = ? WHERE id = ? AND cursor <= ?'),
    page: db.prepare<[number, number], FollowedHashRow<SqliteColumnTypes>>('SELECT * FROM followed_hashes WHERE id > ? ORDER BY id LIMIT ?'),
    sourceOfRef: db.prepare<[string, string], { source_id: number }>(
      `SELECT DISTINCT source_id FROM followed_hashes WHERE ref = ? OR item_ref = ?`,
    ),
    queueFeedback: db.prepare('INSERT INTO followed_feedback (source_id, ref, value, tags, queued_at) VALUES (?, ?, ?, ?, ?)'),
    queued: db.prepare<[number, number], { id: number; ref: string; value: string; tags: string }>(
      'SELECT id, ref, value, tags FROM followed_feedback WHERE source_id = ? ORDER BY id LIMIT ?',
    ),
    dropQueued: db.prepare('DELETE FROM followed_feedback WHERE id IN (SELECT value FROM json_each(?))'),
    facts: db.prepare<[string], { id: number; ref: string; item_ref: string; role: string; detail: string | null; algorithm: string; url: string }>(
      `SELECT f.id, f.ref, f.item_ref, f.role, f.detail, f.algorithm, s.url FROM followed_hashes f JOIN follow_sources s ON s.id = f.source_id
        WHERE f.id IN (SELECT value FROM json_each(?))`,
    ),
    itemsHolding: db.prepare<[string, string], { id: number }>(
      `SELECT f.id FROM followed_hashes f
        WHERE f.id IN (SELECT value FROM json_each(?))
          AND EXISTS (SELECT 1 FROM followed_hashes o WHERE o.item_ref = f.item_ref AND o.source_id = f.source_id AND o.algorithm = ?)`,
    ),
  };

  const applyTx = db.transaction((sourceId: number, changes: Parameters<FollowStore['applyFollowed']>[1], cursor: number) => {
    const added = new Map<string, FollowedHash>();
    const removed: number[] = [];
    for (const c of changes) {
      if (c.op === 'add') {
        // New (the common case), or held already (a replayed page, or another process wrote it first).
        const row =
          sql.add.get(sourceId, c.ref, c.itemRef, c.role, c.detail === null ? null : JSON.stringify(c.detail), c.algorithm, Buffer.from(c.bytes), c.quality, sourceId, c.ref) ??
          sql.held.get(sourceId, c.ref);
        if (row) added.set(c.ref, followedHash(row));
      } else {
        const row = sql.remove.get(sourceId, c.ref);
        if (row) sql.keepRemoval.run(sourceId, c.ref, row.id);
        const id = row?.id ?? sql.removedBefore.get(sourceId, c.ref)?.id;
        if (id !== undefined) removed.push(id);
        added.delete(c.ref);
      }
    }
    sql.moveCursor.run(cursor, iso(), sourceId, cursor);
    return { added: [...added.values()], removed };
  });

  const queueTx = db.transaction((entries: Parameters<FollowStore['queueFollowedFeedback']>[0]) => {
    const queued: string[] = [];
    const unknown: string[] = [];
    for (const e of entries) {
      const sources = sql.sourceOfRef.all(e.ref, e.ref);
      for (const { source_id } of sources) sql.queueFeedback.run(source_id, e.ref, e.value, JSON.stringify(e.tags), iso());
      (sources.length > 0 ? queued : unknown).push(e.ref);
    }
    return { queued, unknown };
  });

  return {
    async queueFollowedFeedback(entries) {
      return queueTx(entries);
    },
    async queuedFeedback(sourceId, limit) {
      return sql.queued.all(sourceId, limit).map((r) => ({ id: r.id, ref: r.ref, value: r.value as FeedbackValue, tags: JSON.parse(r.tags) as string[] }));
    },
    async dropQueuedFeedback(ids) {
      if (ids.length > 0) sql.dropQueued.run(JSON.stringify(ids));
    },
    async followSource(url) {
      sql.addSource.run(url, iso());
      return sql.source.get(url)!;
    },
    async applyFollowed(sourceId, changes, cursor) {
      return applyTx(sourceId, changes, cursor);
    },
    async followedPage(afterId, limit) {
      return sql.page.all(afterId, limit).map(followedHash);
    },
    async followedFacts(ids) {
      const out = new Map<number, FollowedFacts>();
      if (ids.length === 0) return out;
      for (const r of sql.facts.all(JSON.stringify(ids))) {
        out.set(r.id, { ref: r.ref, itemRef: r.item_ref, role: r.role, detail: jsonOrNull(sqliteColumns, r.detail), algorithm: r.algorithm, source: r.url });
      }
      return out;
    },
    async followedItemsHolding(ids, algorithm) {
      if (ids.length === 0) return new Set();
      return new Set(sql.itemsHolding.all(JSON.stringify(ids), algorithm).map((row) => row.id));
    },
  };
}
