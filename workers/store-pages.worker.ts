/**
 * Worker thread: reads the store's hashes for the index's start-up load (see
 * src/store/sqlite/page-reader.ts, where the logic and its protocol live).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type PageReadRequest, servePackedPages } from '../src/store/sqlite/page-reader.js';

if (!parentPort) throw new Error('store-pages.worker.js runs as a worker thread only');
await servePackedPages(parentPort, workerData as PageReadRequest);
