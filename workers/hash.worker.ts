/**
 * Piscina worker: decodes and hashes images off the event loop. Kept trivial: the
 * logic lives in src/pipeline (tested directly). Named exports are task handlers,
 * selected with piscina's `name` run option; the default export hashes. It imports
 * only what the service needs: the evaluation has its own entry (eval.worker.ts).
 */
import sharp from 'sharp';
import { runHashTask } from '../src/pipeline/run-task.js';

// Piscina already runs one task per thread on every core: libvips threads inside each
// task would only oversubscribe them. Its operation cache would keep pixels of past
// uploads in memory.
sharp.concurrency(1);
sharp.cache(false);

export const hashImage = runHashTask;
export default runHashTask;
export { runHashVideoTask as hashVideo } from '../src/pipeline/video/run-task.js';
