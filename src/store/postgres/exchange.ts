/**
 * PostgreSQL side of the exchange projection (see ../exchange.ts for the rules, and
 * ../sqlite/exchange.ts for the same in SQLite). Every method is one transaction; the
 * projection's state row is locked first (FOR UPDATE), so positions and times are handed
 * out in commit order even with several replicas applying or reading at once.
 */
import type pg from 'pg';
import { bytesToHex } from '../../hashing/index.js';
import type { ExchangeMember, ExchangeStatus, ExchangeStore } from '../exchange.js';
import { type MemberRow, type RecordRow, type StateRow, clockFrom, mayHaveSeen, toRecord } from '../exchange-rows.js';
import { type Queryable, inTransaction, queries } from './connection.js';

const RECORD_COLUMNS = 'id, signal_type, value, position, modified_at, exposed_at, exposed_position, inactive_position';

export interface PostgresExchangeOptions {
  /** Called after tombstones were deleted (VACUUM then removes the dead rows). */
  onErased?: () => void;
}

export function postgresExchangeRole(pool: pg.Pool, options: PostgresExchangeOptions = {}): ExchangeStore {
  const db = queries(pool);
  /** The state row, locked until the transaction ends. */
  async function lockState(client: Queryable): Promise<StateRow> {
    const { rows } = await client.query<StateRow>('SELECT applied_seq, last_position, last_modified FROM exchange_state WHERE id = 1 FOR UPDATE');
    return rows[0]!;
  }

  async function saveState(client: Queryable, state: StateRow): Promise<void> {
    await client.query('UPDATE exchange_state SET applied_seq = $1, last_position = $2, last_modified = $3 WHERE id = 1', [
      state.applied_seq,
      state.last_position,
      state.last_modified,
    ]);
  }

  /** Hands out positions and times in commit order (the state row is locked). */
  return {
    async exchangeAppliedSeq() {
      const { rows } = await db.query<StateRow>('SELECT applied_seq FROM exchange_state WHERE id = 1');
      return rows[0]!.applied_seq;
    },

    async applyExchangeChanges(changes, through, clock) {
      return inTransaction(pool, async (client) => {
        const state = await lockState(client);
        if (through <= state.applied_seq) return 0;
        const tick = clockFrom(state, clock.now);
        let applied = 0;
        for (const change of changes) {
          if (change.seq <= state.applied_seq) continue; // already applied (by another replica)
          if (change.op === 'add') {
            const value = Buffer.from(change.value);
            const { rows } = await client.query<{ id: number }>(
              'SELECT id FROM exchange_records WHERE signal_type = $1 AND value = $2',
              [change.signalType, value],
            );
            const { position, modified } = tick.next();
            let recordId: number;
            if (rows.length === 0) {
              const inserted = await client.query<{ id: number }>(
                `INSERT INTO exchange_records (signal_type, value, position, modified_at, exposed_at, exposed_position)
                 VALUES ($1, $2, $3, $4, $4, $3) RETURNING id`,
                [change.signalType, value, position, modified],
              );
              recordId = inserted.rows[0]!.id;
            } else {
              recordId = rows[0]!.id;
              await client.query(
                'UPDATE exchange_records SET position = $1, modified_at = $2, inactive_position = NULL, erase_after = NULL WHERE id = $3',
                [position, modified, recordId],
              );
            }
            await client.query(
              `INSERT INTO exchange_members (ref, record_id, status) VALUES ($1, $2, 'Active')
               ON CONFLICT (ref) DO UPDATE SET record_id = excluded.record_id, status = 'Active'`,
              [change.ref, recordId],
            );
            applied++;
          } else {
            const { rows } = await client.query<{ record_id: number; status: ExchangeStatus }>(
              'SELECT record_id, status FROM exchange_members WHERE ref = $1',
              [change.ref],
            );
            const member = rows[0];
            if (member === undefined || member.status !== 'Active') continue; // never exchanged, or already gone
            await client.query('UPDATE exchange_members SET status = $1 WHERE ref = $2', [change.status, change.ref]);
            const { position, modified } = tick.next();
            const active = await client.query<{ n: number }>(
              `SELECT count(*) AS n FROM exchange_members WHERE record_id = $1 AND status = 'Active'`,
              [member.record_id],
            );
            if (active.rows[0]!.n > 0) {
              await client.query('UPDATE exchange_records SET position = $1, modified_at = $2 WHERE id = $3', [position, modified, member.record_id]);
            } else {
              await client.query(
                'UPDATE exchange_records SET position = $1, modified_at = $2, inactive_position = $1, erase_after = $3 WHERE id = $4',
                [position, modified, modified + clock.tombstoneSeconds, member.record_id],
              );
            }
            applied++;
          }
        }
        state.applied_seq = through;
        await saveState(client, state);
        return applied;
      });
    },

    async readExchangePage(query) {
      return inTransaction(pool, async (client) => {
        const state = await lockState(client);
        const sessionHigh = query.sessionHigh ?? state.last_position;
        // modified_at never decreases with position: the first record at or after a time is
        // the first position worth scanning.
        const first = await client.query<{ position: number }>(
          'SELECT position FROM exchange_records WHERE modified_at >= $1 ORDER BY modified_at, position LIMIT 1',
          [query.startTimestamp],
        );
        const from = first.rows[0];
        const rows =
          from === undefined
            ? []
            : (
                await client.query<RecordRow>(
                  `SELECT ${RECORD_COLUMNS} FROM exchange_records WHERE position > $1 ORDER BY position LIMIT $2`,
                  [Math.max(query.afterPosition, from.position - 1), query.limit + 1],
                )
              ).rows;
        const scanned = rows.slice(0, query.limit);
        const kept = scanned.filter((row) => mayHaveSeen(row, query, sessionHigh));
        const members = new Map<number, ExchangeMember[]>();
        if (kept.length > 0) {
          const { rows: memberRows } = await client.query<MemberRow>(
            `SELECT record_id, ref, status FROM exchange_members WHERE record_id = ANY($1::bigint[]) ORDER BY record_id, ref`,
            [kept.map((r) => r.id)],
          );
          for (const m of memberRows) {
            let list = members.get(m.record_id);
            if (!list) members.set(m.record_id, (list = []));
            list.push({ ref: m.ref, status: m.status });
          }
        }
        const last = scanned.at(-1);
        // A startTimestamp past the feed's last time acknowledges no more than everything.
        const acked = Math.min(query.startTimestamp, state.last_modified + 1);
        await client.query(
          `INSERT INTO exchange_readers (platform_id, served_position, acked_time, last_read_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (platform_id) DO UPDATE SET
             served_position = greatest(exchange_readers.served_position, excluded.served_position),
             acked_time = greatest(exchange_readers.acked_time, excluded.acked_time),
             last_read_at = excluded.last_read_at`,
          [query.reader.platformId, last?.position ?? query.afterPosition, acked, query.reader.at],
        );
        return {
          records: kept.map((row) => toRecord(row, members.get(row.id) ?? [])),
          lastPosition: last?.position ?? null,
          lastModified: last?.modified_at ?? null,
          sessionHigh,
          more: rows.length > query.limit,
          readAt: Math.max(Math.floor(query.now()), state.last_modified),
        };
      });
    },

    async purgeExchangeTombstones(now) {
      // A tombstone may go when its window is over, or when no active platform is left that
      // was served a position at or after the value's first exposure without having come
      // back since with a startTimestamp past the tombstone.
      const result = await db.query(
        `DELETE FROM exchange_records
          WHERE erase_after IS NOT NULL
            AND (erase_after <= $1
                 OR NOT EXISTS (SELECT 1 FROM exchange_readers r JOIN platforms p ON p.id = r.platform_id
                                 WHERE p.revoked_at IS NULL
                                   AND r.served_position >= exchange_records.exposed_position
                                   AND r.acked_time <= exchange_records.modified_at))`,
        [Math.floor(now)],
      );
      const erased = result.rowCount ?? 0;
      if (erased > 0) options.onErased?.();
      return erased;
    },

    async exchangeRefsOfValues(signalType, values) {
      const out = new Map<string, string[]>();
      if (values.length === 0) return out;
      const { rows } = await db.query<{ value: Buffer; ref: string }>(
        `SELECT r.value, m.ref FROM exchange_records r JOIN exchange_members m ON m.record_id = r.id
          WHERE r.signal_type = $1 AND m.status = 'Active' AND r.value = ANY($2::bytea[])
          ORDER BY r.id, m.ref`,
        [signalType, values.map((v) => Buffer.from(v))],
      );
      for (const row of rows) {
        const key = bytesToHex(row.value);
        let list = out.get(key);
        if (!list) out.set(key, (list = []));
        list.push(row.ref);
      }
      return out;
    },

    async touchExchangeRefs(refs, now) {
      if (refs.length === 0) return 0;
      return inTransaction(pool, async (client) => {
        const state = await lockState(client);
        const { rows } = await client.query<{ id: number }>(
          `SELECT DISTINCT r.id FROM exchange_members m JOIN exchange_records r ON r.id = m.record_id
            WHERE m.ref = ANY($1::text[]) AND r.inactive_position IS NULL ORDER BY r.id`,
          [refs],
        );
        if (rows.length === 0) return 0;
        const tick = clockFrom(state, now);
        for (const { id } of rows) {
          const { position, modified } = tick.next();
          await client.query('UPDATE exchange_records SET position = $1, modified_at = $2 WHERE id = $3', [position, modified, id]);
        }
        await saveState(client, state);
        return rows.length;
      });
    },
  };
}
