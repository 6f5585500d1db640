/**
 * Following the change log exactly: a cursor (the last seq applied) makes it exact, a
 * wake-up source makes it prompt. The source is the store's own log: SQLite hints at once
 * for this process's writes and is polled for other processes'; PostgreSQL hints through
 * LISTEN/NOTIFY for every replica's. A hint may be lost (a dropped connection), so the
 * feed also polls: a missed notification delays a change by one poll, never loses it.
 */
import type { Change, ChangeLogStore } from './types.js';

export type ChangeSource = Pick<ChangeLogStore, 'changesAfter' | 'watchChanges'>;

export interface ChangeFeedOptions {
  /** Entries per read (default 5,000). */
  pageSize?: number;
  /** Longest wait between reads when no hint comes (default 1,000 ms). */
  pollMs?: number;
}

const DEFAULT_PAGE_SIZE = 5_000;
const DEFAULT_POLL_MS = 1_000;

export class ChangeFeed {
  readonly pageSize: number;
  readonly pollMs: number;

  constructor(
    private readonly source: ChangeSource,
    options: ChangeFeedOptions = {},
  ) {
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  /** The next page after `cursor` ([] when caught up). */
  read(cursor: number): Promise<Change[]> {
    return this.source.changesAfter(cursor, this.pageSize);
  }

  /**
   * Pages of changes after `cursor`, oldest first, as they come: when caught up, waits for
   * a hint or the poll interval. Ends when `signal` aborts; a failed read throws (the
   * caller resumes from the last seq it applied).
   */
  async *pages(cursor: number, signal: AbortSignal): AsyncGenerator<Change[]> {
    let hinted = false;
    let wake: (() => void) | undefined;
    const unwatch = this.source.watchChanges(() => {
      hinted = true;
      wake?.();
    });
    try {
      while (!signal.aborted) {
        hinted = false;
        const page = await this.read(cursor);
        if (page.length > 0) {
          cursor = page[page.length - 1]!.seq;
          yield page;
          // A full page: more may wait. A short one was the end of the log when it was read:
          // whatever was written since hinted (or the poll finds it), so no read to find nothing.
          if (page.length >= this.pageSize) continue;
        }
        if (!hinted) await this.waitForHint(signal, (resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      unwatch();
    }
  }

  /** Resolves on a hint, after pollMs, or when aborted, whichever comes first. */
  private waitForHint(signal: AbortSignal, onHint: (resolve: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      timer.unref();
      signal.addEventListener('abort', done, { once: true });
      onHint(done);
    });
  }
}
