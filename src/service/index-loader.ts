import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Matcher } from '../index/matcher.js';
import type { Store } from '../store/types.js';

const BATCH = 10_000;

/**
 * Keeps the in-memory index equal to the store:
 * - `load()` indexes every stored hash at start-up, a batch at a time, yielding to the
 *   event loop between batches so health checks answer and registrations go on meanwhile
 *   (a hash registered during the load is indexed by the registration and skipped here);
 * - `follow()` picks up hashes written by other processes on the same database (e.g.
 *   `rempart import` while the server runs) by scanning ids above the last one seen.
 * Withdrawals only happen through the service, which removes from the index itself.
 */
export class IndexLoader {
  private lastSeenId = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly matcher: Matcher,
  ) {}

  async load(): Promise<{ hashes: number; milliseconds: number }> {
    const start = performance.now();
    let hashes = 0;
    for (const batch of this.store.iterateHashBatches(BATCH, this.lastSeenId)) {
      hashes += this.addBatch(batch);
      await nextTurn();
    }
    return { hashes, milliseconds: Math.round(performance.now() - start) };
  }

  /** Indexes hashes added since the last scan; returns how many were new to the index. */
  catchUp(): number {
    let added = 0;
    for (const batch of this.store.iterateHashBatches(BATCH, this.lastSeenId)) added += this.addBatch(batch);
    return added;
  }

  follow(intervalMs = 1000, onError: (error: unknown) => void = () => {}): void {
    this.timer ??= setInterval(() => {
      try {
        this.catchUp();
      } catch (error) {
        onError(error);
      }
    }, intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private addBatch(batch: { ids: number[]; algorithms: string[]; bytes: Uint8Array }): number {
    let added = 0;
    for (let i = 0; i < batch.ids.length; i++) {
      const id = batch.ids[i]!;
      if (this.matcher.addIfAbsent(batch.algorithms[i]!, id, batch.bytes.subarray(32 * i, 32 * i + 32))) added++;
      if (id > this.lastSeenId) this.lastSeenId = id;
    }
    return added;
  }
}
