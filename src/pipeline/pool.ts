import * as workerThreads from 'node:worker_threads';
import { RempartError } from '../errors.js';
import { algorithmNames, getAlgorithm } from '../hashing/registry.js';
import { emptyImage, tooManyBytes } from './decode-errors.js';
import type { ImageHashes } from './hash-image.js';
import { HASH_TASK, type HashTask, type HashTaskResult } from './messages.js';
import { resolvePoolOptions, type HashingPoolOptions, type ResolvedPoolOptions } from './options.js';
import { unwrapResult } from './run-task.js';
import { locateHashWorker } from '../worker-location.js';
import { WorkerPool } from './worker-pool.js';

export { DEFAULT_LIMITS } from './limits.js';
export type { DecodeLimits } from './limits.js';
export type { HashingPoolOptions } from './options.js';
export type { ImageHashes } from './hash-image.js';

export interface HashImageOptions {
  /** Registered algorithm names; default: every registered algorithm. */
  algorithms?: readonly string[];
  /** Also derive the 7 other dihedral hashes, for algorithms that have them. */
  dihedral?: boolean;
  /** Also derive a matching profile's registered or query set (validated by the caller). */
  profile?: { name: string; side: 'registered' | 'query' };
}

/**
 * Node 21+ marks buffers whose memory belongs to native code (e.g. sharp's output) as
 * untransferable: posting them in a transfer list throws DataCloneError. Node 20 has no
 * such mark (and no such function).
 */
const isMarkedAsUntransferable = (workerThreads as { isMarkedAsUntransferable?: (value: object) => boolean }).isMarkedAsUntransferable;

/**
 * Hands bytes to a worker without copying: the whole ArrayBuffer is transferred, so
 * the caller's view is detached afterwards. A view on a shared or larger buffer (e.g.
 * Node's Buffer pool), or on memory that cannot be transferred, is copied first, so
 * transferring never detaches unrelated data nor fails.
 */
export function transferable(bytes: Uint8Array): { view: Uint8Array; buffer: ArrayBuffer } {
  const { buffer } = bytes;
  if (
    buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === buffer.byteLength &&
    isMarkedAsUntransferable?.(buffer) !== true
  ) {
    return { view: bytes, buffer };
  }
  const copy = new Uint8Array(bytes);
  return { view: copy, buffer: copy.buffer };
}

function resolveAlgorithms(requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return [...algorithmNames];
  if (!Array.isArray(requested) || requested.length === 0) {
    throw new RempartError('BAD_REQUEST', 'algorithms must list at least one algorithm');
  }
  const names = [...new Set(requested)];
  for (const name of names) {
    try {
      getAlgorithm(name);
    } catch (error) {
      throw new RempartError('UNKNOWN_ALGORITHM', (error as Error).message);
    }
  }
  return names;
}

/**
 * Decodes and hashes images on a piscina pool of worker threads, never on the event
 * loop. Bytes stay in memory: nothing is written to disk or logged.
 */
export class HashingPool {
  readonly #options: ResolvedPoolOptions;
  readonly #workers: WorkerPool;
  #closed = false;

  constructor(options: HashingPoolOptions = {}, events: { onWorkerFailure?: (error: Error) => void } = {}) {
    this.#options = resolvePoolOptions(options);
    this.#workers = new WorkerPool({
      filename: locateHashWorker(),
      threads: this.#options.threads,
      maxQueue: this.#options.maxQueue,
      queueTimeoutMs: this.#options.queueTimeoutSeconds * 1000,
      work: 'image hashing',
      ...(events.onWorkerFailure ? { onWorkerFailure: events.onWorkerFailure } : {}),
    });
  }

  get threads(): number {
    return this.#options.threads;
  }

  get limits(): ResolvedPoolOptions['limits'] {
    return this.#options.limits;
  }

  /**
   * Hashes one image. Takes ownership of `bytes`: its buffer is transferred to the
   * worker and is detached (empty) when this returns. Rejects with RempartError:
   * IMAGE_* for bad input, UNKNOWN_ALGORITHM, OVERLOADED when the queue is full,
   * WORKER_FAILED when a worker thread crashed or could not start.
   */
  async hashImage(bytes: Uint8Array, options: HashImageOptions = {}): Promise<ImageHashes> {
    if (this.#closed) throw new Error('HashingPool is closed');
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    const { limits } = this.#options;
    if (bytes.byteLength === 0) throw emptyImage();
    if (bytes.byteLength > limits.maxInputBytes) throw tooManyBytes(bytes.byteLength, limits);
    const algorithms = resolveAlgorithms(options.algorithms);
    const { view, buffer } = transferable(bytes);
    const task: HashTask = { bytes: view, algorithms, dihedral: options.dihedral === true, limits };
    if (options.profile) task.profile = options.profile;
    const result = await this.#workers.run<HashTask, HashTaskResult>(task, { name: HASH_TASK, transferList: [buffer] });
    return unwrapResult(result);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#workers.close();
  }
}
