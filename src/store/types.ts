/**
 * The durable truth, as narrow asynchronous roles the rest of the engine depends on (as
 * python-threatexchange's storage/interfaces.py splits its storage). A service takes only
 * the roles it uses; `Store` combines them. Backends: SQLite (sqlite/, the embedded
 * default) and PostgreSQL (postgres/, for several replicas), held to one contract suite.
 *
 * Rules every backend keeps:
 * - every method returns a Promise; long reads are AsyncIterables of pages;
 * - a write's Promise resolves only once it is durable (it survives a crash of the
 *   process and of the database server);
 * - ids (hashes, cases, change-log seqs) are never reused, so a stale id can never name
 *   another victim's data;
 * - stores never see image bytes: only hashes, case metadata and credentials' hashes.
 */
import type { ExchangeStore } from './exchange.js';
import type { FeedbackStore } from './feedback.js';
import type { PlatformSettingsStore } from './platform-settings.js';
import type { AllowListStore, ReviewStore } from './review.js';
import type { FollowStore } from './follow.js';
import type { BurstStore, RememberedSubmission } from './burst.js';
import type { PackedPage } from './packed-pages.js';
import type { OperatorStore, PlatformDirectoryStore, ReportStore, TemplateStore } from './takedown.js';
import type { WebhookStore } from './webhooks.js';

export type { PackedGroup, PackedPage } from './packed-pages.js';

export interface NewHash {
  algorithm: string;
  /** 32 bytes. */
  bytes: Uint8Array;
  /** 0..100 for algorithms with a quality score. */
  quality?: number | null;
  /**
   * What the hash was computed from, a short tag (HASH_ROLE_PATTERN): 'full' (the default),
   * 'trimmed', 'region', 'tilt', 'frame', …
   */
  role?: string;
  /** Small JSON object about it (a region box in relative coordinates, a frame time), ≤ 1 kB. */
  detail?: Record<string, unknown> | null;
}

export type ItemKind = 'image' | 'video';

/** An image or video a victim registers: the set of hashes computed from it. */
export interface NewItem {
  kind: ItemKind;
  /** At least one. */
  hashes: NewHash[];
}

export interface StoredHash {
  /** Internal numeric id: the index key. Never shown to platforms. */
  id: number;
  /** Opaque public id of the hash ("h_..."). */
  ref: string;
  caseId: number;
  /** Internal id of the item the hash belongs to. Never shown to platforms. */
  itemId: number;
  /** Opaque public id of the item ("i_..."): what platforms are told matched. */
  itemRef: string;
  role: string;
  detail: Record<string, unknown> | null;
  algorithm: string;
  bytes: Uint8Array;
  quality: number | null;
  createdAt: string;
}

export interface StoredItem {
  /** Internal id, never reused. Never shown to platforms. */
  id: number;
  /** Opaque public id ("i_" + 22 base64url characters). */
  ref: string;
  caseId: number;
  kind: ItemKind;
  createdAt: string;
  hashes: StoredHash[];
}

