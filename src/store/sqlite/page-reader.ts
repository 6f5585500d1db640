/**
 * SQLite only: reads the store's hashes on a worker thread, a page at a time, already
 * packed for the index: at start-up, SQLite paging and packing (about 40% of the work)
 * then run on one core while the index takes the pages on the other. Pages cross by transfer, not copy,
 * and at most `ahead` pages wait, so memory stays bounded whatever the bank's size.
 */
import type { MessagePort } from 'node:worker_threads';
import { Worker } from 'node:worker_threads';
import { locateWorker } from '../../worker-location.js';
import { type PackedPage, packBatch, pageBuffers } from '../packed-pages.js';
import { openConnection } from './connection.js';
import { HashPageReader } from './hash-pages.js';

export const PAGE_READER_WORKER = 'store-pages.worker.js';

export interface PageReadRequest {
  /** The SQLite database file (opened read-only by the worker). */
  file: string;
  /** Only ids above this one. */
  afterId: number;
  batchSize: number;
  /** Pages read ahead of the consumer. */
  ahead: number;
}

type WorkerMessage = { type: 'page'; page: PackedPage } | { type: 'end' };

/**
 * Main thread: the pages of `request`, in id order, read by a worker thread. Used by the
 * SQLite store's `indexPages` when asked to read ahead; nothing else opens the file.
 */
export async function* readPackedPagesInWorker(request: PageReadRequest): AsyncGenerator<PackedPage> {
  const worker = new Worker(locateWorker(PAGE_READER_WORKER), { workerData: request });
  const queue: WorkerMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: WorkerMessage) => {
    queue.push(message);
    notify();
  });
  worker.on('error', (error: unknown) => {
    failure = error instanceof Error && error.message ? error : new Error(`the store page reader failed: ${describe(error)}`);
    notify();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`the store page reader stopped (exit code ${code}) before the last page`);
    notify();
  });
  try {
    for (;;) {
      const message = queue.shift();
      if (message?.type === 'end') return;
      if (message) {
        worker.postMessage('more');
        yield message.page;
        continue;
      }
      if (failure) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
}

/** Worker thread: streams the pages of `request` to `port`, `ahead` pages at most unacknowledged. */
export async function servePackedPages(port: MessagePort, request: PageReadRequest): Promise<void> {
  let db: ReturnType<typeof openConnection>;
  try {
    db = openConnection(request.file, true);
  } catch (error) {
    // Only plain Errors cross threads intact: keep the code and message in the text.
    throw new Error(`cannot open ${request.file} to read its hashes: ${describe(error)}`);
  }
  let credits = request.ahead;
  let wake: (() => void) | undefined;
  port.on('message', () => {
    credits++;
    wake?.();
  });
  try {
    for (const batch of new HashPageReader(db).batches(request.batchSize, request.afterId)) {
      while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
      credits--;
      const page = packBatch(batch);
      port.postMessage({ type: 'page', page } satisfies WorkerMessage, pageBuffers(page));
    }
    port.postMessage({ type: 'end' } satisfies WorkerMessage);
  } finally {
    db.close();
    port.removeAllListeners('message');
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${(error as { code?: string }).code ?? error.name}: ${error.message}`;
  return typeof error === 'object' && error !== null ? JSON.stringify(error) : String(error);
}
