/**
 * Main-thread side of hashing: a small pool of workers fed from a queue, so many or large
 * images never freeze the page. Files are handed to the worker by reference.
 */
import type { HashReply, HashRequest } from './messages.js';

/** Where the build puts the worker bundle (see src/web/build.ts). */
const WORKER_URL = 'assets/hash-worker.js';

interface Pending {
  request: HashRequest;
  resolve: (reply: HashReply) => void;
}

export class HashingPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private live = 0;
  private nextId = 1;

  constructor(size = defaultPoolSize()) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_URL, { name: `rempart-hash-${i}` });
      worker.onmessage = (event: MessageEvent<HashReply>) => this.finish(worker, event.data);
      worker.onerror = (event) => this.fail(worker, event.message || 'the hashing worker stopped');
      this.idle.push(worker);
      this.live++;
    }
  }

  /** Resolves with the hashes or a failure; never rejects, never hangs. */
  hash(file: Blob): Promise<HashReply> {
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, file }, resolve });
      this.pump();
    });
  }

  private pump(): void {
    if (this.live === 0) {
      // No worker could start (very old browser, blocked script): say so for each image.
      for (const pending of this.queue.splice(0)) {
        pending.resolve({ id: pending.request.id, ok: false, failure: 'internal', detail: 'no hashing worker is running' });
      }
      return;
    }
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const pending = this.queue.shift()!;
      this.busy.set(worker, pending);
      worker.postMessage(pending.request);
    }
  }

  private finish(worker: Worker, reply: HashReply): void {
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    this.idle.push(worker);
    pending?.resolve(reply);
    this.pump();
  }

  /** An uncaught error (or a script that never loaded): retire the worker, fail its image. */
  private fail(worker: Worker, detail: string): void {
    const pending = this.busy.get(worker);
    this.busy.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    worker.terminate();
    this.live--;
    pending?.resolve({ id: pending.request.id, ok: false, failure: 'internal', detail });
    this.pump();
  }
}

/** Two workers at most: a 12-megapixel photo needs ~50 MB while decoding, and phones are small. */
function defaultPoolSize(): number {
  const cores = navigator.hardwareConcurrency || 2;
  return Math.max(1, Math.min(2, cores - 1));
}
