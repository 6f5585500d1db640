/**
 * The durable truth, as narrow interfaces the rest of the engine depends on.
 * SQLite (sqlite.ts) is the embedded default; another store implements the same.
 * Stores never see image bytes: only hashes, case metadata and credentials' hashes.
 */

export interface NewHash {
  algorithm: string;
  /** 32 bytes. */
  bytes: Uint8Array;
  /** 0..100 for algorithms with a quality score. */
  quality?: number | null;
}

export interface StoredHash {
  /** Internal numeric id: the index key. Never shown to platforms. */
  id: number;
  /** Opaque public id shown to platforms in matches and sync ("h_..."). */
  ref: string;
  caseId: number;
  algorithm: string;
  bytes: Uint8Array;
  quality: number | null;
  createdAt: string;
}

export type CaseStatus = 'active' | 'withdrawn';

export interface CaseRecord {
  id: number;
  /** Human-facing case number, e.g. "RMP-7K2Q-9XDA". */
  number: string;
  status: CaseStatus;
  createdAt: string;
  withdrawnAt: string | null;
  /** Hashes currently registered (0 once withdrawn). */
  hashCount: number;
  /** Times a platform query matched one of the case's hashes. */
  matchCount: number;
}

export interface CaseWithSecret extends CaseRecord {
  /** Slow salted hash of the case secret (see src/service/credentials.ts). */
  secretHash: string;
}

/**
 * A page of hashes for loading the index: parallel arrays, values packed back to back
 * (row i is bytes.subarray(32 * i, 32 * i + 32)). Far cheaper than one object per row.
 */
export interface HashBatch {
  ids: number[];
  algorithms: string[];
  bytes: Uint8Array;
}

/** One entry of the monotonic change log platforms sync from. */
export type Change =
  | { seq: number; op: 'add'; ref: string; algorithm: string; bytes: Uint8Array; quality: number | null; at: string }
  | { seq: number; op: 'remove'; ref: string; algorithm: string; at: string };

export interface PlatformRecord {
  id: number;
  name: string;
  /** Public half of the API key, used to find the row. */
  keyId: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface PlatformWithKey extends PlatformRecord {
  /** Peppered hash of the secret half of the key. */
  keyHash: string;
}

export type ActorKind = 'victim' | 'platform' | 'operator' | 'system';

export interface Actor {
  kind: ActorKind;
  /** Case number, platform name, or operator label; never image content. */
  id: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: Actor;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
}

export interface CaseStore {
  /** Creates a case and its hashes in one transaction, logging an 'add' change per hash. */
  createCase(input: { number: string; secretHash: string; hashes: NewHash[] }, actor: Actor): {
    case: CaseRecord;
    hashes: StoredHash[];
  };
  /** Adds hashes to an active case in one transaction. */
  addHashes(caseId: number, hashes: NewHash[], actor: Actor): StoredHash[];
  getCaseByNumber(number: string): CaseWithSecret | undefined;
  /**
   * Withdraws a case in one transaction: deletes its hashes, erases their earlier 'add'
   * entries from the change log, appends a 'remove' entry per hash, marks the case
   * withdrawn. Returns the removed hashes' ids (to drop from the index); [] if the case
   * was already withdrawn. Hash ids and seqs are never reused.
   */
  withdrawCase(caseId: number, actor: Actor): number[];
  /**
   * Increments match counters of the cases owning these hash ids: one per occurrence
   * (pass an id twice, count two); ids no longer stored are ignored.
   */
  recordMatches(hashIds: readonly number[], actor: Actor): void;
  /**
   * Resolves true once the values of every withdrawn case have left the store's files,
   * not only its tables; false if that is still pending after `timeoutMs` (another
   * connection reads an older snapshot), while erasure goes on in the background.
   */
  erasureSettled(timeoutMs: number): Promise<boolean>;
  erasureStatus(): ErasureStatus;
}

export interface ErasureStatus {
  /** Withdrawn values may still be in the store's files (e.g. SQLite's WAL). */
  pending: boolean;
  /** When the oldest unfinished erasure was asked for (ISO time), null if none. */
  pendingSince: string | null;
  /** Attempts since then. */
  attempts: number;
  /** The last error an attempt threw, if any (being busy is not an error). */
  lastError: string | null;
}

/** 'stalled': an erasure is still pending after a while; 'done': a stalled one completed. */
export interface ErasureEvent {
  kind: 'stalled' | 'done';
  status: ErasureStatus;
  /** How long the erasure has been (or was) pending. */
  pendingMs: number;
}

export interface HashStore {
  /** Every active hash, in id order, for loading the index at start-up and for export. */
  iterateHashes(): IterableIterator<StoredHash>;
  /**
   * The same hashes (those with id > afterId), in id order, as batches of at most
   * `batchSize`: for loading the index fast. Each batch is read when the previous one has
   * been consumed, so a consumer that yields between batches never holds stale rows.
   */
  iterateHashBatches(batchSize?: number, afterId?: number): IterableIterator<HashBatch>;
  countHashes(): number;
  /** Public refs of the given internal ids (missing ids are absent from the map). */
  refsOf(ids: readonly number[]): Map<number, string>;
  /** Change log entries with seq > after, oldest first, at most `limit`. */
  changesAfter(after: number, limit: number): Change[];
  /** Highest seq so far (0 when empty). */
  lastSeq(): number;
}

export interface PlatformStore {
  addPlatform(input: { name: string; keyId: string; keyHash: string }, actor: Actor): PlatformRecord;
  getPlatformByKeyId(keyId: string): PlatformWithKey | undefined;
  listPlatforms(): PlatformRecord[];
  /** Marks a platform's key revoked; returns false if no active platform has that name. */
  revokePlatform(name: string, actor: Actor): boolean;
}

export interface AuditStore {
  audit(actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null): void;
  listAudit(options?: { limit?: number; afterId?: number }): AuditEntry[];
}

/** Service-wide key/value settings (e.g. the pepper's fingerprint, schema info). */
export interface SettingsStore {
  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string): void;
}

export interface Store extends CaseStore, HashStore, PlatformStore, AuditStore, SettingsStore {
  close(): void;
}
