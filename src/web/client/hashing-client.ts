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
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending>();
  private nextId = 1;

  constructor(size = defaultPoolSize()) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER_URL, { name: `rempart-hash-${i}` });
      worker.onmessage = (event: MessageEvent<HashReply>) => this.finish(worker, event.data);
      this.idle.push(worker);
    }
  }

  /** Resolves with the hashes or a failure; never rejects. */
  hash(file: Blob): Promise<HashReply> {
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, file }, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop()!;
      const pending = this.queue.shift()!;
      this.inFlight.set(pending.request.id, pending);
      worker.postMessage(pending.request);
    }
  }

  private finish(worker: Worker, reply: HashReply): void {
    const pending = this.inFlight.get(reply.id);
    this.inFlight.delete(reply.id);
    this.idle.push(worker);
    pending?.resolve(reply);
    this.pump();
  }
}

/** Two workers at most: a 12-megapixel photo needs ~50 MB while decoding, and phones are small. */
function defaultPoolSize(): number {
  const cores = navigator.hardwareConcurrency || 2;
  return Math.max(1, Math.min(2, cores - 1));
}
