/**
 * The exchange projection: what the StopNCII-compatible feed serves. It follows the change
 * log (never the other way round) and keeps one record per exchanged hash value, so that a
 * value registered by two cases is one record naming both, and a withdrawn value can still
 * be named (a tombstone) until the platforms that may have seen it have learnt of it.
 *
 * Times are Unix seconds given by the caller, so the rules are testable without a clock.
 */

export type ExchangeStatus = 'Active' | 'Withdrawn' | 'Deleted';

/** A change-log entry as the projection takes it (other algorithms are left out by the caller). */
export type ExchangeChange =
  | { seq: number; op: 'add'; ref: string; signalType: string; value: Uint8Array }
  | { seq: number; op: 'remove'; ref: string; status: Exclude<ExchangeStatus, 'Active'> };

export interface ExchangeMember {
  /** Opaque hash ref (`h_…`): never a case number. */
  ref: string;
  status: ExchangeStatus;
}

export interface ExchangeRecord {
  signalType: string;
  value: Uint8Array;
  /** Place in the feed; a record moves to the end whenever it changes. */
  position: number;
  /** Unix seconds; never decreases as position grows. */
  modifiedAt: number;
  /** True while at least one member is active. */
  active: boolean;
  members: ExchangeMember[];
}

export interface ExchangePageQuery {
  /** Records modified at or after this time (Unix seconds). */
  startTimestamp: number;
  /** Last position this session has read (0 on its first page). */
  afterPosition: number;
  /** The feed's last position when the session began; undefined on its first page. */
  sessionHigh: number | undefined;
  /** Positions to scan at most (records returned are at most this many). */
  limit: number;
  /** Who reads: their progress decides when tombstones may be erased. */
  reader: { platformId: number; at: string };
  /** Unix seconds, read inside the transaction (so it orders with the writes). */
  now: () => number;
}

export interface ExchangePage {
  /** Records to serve, in feed order (tombstones a reader cannot have needed are left out). */
  records: ExchangeRecord[];
  /** Last position scanned, and its modification time; null when nothing was scanned. */
  lastPosition: number | null;
  lastModified: number | null;
  /** The session's high-water mark (to carry in the page token). */
  sessionHigh: number;
  /** More positions lie beyond the last one scanned. */
  more: boolean;
  /**
   * The time of the read, taken inside the transaction, raised to the feed's last time: every
   * record written after this read has a modification time at or after it.
   */
  readAt: number;
}

export interface ExchangeStore {
  /** Last change-log seq the projection has applied (0 at first). */
  exchangeAppliedSeq(): Promise<number>;
  /**
   * Applies changes with seq above the applied one, in order, and records `through` (the last
   * seq read from the log, exchanged or not) as applied; all in one transaction. A record with
   * no active member left becomes a tombstone until `now + tombstoneSeconds`. `now` (Unix
   * seconds) is read inside the transaction.
   */
  applyExchangeChanges(
    changes: readonly ExchangeChange[],
    through: number,
    clock: { now: () => number; tombstoneSeconds: number },
  ): Promise<number>;
  /** A page of the feed; records what the reader was served and acknowledged, in the same transaction. */
  readExchangePage(query: ExchangePageQuery): Promise<ExchangePage>;
  /**
   * Erases tombstones whose window has ended, or that every platform which may have seen the
   * value active has acknowledged (came back with a later startTimestamp). Returns how many.
   */
  purgeExchangeTombstones(now: number): Promise<number>;
  /** Active refs of each value (hex), for feedback given by value. */
  exchangeRefsOfValues(signalType: string, values: readonly Uint8Array[]): Promise<Map<string, string[]>>;
  /** Moves the active records holding these refs to the end of the feed (their feedback changed). */
  touchExchangeRefs(refs: readonly string[], now: () => number): Promise<number>;
}
