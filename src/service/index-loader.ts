import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Matcher } from '../index/matcher.js';
import type { PackedPage } from '../store/packed-pages.js';
import type { HashStore } from '../store/types.js';

const PAGE_SIZE = 10_000;
/** Pages the store may read ahead of the index at start-up (10k rows, 360 kB each). */
const PAGES_AHEAD = 4;
/** Pages `follow()` indexes per event-loop turn (a page of 10k rows is a few ms of work). */
const FOLLOW_PAGES_PER_TURN = 2;

/**
 * Keeps the in-memory index equal to the store:
 * - `load()` indexes every stored hash at start-up, a page at a time, yielding to the
 *   event loop between pages so health checks answer and registrations and withdrawals go
 *   on meanwhile (a hash registered during the load is indexed by the registration and
 *   skipped here; one withdrawn during the load is kept out by the matcher's load journal).
 *   The store reads ahead (SQLite: on a worker thread), so reading and indexing overlap;
 * - `follow()` picks up hashes written by other processes on the same database (e.g.
 *   `rempart import` while the server runs) by scanning ids above the last one seen.
 * Withdrawals only happen through the service, which removes from the index itself.
 */
export class IndexLoader {
  private lastSeenId = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The follower's step in flight, if any: stop() waits for it. */
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: Pick<HashStore, 'indexPages'>,
    private readonly matcher: Matcher,
  ) {}

  async load(): Promise<{ hashes: number; milliseconds: number }> {
    const start = performance.now();
    let hashes = 0;
    const pages = this.store.indexPages({ afterId: this.lastSeenId, pageSize: PAGE_SIZE, readAhead: PAGES_AHEAD });
    this.matcher.beginLoad();
    try {
      for await (const page of pages) {
        hashes += this.addPage(page);
        // A real turn, not a microtask: HTTP requests are served between pages.
        await nextTurn();
      }
      // Bulk loading leaves the last pages in the indexes' insert tier: fold them in now.
      this.matcher.compact();
    } finally {
      this.matcher.endLoad();
    }
    return { hashes, milliseconds: Math.round(performance.now() - start) };
  }

  /**
   * Indexes hashes added since the last scan, at most `maxPages` pages of them; returns how
   * many were new to the index and whether more pages may be waiting.
   */
  async catchUp(maxPages = Infinity): Promise<{ added: number; more: boolean }> {
    let added = 0;
    let pages = 0;
    for await (const page of this.store.indexPages({ afterId: this.lastSeenId, pageSize: PAGE_SIZE })) {
      added += this.addPage(page);
      if (++pages >= maxPages) return { added, more: true };
    }
    return { added, more: false };
  }

  /**
   * Catches up every `intervalMs`, a few pages per event-loop turn: a million-hash import
   * by another process then never stalls the requests this process is serving.
   */
  follow(intervalMs = 1000, onError: (error: unknown) => void = () => {}): void {
    if (this.timer || this.stopped) return;
    const step = async () => {
      try {
        while (!this.stopped && (await this.catchUp(FOLLOW_PAGES_PER_TURN)).more) await nextTurn();
      } catch (error) {
        onError(error);
      }
    };
    this.timer = setInterval(() => {
      this.running ??= step().finally(() => (this.running = undefined));
    }, intervalMs).unref();
  }

  /** Stops following; resolves once a step in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Indexes one page through the bulk path. Ids already indexed (registered live while the
   * load runs) are skipped by the index; lastSeenId covers the page.
   */
  private addPage(page: PackedPage): number {
    if (page.lastId > this.lastSeenId) this.lastSeenId = page.lastId;
    let added = 0;
    for (const group of page.groups) added += this.matcher.addPacked(group.algorithm, group.ids, group.words);
    return added;
  }
}
