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
    // Bulk loading leaves the last pages in the indexes' insert tier: fold them in now.
    this.matcher.compact();
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

  /**
   * Indexes one page of the store through the bulk path, grouped by algorithm. Ids already
   * indexed (registered live while the load runs) are skipped by the index; lastSeenId
   * covers the page.
   */
  private addBatch(batch: { ids: number[]; algorithms: string[]; bytes: Uint8Array }): number {
    const n = batch.ids.length;
    const bytes = batch.bytes;
    const groups = new Map<string, { ids: Uint32Array; words: Uint32Array; count: number }>();
    let algorithm = '';
    let group: { ids: Uint32Array; words: Uint32Array; count: number } | undefined;
    for (let i = 0; i < n; i++) {
      const id = batch.ids[i]!;
      if (id > this.lastSeenId) this.lastSeenId = id;
      if (batch.algorithms[i] !== algorithm || !group) {
        algorithm = batch.algorithms[i]!;
        group = groups.get(algorithm);
        if (!group) {
          group = { ids: new Uint32Array(n), words: new Uint32Array(n * 8), count: 0 };
          groups.set(algorithm, group);
        }
      }
      const { words } = group;
      const row = group.count++;
      group.ids[row] = id;
      for (let k = 0, b = 32 * i, w = row * 8; k < 8; k++, b += 4, w++) {
        words[w] = ((bytes[b]! << 24) | (bytes[b + 1]! << 16) | (bytes[b + 2]! << 8) | bytes[b + 3]!) >>> 0;
      }
    }
    let added = 0;
    for (const [name, g] of groups) added += this.matcher.addPacked(name, g.ids.subarray(0, g.count), g.words.subarray(0, g.count * 8));
    return added;
  }
}
