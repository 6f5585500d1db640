import { wireValue } from '../hashing/video/digest.js';
import { RempartError } from '../errors.js';
import type { ChangeLogStore } from '../store/types.js';

/**
 * `item` is the opaque id of the registered image or video the hash belongs to (several
 * hashes per item: report one match per item); `role` says what it was computed from: 'full'
 * for an image's whole picture; 'trimmed', 'window', 'region' for a matching profile's derived
 * hashes, with their box in `detail.box` (and `detail.angle`, degrees, for a box turned along the
 * content's own orientation: upright windows and regions; docs/matching.md); 'frame' for a video frame with its
 * time in `detail.t` ('window' with `detail.t` and `detail.box`: that frame's centred window),
 * 'file' for a video's MD5; a video's MD5 (`video-md5`) is 32 hex.
 */
export type WireChange =
  | {
      seq: number;
      op: 'add';
      id: string;
      item: string;
      role: string;
      detail: Record<string, unknown> | null;
      algorithm: string;
      value: string;
      quality: number | null;
      at: string;
    }
  | { seq: number; op: 'remove'; id: string; item: string; role: string; algorithm: string; at: string };

export const MAX_SYNC_PAGE = 10_000;
/** Longest a reader may ask `/v1/sync` to wait for a change (long-poll). */
export const MAX_SYNC_WAIT_SECONDS = 60;

/**
 * Platforms keep a copy of the hash list by reading the change log from their last
 * cursor. Adds of withdrawn hashes are erased from the log, so a platform starting at 0
 * receives only live hashes (and removals, which name opaque ids only).
 */
export async function readChanges(store: Pick<ChangeLogStore, 'changesAfter'>, after: number, limit: number) {
  if (!Number.isSafeInteger(after) || after < 0) throw new RempartError('BAD_REQUEST', 'after must be a non-negative integer');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SYNC_PAGE) {
    throw new RempartError('BAD_REQUEST', `limit must be an integer from 1 to ${MAX_SYNC_PAGE}`);
  }
  const rows = await store.changesAfter(after, limit + 1);
  const page = rows.slice(0, limit);
  const changes: WireChange[] = page.map((c) =>
    c.op === 'add'
      ? {
          seq: c.seq,
          op: 'add',
          id: c.ref,
          item: c.itemRef,
          role: c.role,
          detail: c.detail,
          algorithm: c.algorithm,
          value: wireValue(c.algorithm, c.bytes),
          quality: c.quality,
          at: c.at,
        }
      : { seq: c.seq, op: 'remove', id: c.ref, item: c.itemRef, role: c.role, algorithm: c.algorithm, at: c.at },
  );
  const cursor = page.length > 0 ? page[page.length - 1]!.seq : after;
  return { changes, cursor, more: rows.length > limit };
}

/** The change feed as the API serves it (routes talk to this, not to the store). */
export class SyncService {
  constructor(private readonly store: Pick<ChangeLogStore, 'changesAfter' | 'watchChanges'>) {}

  /**
   * A page after `after`; with `waitSeconds`, an empty answer waits (long-poll) until the
   * log grows or the time is up, so a follower learns of a change within moments without
   * polling hard. The watch starts before the first read, so a change landing in between
   * wakes it too.
   */
  async read(after: number, limit: number, waitSeconds = 0, signal?: AbortSignal) {
    if (!Number.isSafeInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > MAX_SYNC_WAIT_SECONDS) {
      throw new RempartError('BAD_REQUEST', `wait must be an integer from 0 to ${MAX_SYNC_WAIT_SECONDS} (seconds)`);
    }
    if (waitSeconds === 0) return readChanges(this.store, after, limit);
    let wake: () => void = () => {};
    let hinted = false;
    const unwatch = this.store.watchChanges(() => {
      hinted = true;
      wake();
    });
    try {
      const page = await readChanges(this.store, after, limit);
      if (page.changes.length > 0 || signal?.aborted) return page;
      if (!hinted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitSeconds * 1000);
          const done = () => {
            clearTimeout(timer);
            resolve();
          };
          wake = done;
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      return readChanges(this.store, after, limit);
    } finally {
      unwatch();
    }
  }
}
