/**
 * Fixed-window request counts kept in memory (the SQLite store's rate limits: one process
 * serves). Expired windows are swept as the map grows, so memory stays bounded by the
 * number of clients seen in one window.
 */
export class WindowCounter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private nextSweep = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  count(key: string, windowMs: number): { count: number; resetInMs: number } {
    const now = this.clock();
    let window = this.windows.get(key);
    if (!window || window.start + windowMs <= now) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    if (this.windows.size >= this.nextSweep) this.sweep(now, windowMs);
    return { count: window.count, resetInMs: window.start + windowMs - now };
  }

  private sweep(now: number, windowMs: number): void {
    for (const [key, window] of this.windows) if (window.start + windowMs <= now) this.windows.delete(key);
    this.nextSweep = Math.max(1024, this.windows.size * 2);
  }
}
