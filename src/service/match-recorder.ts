import type { Actor, Store } from '../store/types.js';
import type { EngineEvents } from './events.js';

/**
 * Counts matches per case without a synchronous disk write on the platform's hot path:
 * matched ids are buffered and written in one transaction per platform every
 * `intervalMs` (and on close). A crash loses at most that interval of match counters,
 * never a registration or a withdrawal.
 */
export class MatchRecorder {
  private pending = new Map<string, number[]>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Counts the matches the service announces (an observer of its `matches` event). */
  observe(events: EngineEvents): this {
    events.on('matches', (event) => this.record(event.platform, event.hashIds));
    return this;
  }

  record(platformName: string, hashIds: readonly number[]): void {
    if (hashIds.length === 0) return;
    let ids = this.pending.get(platformName);
    if (!ids) this.pending.set(platformName, (ids = []));
    // One push per id: spreading a large array into push() overflows the call stack.
    for (const id of hashIds) ids.push(id);
  }

  flush(): void {
    const batches = this.pending;
    this.pending = new Map();
    for (const [platform, ids] of batches) {
      const actor: Actor = { kind: 'platform', id: platform };
      this.store.recordMatches(ids, actor);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
