import { EventEmitter } from 'node:events';
import type { FeedbackValue } from '../store/feedback.js';
import type { ErasureEvent } from '../store/types.js';

/**
 * What the services announce, for observers that must not sit in their code path:
 * metrics, the match counters, and later audit trails and webhooks. Payloads carry
 * internal ids and counts; each observer decides what it may keep or show.
 */
export interface EngineEventMap {
  /** Matches returned to a platform for one request (after the per-hash cap). */
  matches: [MatchesEvent];
  /** A case was created (by a victim or an operator's import). */
  'case.registered': [CaseRegisteredEvent];
  /** A case was withdrawn: its hashes left the store and the index. */
  'case.withdrawn': [CaseWithdrawnEvent];
  /** Platforms reported what they did with matches (blocked, not blocked…). */
  'feedback.recorded': [FeedbackRecordedEvent];
  /** Erasing withdrawn values from the store's files stalled, or completed after a stall (the server logs it). */
  erasure: [ErasureEvent];
  /** A database connection was lost (PostgreSQL restarting, network): it is replaced; the server logs it. */
  'database.connection': [Error];
  /** A hashing worker thread crashed or could not start (the server logs it; its tasks failed with WORKER_FAILED). */
  'worker.failed': [Error];
}

export interface MatchesEvent {
  platform: string;
  /** Internal ids of the stored hashes returned, one entry per match (a hash matched twice appears twice). */
  hashIds: readonly number[];
  /** Matches returned, per algorithm. */
  byAlgorithm: Readonly<Record<string, number>>;
  /** Query hashes whose matches were cut at the per-hash cap. */
  truncatedQueries: number;
}

export interface CaseRegisteredEvent {
  caseId: number;
  hashCount: number;
  /** Hashes dropped as near-duplicates of another hash of the same case. */
  collapsedHashes: number;
  by: 'victim' | 'operator';
}

export interface FeedbackRecordedEvent {
  platform: string;
  /** Opaque refs of the hashes reported on. */
  refs: readonly string[];
  /** Reports per value (StopNCII's vocabulary: Blocked, NotBlocked…). */
  byValue: Readonly<Partial<Record<FeedbackValue, number>>>;
}

export interface CaseWithdrawnEvent {
  caseId: number;
  removedHashes: number;
}

/**
 * The engine's event bus. `emit` calls every listener even when one throws: an observer
 * must never fail (or half-apply) the request it observes. Failures go to `onListenerError`.
 */
export class EngineEvents extends EventEmitter<EngineEventMap> {
  onListenerError: (error: unknown, event: keyof EngineEventMap) => void = (error, event) =>
    process.emitWarning(`an observer of "${event}" failed: ${error instanceof Error ? error.message : String(error)}`);

  override emit<K extends keyof EngineEventMap>(event: K, ...args: EngineEventMap[K]): boolean {
    // rawListeners: a `once` listener's wrapper removes itself when called.
    const listeners = this.rawListeners(event) as ((...a: EngineEventMap[K]) => void)[];
    for (const listener of listeners) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
    return listeners.length > 0;
  }
}
