import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Matcher } from '../index/matcher.js';
import { type PackedPage, packBatch } from '../store/packed-pages.js';
import { readPackedPagesInWorker } from '../store/page-reader.js';
import type { Store } from '../store/types.js';

const BATCH = 10_000;
/** Pages the reader thread may run ahead of the index (10k rows, 360 kB each). */
const PAGES_AHEAD = 4;
/** Pages `follow()` indexes per event-loop turn (a page of 10k rows is a few ms of work). */
const FOLLOW_PAGES_PER_TURN = 2;

export interface IndexLoaderOptions {
  /**
   * The store's database file: start-up pages are then read by a worker thread while the
   * index takes them (two cores instead of one). Without it, pages are read in turn.
   */
  databaseFile?: string;
}

/**
 * Keeps the in-memory index equal to the store:
 * - `load()` indexes every stored hash at start-up, a page at a time, yielding to the
 *   event loop between pages so health checks answer and registrations and withdrawals go
 *   on meanwhile (a hash registered during the load is indexed by the registration and
 *   skipped here; one withdrawn during the load is kept out by the matcher's load journal);
 * - `follow()` picks up hashes written by other processes on the same database (e.g.
 *   `rempart import` while the server runs) by scanning ids above the last one seen.
 * Withdrawals only happen through the service, which removes from the index itself.
 */
export class IndexLoader {
  private lastSeenId = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly store: Store,
    private readonly matcher: Matcher,
    private readonly options: IndexLoaderOptions = {},
  ) {}

  async load(): Promise<{ hashes: number; milliseconds: number }> {
    const start = performance.now();
    let hashes = 0;
    const file = this.options.databaseFile;
    const pages = file
      ? readPackedPagesInWorker({ file, afterId: this.lastSeenId, batchSize: BATCH, ahead: PAGES_AHEAD })
      : this.pagesInTurn();
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
  catchUp(maxPages = Infinity): { added: number; more: boolean } {
    let added = 0;
    let pages = 0;
    for (const batch of this.store.iterateHashBatches(BATCH, this.lastSeenId)) {
      added += this.addPage(packBatch(batch));
      if (++pages >= maxPages) return { added, more: true };
    }
    return { added, more: false };
  }

  /**
   * Catches up every `intervalMs`, a few pages per event-loop turn: a million-hash import
   * by another process then never stalls the requests this process is serving.
   */
  follow(intervalMs = 1000, onError: (error: unknown) => void = () => {}): void {
    const step = () => {
      this.immediate = undefined;
      try {
        if (this.catchUp(FOLLOW_PAGES_PER_TURN).more) this.immediate = setImmediate(step);
      } catch (error) {
        onError(error);
      }
    };
    this.timer ??= setInterval(() => {
      if (!this.immediate) step();
    }, intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Pages read on this thread, between the index's turns. */
  private async *pagesInTurn(): AsyncGenerator<PackedPage> {
    for (const batch of this.store.iterateHashBatches(BATCH, this.lastSeenId)) yield packBatch(batch);
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
