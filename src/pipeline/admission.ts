import { RempartError } from '../errors.js';

interface Waiter {
  resolve(): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Lets at most `slots` tasks run at once and keeps the rest waiting in order, each for at
 * most `timeoutMs`: a request that would wait longer is refused with 503 OVERLOADED and a
 * Retry-After, instead of holding its connection (and its upload in memory) while the
 * queue drains. A full queue (`maxWaiting`) refuses at once.
 */
export class Admission {
  #active = 0;
  readonly #waiting: Waiter[] = [];

  constructor(
    private readonly options: { slots: number; maxWaiting: number; timeoutMs: number; work: string },
  ) {}

  /** Tasks running and waiting now. */
  get load(): { active: number; waiting: number } {
    return { active: this.#active, waiting: this.#waiting.length };
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    const { slots, maxWaiting, timeoutMs, work } = this.options;
    if (this.#active < slots) {
      this.#active++;
      return Promise.resolve();
    }
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.min(timeoutMs, 60_000) / 1000));
    if (this.#waiting.length >= maxWaiting) {
      return Promise.reject(new RempartError('OVERLOADED', `${work} is at capacity (${maxWaiting} waiting); retry later`, { retryAfterSeconds }));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, timer: undefined };
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
          reject(
            new RempartError('OVERLOADED', `${work} is busy: this request waited ${timeoutMs / 1000} s without a free thread; retry later`, {
              retryAfterSeconds,
            }),
          );
        }, timeoutMs);
      }
      this.#waiting.push(waiter);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (!next) {
      this.#active--;
      return;
    }
    // The slot passes straight to the longest waiter.
    clearTimeout(next.timer);
    next.resolve();
  }
}
