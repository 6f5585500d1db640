/**
 * Feedback on a follower goes to the bank: a platform running a follower reports what it
 * did with a match to its follower (POST /v1/feedback, the bank's own ids), which queues
 * the report in its store and sends it on to the bank the hash comes from (the bank's
 * POST /v1/feedback, with the follow key). At least once: a report leaves the queue only
 * when the bank has answered 200, so a restart or an unreachable bank delays it, never
 * loses it; the bank keeps one report per platform and hash, so a repeat changes nothing.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FollowStore } from '../store/follow.js';
import type { FeedbackValue, NewFeedback } from '../store/feedback.js';

/** The bank's API spells StopNCII's feedback values in snake case (src/service/feedback.ts). */
const OUTCOME_OF: Readonly<Record<string, string>> = {
  Blocked: 'blocked',
  NotBlocked: 'not_blocked',
  PendingReview: 'pending_review',
  None: 'none',
  Unknown: 'unknown',
  QualityUnknown: 'quality_unknown',
};

export interface ForwardingSource {
  id: number;
  url: string;
  key: string;
}

export interface ForwarderOptions {
  /** Reports per request to the bank (at most its batch limit). */
  batch?: number;
  retryMs?: number;
  maxRetryMs?: number;
  /** Pause between checks of an empty queue (a report queued here wakes the loop at once). */
  idleMs?: number;
}

export class FeedbackForwarder {
  /**
   * 'forwarded' ({url, count}) after each batch the bank acknowledged; 'failed' (Error) when a
   * send fails (it is retried); 'dropped' (Error) when the bank refused a batch as malformed.
   */
  readonly events = new EventEmitter();
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly wakers = new Map<number, () => void>();

  constructor(
    private readonly store: Pick<FollowStore, 'queueFollowedFeedback' | 'queuedFeedback' | 'dropQueuedFeedback'>,
    private readonly sources: readonly ForwardingSource[],
    private readonly options: ForwarderOptions = {},
  ) {}

  /** Queues reports for their banks (durably) and wakes the senders; unknown: refs of no followed hash. */
  async queue(entries: readonly NewFeedback[]): Promise<{ queued: string[]; unknown: string[] }> {
    const result = await this.store.queueFollowedFeedback(entries);
    if (result.queued.length > 0) for (const wake of this.wakers.values()) wake();
    return result;
  }

  /** Sends what is queued, and what gets queued, until stop(). */
  start(): void {
    if (this.loops.length > 0) return;
    this.loops = this.sources.map((source) => this.send(source));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const wake of this.wakers.values()) wake();
    await Promise.all(this.loops);
  }

  private async send(source: ForwardingSource): Promise<void> {
    const signal = this.abort.signal;
    const firstRetry = this.options.retryMs ?? 500;
    let retry = firstRetry;
    while (!signal.aborted) {
      try {
        const batch = await this.store.queuedFeedback(source.id, this.options.batch ?? 500);
        if (batch.length === 0) {
          await this.idle(source.id);
          continue;
        }
        await this.post(source, batch, signal);
        await this.store.dropQueuedFeedback(batch.map((f) => f.id));
        this.events.emit('forwarded', { url: source.url, count: batch.length });
        retry = firstRetry;
      } catch (error) {
        if (signal.aborted) break;
        this.events.emit('failed', error);
        await sleep(retry, undefined, { signal }).catch(() => {});
        retry = Math.min(retry * 2, this.options.maxRetryMs ?? 30_000);
      }
    }
  }

  /** Waits for a report to be queued (or the idle pause: another process on the store may have queued one). */
  private idle(sourceId: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.idleMs ?? 5_000);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(sourceId, () => {
        this.wakers.delete(sourceId);
        done();
      });
      if (this.abort.signal.aborted) done();
    });
  }

  private async post(source: ForwardingSource, batch: readonly { ref: string; value: FeedbackValue; tags: string[] }[], signal: AbortSignal) {
    const response = await fetch(`${source.url}/v1/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${source.key}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ feedback: batch.map((f) => ({ id: f.ref, outcome: OUTCOME_OF[f.value] ?? 'unknown', ...(f.tags.length > 0 ? { tags: f.tags } : {}) })) }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
    });
    const text = await response.text();
    if (response.ok) return;
    const why = `${source.url}/v1/feedback answered ${response.status}: ${text.slice(0, 200)}`;
    // A batch the bank refuses as malformed would block every later report: it is dropped (and
    // reported). A bad key, a busy or broken bank is retried until it answers.
    if (response.status === 400 || response.status === 413) {
      this.events.emit('dropped', new Error(`${why} (${batch.length} reports dropped)`));
      return;
    }
    throw new Error(why);
  }
}
