import { Piscina } from 'piscina';
import { RempartError } from '../errors.js';
import { Admission } from './admission.js';

export interface WorkerPoolOptions {
  /** The compiled worker entry (see src/worker-location.ts). */
  filename: string;
  threads: number;
  /** Tasks waiting for a thread before run() fails with OVERLOADED. */
  maxQueue: number;
  /** What the workers do, for messages: "image hashing", "evaluation". */
  work: string;
  /** Told of every worker that crashed or could not start (the server logs it); default: a process warning on stderr. */
  onWorkerFailure?: (error: Error) => void;
  /** After the pool lost every worker, run() refuses this long before starting new ones. */
  restartDelayMs?: number;
  /** Longest wait for a free thread before run() fails with OVERLOADED (503, Retry-After); default: no limit. */
  queueTimeoutMs?: number;
}

const QUEUE_FULL = /Task queue is at limit|No task queue available/;

/** Long enough not to spin on a worker file that cannot load; short enough to recover soon. */
export const DEFAULT_RESTART_DELAY_MS = 5_000;

/**
 * A piscina pool whose worker failures fail tasks, never the process. Piscina emits
 * 'error' when a worker dies with no task in hand (typically a worker file that cannot
 * load, e.g. a missing package); with no listener, that event would kill the process.
 * Here it fails what it must instead:
 * - a task whose worker crashed, or that was queued on a pool whose workers all failed
 *   to start, rejects with WORKER_FAILED (503);
 * - once every worker is gone (piscina then stops replacing them and would leave tasks
 *   queued forever), the pool is dropped; run() answers WORKER_FAILED at once until
 *   `restartDelayMs` has passed, then starts a fresh pool.
 * A task that throws inside a healthy worker (a bug) rejects with its own error.
 */
export class WorkerPool {
  readonly #options: Required<WorkerPoolOptions>;
  #piscina: Piscina | undefined;
  readonly #admission: Admission;
  /** Workers lost to a crash or a failed start, ever (a task compares it before and after). */
  #lostWorkers = 0;
  #failedAt = 0;
  #closed = false;

  constructor(options: WorkerPoolOptions) {
    this.#options = {
      restartDelayMs: DEFAULT_RESTART_DELAY_MS,
      queueTimeoutMs: Infinity,
      onWorkerFailure: (error) => process.emitWarning(`a worker thread of ${options.work} failed: ${error.message}`),
      ...options,
    };
    this.#piscina = this.#start();
    // Tasks wait here, in order and against a deadline, rather than in piscina's queue.
    this.#admission = new Admission({
      slots: this.#options.threads,
      maxWaiting: this.#options.maxQueue,
      timeoutMs: this.#options.queueTimeoutMs,
      work: options.work,
    });
  }

  get threads(): number {
    return this.#options.threads;
  }

  get maxQueue(): number {
    return this.#options.maxQueue;
  }

  /** Runs `name` (a named export of the worker file; default export when omitted). */
  async run<TTask, TResult>(task: TTask, options: { name?: string; transferList?: ArrayBuffer[] } = {}): Promise<TResult> {
    this.#current(); // refuse at once when closed or while the workers are failing
    return this.#admission.run(() => this.#runNow<TTask, TResult>(task, options));
  }

  async #runNow<TTask, TResult>(task: TTask, options: { name?: string; transferList?: ArrayBuffer[] }): Promise<TResult> {
    const piscina = this.#current();
    const lostBefore = this.#lostWorkers;
    try {
      return (await piscina.run(task, { ...(options.name ? { name: options.name } : {}), transferList: options.transferList ?? [] })) as TResult;
    } catch (error) {
      if (error instanceof Error && QUEUE_FULL.test(error.message)) {
        throw new RempartError('OVERLOADED', `${this.#options.work} is at capacity (${this.#options.maxQueue} waiting); retry later`);
      }
      // piscina removes a dead worker before it rejects that worker's task.
      if (this.#lostWorkers !== lostBefore || this.#piscina !== piscina) {
        throw new RempartError('WORKER_FAILED', `${this.#options.work} failed: the worker thread stopped (the cause is in the server log); retry later`);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const piscina = this.#piscina;
    this.#piscina = undefined;
    await piscina?.close();
  }

  #current(): Piscina {
    if (this.#closed) throw new Error(`the ${this.#options.work} pool is closed`);
    if (this.#piscina) return this.#piscina;
    if (Date.now() - this.#failedAt < this.#options.restartDelayMs) {
      throw new RempartError(
        'WORKER_FAILED',
        `${this.#options.work} is unavailable: its worker threads failed to start (the cause is in the server log); retry later`,
      );
    }
    this.#piscina = this.#start();
    return this.#piscina;
  }

  #start(): Piscina {
    const piscina = new Piscina({
      filename: this.#options.filename,
      minThreads: this.#options.threads,
      maxThreads: this.#options.threads,
      maxQueue: this.#options.maxQueue,
    });
    piscina.on('workerDestroy', () => {
      if (this.#piscina === piscina && !this.#closed) this.#lostWorkers++;
    });
    piscina.on('error', (error: Error) => this.#onError(piscina, error));
    return piscina;
  }

  #onError(piscina: Piscina, error: Error): void {
    this.#options.onWorkerFailure(error);
    // Workers failed to start and piscina will not replace them: queued tasks would wait forever.
    if (this.#piscina === piscina && piscina.threads.length === 0) {
      this.#piscina = undefined;
      this.#failedAt = Date.now();
      // Rejects the queued tasks; run() maps them to WORKER_FAILED (the pool changed).
      void piscina.destroy();
    }
  }
}
