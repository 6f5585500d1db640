import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Matcher } from '../index/matcher.js';
import { ChangeFeed, type ChangeFeedOptions } from '../store/change-feed.js';
import { packBatch } from '../store/packed-pages.js';
import type { Change, ChangeLogStore, HashStore } from '../store/types.js';

const PAGE_SIZE = 10_000;
/** Pages the store may read ahead of the index at start-up (10k rows, 360 kB each). */
const PAGES_AHEAD = 4;
/** After a failed read of the change log (the database restarting), wait this long to retry. */
const RETRY_MS = 500;

/** What the index is loaded and kept up to date from. */
export type IndexSource = Pick<HashStore, 'indexPages'> & Pick<ChangeLogStore, 'lastSeq' | 'changesAfter' | 'watchChanges'>;

export interface FollowOptions {
  /** Longest wait between reads of the change log when no hint comes. */
  pollMs?: number;
  /** A read of the change log failed; following goes on from the same seq after a pause. */
  onError?: (error: unknown) => void;
}

/**
 * Keeps the in-memory index equal to the store:
 * - `load()` notes the change log's last seq, then indexes every stored hash, a page at a
 *   time, yielding to the event loop between pages so health checks answer and
 *   registrations and withdrawals go on meanwhile (a hash registered during the load is
 *   indexed by the registration and skipped here; one withdrawn during the load is kept
 *   out by the matcher's load journal). The store reads ahead (SQLite: on a worker
 *   thread), so reading and indexing overlap;
 * - `follow()` then applies the change log from that seq on, through a ChangeFeed: adds
 *   and removals written by any process on the same database (another replica, `rempart
 *   import`), in seq order. Applying is idempotent (an id already indexed is skipped, a
 *   removal of an absent id is a no-op), so this process's own writes, which the services
 *   apply at once, are applied again harmlessly, and the cursor makes it exact.
 */
export class IndexLoader {
  /** Last change-log seq applied. */
  private cursor = 0;
  private following: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly store: IndexSource,
    private readonly matcher: Matcher,
    private readonly feedOptions: ChangeFeedOptions = {},
  ) {}

  /** Last change-log seq the index reflects. */
  get seq(): number {
    return this.cursor;
  }

  async load(): Promise<{ hashes: number; milliseconds: number; seq: number }> {
    const start = performance.now();
    let hashes = 0;
    // Noted first: whatever changes after this point, the feed applies again on top of the pages.
    this.cursor = await this.store.lastSeq();
    const pages = this.store.indexPages({ pageSize: PAGE_SIZE, readAhead: PAGES_AHEAD });
    this.matcher.beginLoad();
    try {
      for await (const page of pages) {
        for (const group of page.groups) hashes += this.matcher.addPacked(group.algorithm, group.ids, group.words);
        // A real turn, not a microtask: HTTP requests are served between pages.
        await nextTurn();
      }
      // Bulk loading leaves the last pages in the indexes' insert tier: fold them in now.
      this.matcher.compact();
    } finally {
      this.matcher.endLoad();
    }
    return { hashes, milliseconds: Math.round(performance.now() - start), seq: this.cursor };
  }

  /**
   * Applies the change log after the cursor, at most `maxPages` pages of it; returns what
   * changed in the index and whether more pages may be waiting.
   */
  async catchUp(maxPages = Infinity): Promise<{ added: number; removed: number; more: boolean }> {
    const feed = new ChangeFeed(this.store, this.feedOptions);
    let added = 0;
    let removed = 0;
    for (let pages = 0; pages < maxPages; pages++) {
      const page = await feed.read(this.cursor);
      if (page.length === 0) return { added, removed, more: false };
      const applied = this.apply(page);
      added += applied.added;
      removed += applied.removed;
    }
    return { added, removed, more: true };
  }

  /**
   * Applies the change log as it grows, one page per event-loop turn, until stop(): a
   * million-hash import by another process never stalls the requests served here.
   */
  follow(options: FollowOptions = {}): void {
    if (this.following || this.abort.signal.aborted) return;
    const feed = new ChangeFeed(this.store, { ...this.feedOptions, ...(options.pollMs ? { pollMs: options.pollMs } : {}) });
    const { signal } = this.abort;
    this.following = (async () => {
      while (!signal.aborted) {
        try {
          for await (const page of feed.pages(this.cursor, signal)) {
            this.apply(page);
            await nextTurn();
          }
        } catch (error) {
          if (signal.aborted) break;
          options.onError?.(error);
          await sleep(RETRY_MS, undefined, { signal }).catch(() => {});
        }
      }
    })();
  }

  /** Stops following; resolves once the page in hand is applied. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.following;
  }

  /** Applies a page of changes in seq order: adds in bulk per algorithm, removals between. */
  private apply(page: readonly Change[]): { added: number; removed: number } {
    let added = 0;
    let removed = 0;
    let adds: Extract<Change, { op: 'add' }>[] = [];
    const flushAdds = () => {
      if (adds.length === 0) return;
      const bytes = new Uint8Array(adds.length * 32);
      adds.forEach((change, i) => bytes.set(change.bytes, i * 32));
      const packed = packBatch({ ids: adds.map((c) => c.hashId), algorithms: adds.map((c) => c.algorithm), bytes });
      for (const group of packed.groups) added += this.matcher.addPacked(group.algorithm, group.ids, group.words);
      adds = [];
    };
    for (const change of page) {
      if (change.op === 'add') adds.push(change);
      else if (change.hashId !== null) {
        flushAdds();
        if (this.matcher.remove(change.hashId)) removed++;
      }
    }
    flushAdds();
    if (page.length > 0) this.cursor = page[page.length - 1]!.seq;
    return { added, removed };
  }
}
