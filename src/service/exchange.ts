import { VIDEO_MD5 } from '../hashing/video/digest.js';
import type { ExchangeChange } from '../store/exchange.js';
import { isDerivedRole } from '../hashing/profile/profile.js';
import type { Change, Store } from '../store/types.js';

/**
 * Algorithms with a StopNCII signal type; others (blockhash) have none and stay out of that
 * feed. Video frames are PDQ hashes (ImagePDQ: a frame posted as a picture is caught too);
 * a video's file digest is VideoMD5.
 */
export const STOPNCII_SIGNAL_TYPES: Readonly<Record<string, string>> = { pdq: 'ImagePDQ', [VIDEO_MD5]: 'VideoMD5' };

/** Change-log entries read per projection transaction. */
const CHANGES_PER_BATCH = 2_000;

export interface ExchangeProjectorOptions {
  /** How long a withdrawn value may be kept for platforms to learn of its removal (seconds). */
  tombstoneSeconds: number;
  /** Milliseconds since the epoch; tests swap it. */
  now?: () => number;
  /** Removals an operator made (quarantine, rejection) are `Deleted`; a victim's withdrawal is `Withdrawn`. */
  removalStatus?: (ref: string) => 'Withdrawn' | 'Deleted';
}

/**
 * Keeps the exchange projection (what the StopNCII-compatible feed serves) in step with the
 * change log: reads entries after the projection's own cursor and applies them in order.
 * The cursor lives in the store, in the same transaction as the records, so a restart or a
 * second process resumes exactly where the projection stopped.
 */
export class ExchangeProjector {
  private running: Promise<number> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Pick<Store, 'changesAfter' | 'exchangeAppliedSeq' | 'applyExchangeChanges' | 'purgeExchangeTombstones'>,
    private readonly options: ExchangeProjectorOptions,
  ) {}

  private nowSeconds(): number {
    return Math.floor((this.options.now?.() ?? Date.now()) / 1000);
  }

  /**
   * Applies every change logged so far; resolves with how many were applied. Calls made while
   * one runs share it and trigger one more pass, so a change committed meanwhile is never missed.
   */
  catchUp(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<number> => {
      let total = 0;
      do {
        this.again = false;
        total += await this.drain();
      } while (this.again);
      return total;
    };
    this.running = run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async drain(): Promise<number> {
    let applied = 0;
    for (;;) {
      const after = await this.store.exchangeAppliedSeq();
      const changes: Change[] = await this.store.changesAfter(after, CHANGES_PER_BATCH);
      if (changes.length === 0) return applied;
      const through = changes[changes.length - 1]!.seq;
      applied += await this.store.applyExchangeChanges(this.exchanged(changes), through, {
        now: () => this.nowSeconds(),
        tombstoneSeconds: this.options.tombstoneSeconds,
      });
      if (changes.length < CHANGES_PER_BATCH) return applied;
    }
  }

  private exchanged(changes: readonly Change[]): ExchangeChange[] {
    const out: ExchangeChange[] = [];
    for (const c of changes) {
      // Hashes a matching profile derived (trimmed content, windows, regions) are matched under the
      // profile's own thresholds: a StopNCII client would match them alone at its bank threshold.
      // They stay in the native feed (/v1/sync), which carries their role.
      if (isDerivedRole(c.role)) continue;
      if (c.op === 'add') {
        const signalType = STOPNCII_SIGNAL_TYPES[c.algorithm];
        if (signalType) out.push({ seq: c.seq, op: 'add', ref: c.ref, signalType, value: c.bytes });
      } else if (STOPNCII_SIGNAL_TYPES[c.algorithm]) {
        const status = c.removedBy === 'operator' ? 'Deleted' : (this.options.removalStatus?.(c.ref) ?? 'Withdrawn');
        out.push({ seq: c.seq, op: 'remove', ref: c.ref, status });
      }
    }
    return out;
  }

  /**
   * After a withdrawal: applies it to the projection and erases at once the values no platform
   * can have seen (the others stay as tombstones until acknowledged or out of their window).
   */
  async eraseWithdrawn(): Promise<void> {
    await this.catchUp();
    await this.purge();
  }

  /** Erases tombstones that have served their purpose; returns how many. */
  async purge(): Promise<number> {
    return this.store.purgeExchangeTombstones(this.nowSeconds());
  }

  /**
   * Catches up and purges every `intervalMs` (changes written by other processes, such as
   * `rempart import`, and tombstones whose window ends while nobody reads the feed).
   */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    this.timer ??= setInterval(() => {
      this.catchUp()
        .then(() => this.purge())
        .catch(onError);
    }, intervalMs).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }
}
