/**
 * Wake-ups for change-log followers: every transaction that appends to the log also runs
 * NOTIFY on the store's channel (delivered at commit, to every listening session of every replica);
 * one dedicated connection per process LISTENs and tells the store's watchers. If that
 * connection drops (PostgreSQL restarting), it reconnects with a growing pause and then
 * tells the watchers anyway, since a notification may have been missed meanwhile. The
 * followers' cursors make the log exact; this only makes it prompt.
 */
import pg from 'pg';
import { type DatabaseTarget, clientConfig } from './connection.js';

/** The NOTIFY channel of a store's change log (one per schema: banks sharing a database stay apart). */
export function changesChannel(schema: string): string {
  return schema === 'public' ? 'rempart_changes' : `rempart_changes_${schema}`;
}
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export class ChangeNotifier {
  private readonly watchers = new Set<() => void>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private closed = false;
  /**
   * The highest seq whose commit has woken the watchers already (this process's own commit,
   * or a NOTIFY): seqs are handed out in commit order (the log's counter row), so a read
   * begun after that wake-up sees every entry up to it, and a second wake-up for the same
   * commit (the NOTIFY of an own commit, or the own hint after its NOTIFY won the race)
   * would only make every follower read again for nothing.
   */
  private wokenUpTo = 0;

  constructor(
    private readonly target: DatabaseTarget,
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Calls `listener` after commits that grew the log (any process's); returns the unsubscribe function. */
  watch(listener: () => void): () => void {
    this.watchers.add(listener);
    if (!this.client && !this.connecting) void this.connect();
    return () => void this.watchers.delete(listener);
  }

  /**
   * Tells this process's watchers at once (its own commit; NOTIFY will follow too). Given the
   * last seq the commit logged, wakes them once for it, whichever comes first (see wokenUpTo).
   */
  hint(loggedUpTo?: number): void {
    if (loggedUpTo !== undefined) {
      if (loggedUpTo <= this.wokenUpTo) return;
      this.wokenUpTo = loggedUpTo;
    }
    for (const listener of this.watchers) queueMicrotask(listener);
  }

  /** A NOTIFY: its payload is the last seq its commit logged. */
  private notified(payload: string | undefined): void {
    const seq = Number(payload);
    this.hint(Number.isSafeInteger(seq) && seq > 0 ? seq : undefined);
  }

  /** Whether the LISTEN connection is up (for health checks). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = undefined;
    this.watchers.clear();
    await client?.end().catch(() => {});
  }

  private connect(): Promise<void> {
    this.connecting = (async () => {
      const client = new pg.Client(clientConfig(this.target));
      client.on('notification', (message) => this.notified(message.payload));
      client.on('error', (error) => this.lost(client, error));
      client.on('end', () => this.lost(client));
      try {
        await client.connect();
        await client.query(`LISTEN ${changesChannel(this.target.schema)}`);
        if (this.closed) {
          await client.end();
          return;
        }
        this.client = client;
        this.retryMs = FIRST_RETRY_MS;
        // Whatever was committed while no one listened: let the followers look.
        this.hint();
      } catch (error) {
        client.removeAllListeners();
        client.on('error', () => {});
        await client.end().catch(() => {});
        this.onError(error as Error);
        this.scheduleRetry();
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  private lost(client: pg.Client, error?: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => {});
    if (error) this.onError(error);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.watchers.size === 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
