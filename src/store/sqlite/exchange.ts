/**
 * SQLite side of the exchange projection (see exchange.ts for the rules). Every method is
 * one transaction on the store's connection; positions and times are handed out inside it,
 * so they follow commit order.
 */
import type Database from 'better-sqlite3';
import { bytesToHex } from '../../hashing/index.js';
import type { ExchangeChange, ExchangeMember, ExchangePage, ExchangePageQuery, ExchangeStore, ExchangeStatus } from '../exchange.js';
import { type MemberRow, type RecordRow, type StateRow, clockFrom, mayHaveSeen, toRecord } from '../exchange-rows.js';

const RECORD_COLUMNS = 'id, signal_type, value, position, modified_at, exposed_at, exposed_position, inactive_position';

export interface SqliteExchangeOptions {
  /** Called after tombstones were deleted, so the values also leave the WAL file. */
  onErased?: () => void;
}

export function sqliteExchangeRole(db: Database.Database, options: SqliteExchangeOptions = {}): ExchangeStore {
  const sql = {
    state: db.prepare<[], StateRow>('SELECT applied_seq, last_position, last_modified FROM exchange_state WHERE id = 1'),
    saveState: db.prepare('UPDATE exchange_state SET applied_seq = ?, last_position = ?, last_modified = ? WHERE id = 1'),
    recordByValue: db.prepare<[string, Buffer], { id: number; inactive_position: number | null }>(
      'SELECT id, inactive_position FROM exchange_records WHERE signal_type = ? AND value = ?',
    ),
    insertRecord: db.prepare(
      `INSERT INTO exchange_records (signal_type, value, position, modified_at, exposed_at, exposed_position)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    reactivate: db.prepare(
      'UPDATE exchange_records SET position = ?, modified_at = ?, inactive_position = NULL, erase_after = NULL WHERE id = ?',
    ),
    move: db.prepare('UPDATE exchange_records SET position = ?, modified_at = ? WHERE id = ?'),
    deactivate: db.prepare(
      'UPDATE exchange_records SET position = ?, modified_at = ?, inactive_position = ?, erase_after = ? WHERE id = ?',
    ),
    upsertMember: db.prepare(
      `INSERT INTO exchange_members (ref, record_id, status) VALUES (?, ?, 'Active')
       ON CONFLICT (ref) DO UPDATE SET record_id = excluded.record_id, status = 'Active'`,
    ),
    member: db.prepare<[string], { record_id: number; status: ExchangeStatus }>(
      'SELECT record_id, status FROM exchange_members WHERE ref = ?',
    ),
    setMemberStatus: db.prepare('UPDATE exchange_members SET status = ? WHERE ref = ?'),
    activeMembers: db.prepare<[number], { n: number }>(
      `SELECT count(*) AS n FROM exchange_members WHERE record_id = ? AND status = 'Active'`,
    ),
    // modified_at never decreases with position, so the first record at or after a time is
    // the first position worth scanning.
    firstPositionFrom: db.prepare<[number], { position: number }>(
      'SELECT position FROM exchange_records WHERE modified_at >= ? ORDER BY modified_at, position LIMIT 1',
    ),
    page: db.prepare<[number, number], RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM exchange_records WHERE position > ? ORDER BY position LIMIT ?`,
    ),
    membersOf: db.prepare<[string], MemberRow>(
      `SELECT record_id, ref, status FROM exchange_members
        WHERE record_id IN (SELECT value FROM json_each(?)) ORDER BY record_id, ref`,
    ),
    recordRead: db.prepare(
      `INSERT INTO exchange_readers (platform_id, served_position, acked_time, last_read_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (platform_id) DO UPDATE SET
         served_position = max(served_position, excluded.served_position),
         acked_time = max(acked_time, excluded.acked_time),
         last_read_at = excluded.last_read_at`,
    ),
    // A tombstone may go when its window is over, or when no active platform is left that was
    // served a position at or after the value's first exposure without having come back since
    // with a startTimestamp past the tombstone.
    purge: db.prepare(
      `DELETE FROM exchange_records
        WHERE erase_after IS NOT NULL
          AND (erase_after <= ?
               OR NOT EXISTS (SELECT 1 FROM exchange_readers r JOIN platforms p ON p.id = r.platform_id
                               WHERE p.revoked_at IS NULL
                                 AND r.served_position >= exchange_records.exposed_position
                                 AND r.acked_time <= exchange_records.modified_at))`,
    ),
    activeRefsOfValues: db.prepare<[string, string], { value: Buffer; ref: string }>(
      `SELECT r.value, m.ref FROM exchange_records r JOIN exchange_members m ON m.record_id = r.id
        WHERE r.signal_type = ? AND m.status = 'Active'
          AND r.value IN (SELECT unhex(value) FROM json_each(?))`,
    ),
    activeRecordsOfRefs: db.prepare<[string], { id: number }>(
      `SELECT DISTINCT r.id FROM exchange_members m JOIN exchange_records r ON r.id = m.record_id
        WHERE m.ref IN (SELECT value FROM json_each(?)) AND r.inactive_position IS NULL ORDER BY r.id`,
    ),
  };

  /** Hands out positions and times in commit order (call inside a transaction). */
  const applyTx = db.transaction(
    (changes: readonly ExchangeChange[], through: number, clock: { now: () => number; tombstoneSeconds: number }): number => {
      const state = sql.state.get()!;
      if (through <= state.applied_seq) return 0;
      const tick = clockFrom(state, clock.now);
      let applied = 0;
      for (const change of changes) {
        if (change.seq <= state.applied_seq) continue; // already applied (by another process)
        if (change.op === 'add') {
          const value = Buffer.from(change.value);
          const existing = sql.recordByValue.get(change.signalType, value);
          const { position, modified } = tick.next();
          let recordId: number;
          if (existing === undefined) {
            recordId = Number(sql.insertRecord.run(change.signalType, value, position, modified, modified, position).lastInsertRowid);
          } else {
            recordId = existing.id;
            sql.reactivate.run(position, modified, recordId);
          }
          sql.upsertMember.run(change.ref, recordId);
          applied++;
        } else {
          const member = sql.member.get(change.ref);
          if (member === undefined || member.status !== 'Active') continue; // never exchanged, or already gone
          sql.setMemberStatus.run(change.status, change.ref);
          const { position, modified } = tick.next();
          if (sql.activeMembers.get(member.record_id)!.n > 0) sql.move.run(position, modified, member.record_id);
          else sql.deactivate.run(position, modified, position, modified + clock.tombstoneSeconds, member.record_id);
          applied++;
        }
      }
      sql.saveState.run(through, state.last_position, state.last_modified);
      return applied;
    },
  );

  const readTx = db.transaction((query: ExchangePageQuery): ExchangePage => {
    const state = sql.state.get()!;
    const sessionHigh = query.sessionHigh ?? state.last_position;
    const first = sql.firstPositionFrom.get(query.startTimestamp);
    const rows = first === undefined ? [] : sql.page.all(Math.max(query.afterPosition, first.position - 1), query.limit + 1);
    const scanned = rows.slice(0, query.limit);
    const kept = scanned.filter((row) => mayHaveSeen(row, query, sessionHigh));
    const members = new Map<number, ExchangeMember[]>();
    if (kept.length > 0) {
      for (const m of sql.membersOf.all(JSON.stringify(kept.map((r) => r.id)))) {
        let list = members.get(m.record_id);
        if (!list) members.set(m.record_id, (list = []));
        list.push({ ref: m.ref, status: m.status });
      }
    }
    const last = scanned.at(-1);
    // A startTimestamp past the feed's last time acknowledges no more than everything.
    const acked = Math.min(query.startTimestamp, state.last_modified + 1);
    sql.recordRead.run(query.reader.platformId, last?.position ?? query.afterPosition, acked, query.reader.at);
    return {
      records: kept.map((row) => toRecord(row, members.get(row.id) ?? [])),
      lastPosition: last?.position ?? null,
      lastModified: last?.modified_at ?? null,
      sessionHigh,
      more: rows.length > query.limit,
      readAt: Math.max(Math.floor(query.now()), state.last_modified),
    };
  });

  const touchTx = db.transaction((refs: readonly string[], now: () => number): number => {
    const ids = sql.activeRecordsOfRefs.all(JSON.stringify(refs)).map((r) => r.id);
    if (ids.length === 0) return 0;
    const state = sql.state.get()!;
    const tick = clockFrom(state, now);
    for (const id of ids) {
      const { position, modified } = tick.next();
      sql.move.run(position, modified, id);
    }
    sql.saveState.run(state.applied_seq, state.last_position, state.last_modified);
    return ids.length;
  });

  return {
    async exchangeAppliedSeq() {
      return sql.state.get()!.applied_seq;
    },
    async applyExchangeChanges(changes, through, clock) {
      return applyTx.immediate(changes, through, clock);
    },
    async readExchangePage(query) {
      return readTx.immediate(query);
    },
    async purgeExchangeTombstones(now) {
      const erased = sql.purge.run(Math.floor(now)).changes;
      if (erased > 0) options.onErased?.();
      return erased;
    },
    async exchangeRefsOfValues(signalType, values) {
      const out = new Map<string, string[]>();
      if (values.length === 0) return out;
      const hex = values.map((v) => bytesToHex(v));
      for (const row of sql.activeRefsOfValues.all(signalType, JSON.stringify(hex))) {
        const key = bytesToHex(row.value);
        let list = out.get(key);
        if (!list) out.set(key, (list = []));
        list.push(row.ref);
      }
      return out;
    },
    async touchExchangeRefs(refs, now) {
      return refs.length === 0 ? 0 : touchTx.immediate(refs, now);
    },
  };
}
