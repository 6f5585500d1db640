import type { Actor, CaseStore } from '../store/types.js';
import type { EngineEvents } from './events.js';

/** Ids kept for a retry when the store refuses a flush (e.g. PostgreSQL restarting). */
const MAX_PENDING_IDS = 1_000_000;

/**
 * Counts matches per case without a disk write on the platform's hot path: matched ids
 * are buffered and written in one transaction per platform every `intervalMs` (and on
 * close). A crash loses at most that interval of match counters, never a registration or
 * a withdrawal; a failed flush keeps its ids for the next one (up to a bound).
 */
export class MatchRecorder {
  private pending = new Map<string, number[]>();
  private pendingIds = 0;
  private readonly timer: NodeJS.Timeout;
  /** The flush in progress: flushes never overlap, so counts are written once each. */
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<CaseStore, 'recordMatches'>,
    intervalMs = 1000,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.timer = setInterval(() => void this.flush().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  /** Counts the matches the service announces (an observer of its `matches` event). */
  observe(events: EngineEvents): this {
    events.on('matches', (event) => this.record(event.platform, event.hashIds));
    return this;
  }

  record(platformName: string, hashIds: readonly number[]): void {
    if (hashIds.length === 0 || this.pendingIds + hashIds.length > MAX_PENDING_IDS) return;
    this.pendingIds += hashIds.length;
    let ids = this.pending.get(platformName);
    if (!ids) this.pending.set(platformName, (ids = []));
    // One push per id: spreading a large array into push() overflows the call stack.
    for (const id of hashIds) ids.push(id);
  }

  /** Writes what was recorded so far; resolves once it is stored (or has failed). */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.writePending());
    this.flushing = next.catch(() => {}); // the caller sees the failure; the chain goes on
    return next;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async writePending(): Promise<void> {
    const batches = this.pending;
    this.pending = new Map();
    this.pendingIds = 0;
    let failure: unknown;
    for (const [platform, ids] of batches) {
      const actor: Actor = { kind: 'platform', id: platform };
      try {
        if (failure === undefined) {
          await this.store.recordMatches(ids, actor);
          continue;
        }
      } catch (error) {
        failure = error;
      }
      this.record(platform, ids); // not written: retried by the next flush
    }
    if (failure !== undefined) throw failure;
  }
}
