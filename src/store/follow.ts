import { type ColumnTypes, type Columns, jsonOrNull } from './columns.js';
import type { FeedbackValue, NewFeedback } from './feedback.js';
/**
 * A follower's copy of other Rempart banks (`serve --follow`): per source, the cursor in its
 * change feed and the hashes it holds now, so that a restart resumes where it stopped and
 * serves matches at once. Removals delete the row (the value leaves the follower as it
 * left the source).
 */
export interface FollowedHash {
  /** Local id: the follower's index key (its own id space, never the source's). */
  id: number;
  sourceId: number;
  /** The source's public refs. */
  ref: string;
  itemRef: string;
  role: string;
  /** What the source said of it: a region's `box`, a video frame's time `t`. */
  detail: Record<string, unknown> | null;
  algorithm: string;
  bytes: Uint8Array;
  quality: number | null;
}

/** A row of `followed_hashes` as a backend returns it (its `detail` is the backend's JSON column). */
export interface FollowedHashRow<C extends ColumnTypes> {
  id: number;
  source_id: number;
  ref: string;
  item_ref: string;
  role: string;
  algorithm: string;
  value: Uint8Array;
  quality: number | null;
  detail: C['json'] | null;
}

/** The row mapper for a backend, fed its column normaliser. */
export const followedHashFromRow = <C extends ColumnTypes>(columns: Columns<C>) => (r: FollowedHashRow<C>): FollowedHash => ({
  id: r.id,
  sourceId: r.source_id,
  ref: r.ref,
  itemRef: r.item_ref,
  role: r.role,
  detail: jsonOrNull<C, Record<string, unknown>>(columns, r.detail),
  algorithm: r.algorithm,
  bytes: new Uint8Array(r.value),
  quality: r.quality,
});

/** A change read from a source's feed: an add carries the hash as it will be held, less the local ids. */
export type FollowedChange = ({ op: 'add' } & Omit<FollowedHash, 'id' | 'sourceId'>) | { op: 'remove'; ref: string };

export interface FollowedFacts {
  ref: string;
  itemRef: string;
  role: string;
  detail: Record<string, unknown> | null;
  algorithm: string;
  /** The source's base URL: matches say which bank they come from. */
  source: string;
}

/** A platform's report on a followed hash, waiting to be sent to the bank it comes from. */
export interface QueuedFeedback {
  id: number;
  ref: string;
  value: FeedbackValue;
  tags: string[];
}

export interface FollowStore {
  /** The source of that base URL, created at cursor 0 the first time. */
  followSource(url: string): Promise<{ id: number; cursor: number }>;
  /**
   * Applies a page of the source's feed and moves its cursor, in one transaction (a crash
   * replays the page; adds of a ref already held and removals of one already removed are
   * no-ops). Returns what an index that followed the page must hold, whoever wrote it first:
   * `added`, the rows held now for the page's adds; `removed`, the local ids of its removals
   * (removed now or before: several processes on one store each apply every page to their own
   * index, and the first one to write a page must not hide it from the others).
   */
  applyFollowed(sourceId: number, changes: readonly FollowedChange[], cursor: number): Promise<{ added: FollowedHash[]; removed: number[] }>;
  /** Held hashes with local id > afterId, in id order (start-up load). */
  followedPage(afterId: number, limit: number): Promise<FollowedHash[]>;
  /** What matching reports of local ids (absent: removed meanwhile). */
  followedFacts(ids: readonly number[]): Promise<Map<number, FollowedFacts>>;
  /**
   * Of the given followed hash ids, those whose item (in the same bank) also holds a hash of
   * `algorithm`: HashStore.registeredWith as far as a follower can tell (a bank's feed names
   * items, never cases).
   */
  followedItemsHolding(ids: readonly number[], algorithm: string): Promise<Set<number>>;
  /**
   * Queues platforms' reports on followed hashes (or items) for their banks, durably: each
   * ref is looked up among the hashes held (by hash or item ref) and queued for its source;
   * refs held from no source are `unknown`.
   */
  queueFollowedFeedback(entries: readonly NewFeedback[]): Promise<{ queued: string[]; unknown: string[] }>;
  /** The oldest reports waiting for one source, in queue order. */
  queuedFeedback(sourceId: number, limit: number): Promise<QueuedFeedback[]>;
  /** Reports the source has acknowledged. */
  dropQueuedFeedback(ids: readonly number[]): Promise<void>;
}
