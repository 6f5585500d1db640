/**
 * Rows of the exchange projection's tables as both backends return them (same column types
 * on both), and the rules both apply to them: the clock that hands out positions and
 * modification times, and which tombstones a reader may receive.
 */
import type { ExchangeMember, ExchangePageQuery, ExchangeRecord, ExchangeStatus } from './exchange.js';

export interface StateRow {
  applied_seq: number;
  last_position: number;
  last_modified: number;
}
export interface RecordRow {
  id: number;
  signal_type: string;
  value: Uint8Array;
  position: number;
  modified_at: number;
  exposed_at: number;
  exposed_position: number;
  inactive_position: number | null;
}
export interface MemberRow {
  record_id: number;
  ref: string;
  status: ExchangeStatus;
}

/** Hands out the next positions and modification times from the state row (updated in place). */
export function clockFrom(state: StateRow, nowSeconds: () => number) {
  const now = nowSeconds();
  return {
    next(): { position: number; modified: number } {
      state.last_position += 1;
      state.last_modified = Math.max(state.last_modified, Math.floor(now));
      return { position: state.last_position, modified: state.last_modified };
    },
  };
}

/**
 * Whether serving this record can matter to the reader: always for an active record; for a
 * tombstone, only if the reader may have seen the value active, either in an earlier session
 * (first exposed no later than its checkpoint) or earlier in this one (exposed at a position it
 * has passed, and withdrawn after the session began). A new reader never receives withdrawn values.
 */
export function mayHaveSeen(row: RecordRow, query: ExchangePageQuery, sessionHigh: number): boolean {
  if (row.inactive_position === null) return true;
  if (row.exposed_at <= query.startTimestamp) return true;
  return row.inactive_position > sessionHigh && row.exposed_position <= query.afterPosition;
}

export function toRecord(row: RecordRow, members: ExchangeMember[]): ExchangeRecord {
  return {
    signalType: row.signal_type,
    value: new Uint8Array(row.value),
    position: row.position,
    modifiedAt: row.modified_at,
    active: row.inactive_position === null,
    members,
  };
}