/** What matching needs to know of a stored hash, beyond the index's id and distance. */
export interface HashFacts {
  id: number;
  ref: string;
  itemId: number;
  itemRef: string;
  role: string;
  detail: Record<string, unknown> | null;
  algorithm: string;
  /** Followed hashes only: the bank it comes from (follower mode). */
  source?: string;
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
 * One entry of the monotonic change log that platforms and replicas follow. `hashId` is
 * internal (the index key: a follower applies the entry from it alone) and never served;
 * `ref`, `itemRef` and `role` are public. An 'add' of a withdrawn hash is erased from the
 * log by the withdrawal, which appends a 'remove' per hash instead.
 */
export type Change =
  | {
      seq: number;
      op: 'add';
      hashId: number;
      ref: string;
      itemRef: string;
      role: string;
      detail: Record<string, unknown> | null;
      algorithm: string;
      bytes: Uint8Array;
      quality: number | null;
      at: string;
    }
  | {
      seq: number;
      op: 'remove';
      /** null only for removals logged before the items model (schema version 2). */
      hashId: number | null;
      ref: string;
      itemRef: string;
      role: string;
      algorithm: string;
      at: string;
      /** Why, when it was not the victim's withdrawal: `{"removedBy": "operator"}` (quarantine). */
      removedBy?: 'operator';
    };

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

/** A case to create: its number, its secret's hash, its live items. */
export interface NewCase {
  number: string;
  secretHash: string;
  items: NewItem[];
  /** A victim's submission to remember for burst counting, written in the same commit as the case. */
  submission?: RememberedSubmission;
}

export interface CaseStore {
  /**
   * Creates a case and its items with their hashes in one transaction, logging an 'add'
   * change per hash (and remembering the submission, if any). An item needs at least one hash.
   */
  createCase(input: NewCase, actor: Actor): Promise<{
    case: CaseRecord;
    items: StoredItem[];
  }>;
  /** Adds items to an active case in one transaction. */
  addItems(caseId: number, items: NewItem[], actor: Actor): Promise<StoredItem[]>;
  getCaseByNumber(number: string): Promise<CaseWithSecret | undefined>;
  /**
   * Withdraws a case in one transaction: deletes its items and hashes, erases their
   * earlier 'add' entries from the change log, appends a 'remove' entry per hash, marks
   * the case withdrawn. Resolves to the removed hashes' ids (to drop from the index); [] if the
   * case was already withdrawn. Withdrawn values are then erased from the backend's
   * files as far as it can (see docs/storage.md).
   */
  withdrawCase(caseId: number, actor: Actor): Promise<number[]>;
  /**
   * An operator's removal of some live items (quarantine of disputed hashes): in one
   * transaction, their hashes leave the store, their earlier 'add' entries are erased from
   * the change log and a 'remove' entry is appended per hash, as a withdrawal does for a
   * whole case; the case stays active. Resolves to the removed hash ids.
   */
  removeItems(itemIds: readonly number[], actor: Actor): Promise<number[]>;
  /**
   * Increments match counters of the cases owning these hash ids: one per occurrence
   * (pass an id twice, count two); ids no longer stored are ignored.
   */
  recordMatches(hashIds: readonly number[], actor: Actor): Promise<void>;
  /**
   * Resolves true once the values of every withdrawn case have left the store's files,
   * not only its tables; false if that is still pending after `timeoutMs` (e.g. another
   * connection reads an older snapshot), while erasure goes on in the background.
   */
  erasureSettled(timeoutMs: number): Promise<boolean>;
  erasureStatus(): Promise<ErasureStatus>;
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

export interface IndexPageOptions {
  /** Only hashes with a greater id (default 0: all). */
  afterId?: number;
  /** Rows per page (default 10,000). */
  pageSize?: number;
  /**
   * Pages the store may read ahead of the consumer (default 0: each page is read when
   * asked). A long read (the start-up load) sets a few: SQLite then reads and packs pages
   * on a worker thread, PostgreSQL has the next page's query in flight.
   */
  readAhead?: number;
}

export interface HashStore {
  /** Every active hash with id > afterId, in id order, one object each (export, copy). */
  hashes(options?: { afterId?: number }): AsyncIterable<StoredHash>;
  /**
   * The same hashes, in id order, packed in the index's bulk format (see packed-pages.ts):
   * how the index loads. Pages are read lazily, so a consumer that waits between pages
   * never holds a long read open.
   */
  indexPages(options?: IndexPageOptions): AsyncIterable<PackedPage>;
  countHashes(): Promise<number>;
  /** Public refs of the given internal ids, in one query (missing ids are absent from the map). */
  refsOf(ids: readonly number[]): Promise<Map<number, string>>;
  /**
   * What matching reports of the given hash ids (item, role, detail), in one query: the
   * hot path calls it once per request that matched. Ids withdrawn meanwhile, on this
   * process or another, are absent, so a withdrawal stops matches everywhere at once.
   */
  hashFacts(ids: readonly number[]): Promise<Map<number, HashFacts>>;
  /**
   * Of the given hash ids, those registered together with a hash of `algorithm`: the case
   * they belong to holds one (one query). Image matching under a profile asks it of the
   * rare blockhash pairs that pass its gates: a picture registered with a PDQ hash is
   * decided by the profile's PDQ rules alone. By case, not by item: a flat registration
   * (`hashes`) makes one item per hash, so a picture's PDQ and blockhash are two items of
   * one case; a client that registers blockhash alone sends no PDQ hash at all.
   */
  registeredWith(ids: readonly number[], algorithm: string): Promise<Set<number>>;
}

export interface ChangeLogStore {
  /**
   * Change-log entries with seq > after, oldest first, at most `limit`. Seqs become
   * visible in order: once an entry is visible, every lower seq is visible or erased, so
   * a reader that keeps the last seq it saw as its cursor never misses one.
   */
  changesAfter(after: number, limit: number): Promise<Change[]>;
  /** Highest seq ever assigned (0 when none), even if that entry was erased since. */
  lastSeq(): Promise<number>;
  /**
   * Calls `listener` when the log may have grown (this process's writes at once;
   * PostgreSQL: any replica's, by LISTEN/NOTIFY). A hint only: it may come late, twice or
   * never (a dropped connection), so readers still poll now and then. Returns the
   * function that stops it.
   */
  watchChanges(listener: () => void): () => void;
}

export interface PlatformStore {
  addPlatform(input: { name: string; keyId: string; keyHash: string }, actor: Actor): Promise<PlatformRecord>;
  getPlatformByKeyId(keyId: string): Promise<PlatformWithKey | undefined>;
  listPlatforms(): Promise<PlatformRecord[]>;
  /** Marks a platform's key revoked; false if no active platform has that name. */
  revokePlatform(name: string, actor: Actor): Promise<boolean>;
  /**
   * Gives the active platform of that name a new key (the old one stops working at
   * once), audited as platform.rotate; undefined if no active platform has that name.
   */
  rotatePlatformKey(name: string, key: { keyId: string; keyHash: string }, actor: Actor): Promise<PlatformRecord | undefined>;
}

export interface AuditStore {
  audit(actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null): Promise<void>;
  listAudit(options?: { limit?: number; afterId?: number }): Promise<AuditEntry[]>;
}

/** Service-wide key/value settings (e.g. the pepper's fingerprint). */
export interface SettingsStore {
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
}

/**
 * Request counts behind the public endpoints' rate limits. PostgreSQL shares them between
 * every replica (a client spreading its requests over replicas gets the same limit);
 * SQLite keeps them in the process (one process serves).
 */
export interface RateLimitStore {
  /**
   * Counts one request under `key` in its fixed window of `windowMs`, which starts with the
   * key's first request; resolves to the count so far in the window and the milliseconds
   * left in it. Keys are opaque (the API passes pseudonyms, never addresses).
   */
  countRequest(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
}

/** What operators run by hand (`rempart migrate`, `rempart vacuum`). */
export interface MaintenanceStore {
  /** The schema version the database is at (the store migrated it when it opened). */
  schemaVersion(): Promise<number>;
  /**
   * Rewrites the files that may still hold withdrawn values in freed space. SQLite: VACUUM
   * (a new file) and a truncating WAL checkpoint. PostgreSQL: VACUUM of the tables that
   * hold values, or with `full`, VACUUM FULL (rewrites each table under an exclusive lock:
   * a maintenance window).
   */
  vacuum(options?: { full?: boolean }): Promise<void>;
}

export type StoreBackend = 'sqlite' | 'postgres';

/** Webhooks and the takedown process (reports, notices, platform directory, templates, operators). */
export interface TakedownStores extends WebhookStore, ReportStore, PlatformDirectoryStore, TemplateStore, OperatorStore {}

export interface Store
  extends CaseStore,
    HashStore,
    ChangeLogStore,
    PlatformStore,
    AuditStore,
    SettingsStore,
    ExchangeStore,
    FeedbackStore,
    RateLimitStore,
    TakedownStores,
    PlatformSettingsStore,
    AllowListStore,
    ReviewStore,
    FollowStore,
    BurstStore,
    MaintenanceStore {
  readonly backend: StoreBackend;
  /** Where the data lives, safe to log (a file path, or a URL without its password). */
  readonly location: string;
  /** Waits for work in flight, then releases connections and threads; idempotent. */
  close(): Promise<void>;
}
