/**
 * Erasure from the files, not only from the tables. secure_delete zeroes a withdrawn
 * value where its row lived, but in WAL mode the WAL file still holds older copies of
 * those pages until a checkpoint has copied the WAL into the database and truncated it.
 * A checkpoint cannot pass another connection that still reads an older snapshot (an
 * export, a backup, another process's start-up load): SQLite then reports it busy
 * without an error. So the truncating checkpoint is retried, on timers that never block
 * the event loop, until it succeeds; one that stays pending is reported, never dropped.
 */
import type Database from 'better-sqlite3';
import type { ErasureEvent, ErasureStatus } from '../types.js';

export interface WalEraserOptions {
  /** The connection's usual busy timeout, restored after each attempt. */
  busyTimeoutMs: number;
  /** Pending longer than this is reported as stalled. */
  stallAfterMs?: number;
  onEvent?: (event: ErasureEvent) => void;
}

/** First retry delay; doubles up to MAX_RETRY_MS, so a reader that ends is noticed fast. */
const FIRST_RETRY_MS = 5;
const MAX_RETRY_MS = 500;
const DEFAULT_STALL_AFTER_MS = 2_000;

interface CheckpointRow {
  busy: number;
  log: number;
  checkpointed: number;
}

export class WalEraser {
  private pendingSince: number | null = null;
  private attempts = 0;
  private lastError: string | null = null;
  private retryDelay = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private stalled = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<(erased: boolean) => void>();

  constructor(
    private readonly db: Database.Database,
    private readonly options: WalEraserOptions,
  ) {}

  /**
   * Asks for the WAL to be emptied: after a withdrawal has committed, and at open (a crash
   * or a busy reader may have left an earlier erasure unfinished). Tries at once.
   */
  request(): void {
    if (this.pendingSince === null) {
      this.pendingSince = Date.now();
      const stallAfterMs = this.options.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
      this.stallTimer = setTimeout(() => this.reportStall(), stallAfterMs).unref();
    }
    clearTimeout(this.retryTimer);
    this.retryDelay = FIRST_RETRY_MS;
    this.attempt();
  }

  /** Resolves true once nothing is pending, false if still pending after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.pendingSince === null) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (erased: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(erased);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(done);
    });
  }

  status(): ErasureStatus {
    return {
      pending: this.pendingSince !== null,
      pendingSince: this.pendingSince === null ? null : new Date(this.pendingSince).toISOString(),
      attempts: this.attempts,
      lastError: this.lastError,
    };
  }

  /**
   * Before the connection closes: one last try that may wait for readers (busy timeout),
   * since nothing will retry afterwards until the store is next opened.
   */
  close(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.stallTimer);
    this.retryTimer = undefined;
    if (this.pendingSince !== null && this.db.open) {
      this.attempts++;
      if (this.checkpoint(this.options.busyTimeoutMs)) this.finish();
      else this.reportStall();
    }
    for (const waiter of [...this.waiters]) waiter(this.pendingSince === null);
  }

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.pendingSince === null || !this.db.open) return;
    this.attempts++;
    if (this.checkpoint(0)) {
      this.finish();
      return;
    }
    this.retryTimer = setTimeout(() => this.attempt(), this.retryDelay).unref();
    this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_MS);
  }

  /** One truncating checkpoint; true when it copied the whole WAL and emptied the file. */
  private checkpoint(busyTimeoutMs: number): boolean {
    if (this.db.memory) return true;
    this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    try {
      // Blocked by a reader or writer, this returns busy = 1 rather than throwing.
      const [row] = this.db.pragma('wal_checkpoint(TRUNCATE)') as CheckpointRow[];
      return row !== undefined && row.busy === 0;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      return false;
    } finally {
      this.db.pragma(`busy_timeout = ${this.options.busyTimeoutMs}`);
    }
  }

  private finish(): void {
    const pendingMs = Date.now() - this.pendingSince!;
    const { attempts, stalled } = this;
    clearTimeout(this.stallTimer);
    this.pendingSince = null;
    this.attempts = 0;
    this.lastError = null;
    this.stalled = false;
    if (stalled) this.options.onEvent?.({ kind: 'done', status: { ...this.status(), attempts }, pendingMs });
    for (const waiter of [...this.waiters]) waiter(true);
  }

  private reportStall(): void {
    if (this.stalled || this.pendingSince === null) return;
    this.stalled = true;
    this.options.onEvent?.({ kind: 'stalled', status: this.status(), pendingMs: Date.now() - this.pendingSince! });
  }
}
