/**
 * Erasure beyond the live tables. A withdrawal's DELETEs leave the old row versions (dead
 * tuples) in the table and index pages until VACUUM removes them, and PostgreSQL's own
 * VACUUM runs only when autovacuum's thresholds say so. So after a withdrawal commits,
 * this process runs VACUUM on the tables that held the values, at once (coalescing
 * withdrawals that come while one runs), and retries a failed one. What VACUUM does not do
 * (zero the freed bytes, rewrite WAL or backups) is documented in docs/storage.md.
 */
import type pg from 'pg';
import type { ErasureEvent, ErasureStatus } from '../types.js';

/**
 * Tables whose rows hold hash values (or their refs) after a withdrawal, and `reports`,
 * whose old row versions hold a victim's sealed description, contact and answer.
 */
export const ERASED_TABLES = ['hashes', 'changes', 'items', 'exchange_records', 'exchange_members', 'reports', 'held_submissions', 'followed_hashes', 'recent_submissions'] as const;
const RETRY_MS = 1_000;
const STALL_AFTER_MS = 10_000;

export class VacuumEraser {
  private pendingSince: number | null = null;
  /** Asked again while a VACUUM ran: its snapshot may predate the newest withdrawal. */
  private again = false;
  private running: Promise<void> | undefined;
  private attempts = 0;
  private lastError: string | null = null;
  private stalled = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<(done: boolean) => void>();
  /** Tables asked for since the last VACUUM started (a report's erasure needs only `reports`). */
  private readonly requested = new Set<string>();
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly onEvent?: (event: ErasureEvent) => void,
  ) {}

  /** After a withdrawal (or a tombstone purge, or a report's erasure) committed; by default every erased table. */
  request(tables: readonly (typeof ERASED_TABLES)[number][] = ERASED_TABLES): void {
    if (this.closed) return;
    for (const table of tables) this.requested.add(table);
    if (this.pendingSince === null) {
      this.pendingSince = Date.now();
      this.stallTimer = setTimeout(() => this.reportStall(), STALL_AFTER_MS).unref();
    }
    if (this.running) this.again = true;
    else this.run();
  }

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

  /** Waits for a VACUUM in progress; a pending one is left to autovacuum (or the next start). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.stallTimer);
    await this.running;
    for (const waiter of [...this.waiters]) waiter(this.pendingSince === null);
  }

  private run(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.again = false;
    const tables = [...this.requested];
    this.requested.clear();
    // Never a bare VACUUM (that would be the whole database).
    if (tables.length === 0) {
      if (this.pendingSince !== null) this.finish();
      return;
    }
    this.attempts++;
    this.running = this.pool
      .query(`VACUUM ${tables.join(', ')}`)
      .then(
        () => {
          this.running = undefined;
          if (this.again) this.run();
          else this.finish();
        },
        (error: unknown) => {
          this.running = undefined;
          for (const table of tables) this.requested.add(table);
          this.lastError = error instanceof Error ? error.message : String(error);
          if (this.closed) return;
          this.retryTimer = setTimeout(() => this.run(), RETRY_MS).unref();
        },
      );
  }

  private finish(): void {
    const pendingMs = Date.now() - (this.pendingSince ?? Date.now());
    const { attempts, stalled } = this;
    clearTimeout(this.stallTimer);
    this.pendingSince = null;
    this.attempts = 0;
    this.lastError = null;
    this.stalled = false;
    if (stalled) this.onEvent?.({ kind: 'done', status: { ...this.status(), attempts }, pendingMs });
    for (const waiter of [...this.waiters]) waiter(true);
  }

  private reportStall(): void {
    if (this.stalled || this.pendingSince === null) return;
    this.stalled = true;
    this.onEvent?.({ kind: 'stalled', status: this.status(), pendingMs: Date.now() - this.pendingSince });
  }
}
