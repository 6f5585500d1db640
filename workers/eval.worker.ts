/**
 * Piscina worker of `rempart eval`: one original in, the hashes of its transformed
 * variants out (src/eval/worker-task.ts). A separate entry from hash.worker.ts, so the
 * service's hashing threads never load the evaluation's code or its reference hashers.
 */
import sharp from 'sharp';
import { evaluateImage } from '../src/eval/worker-task.js';

// One task per thread already uses every core (see hash.worker.ts).
sharp.concurrency(1);
sharp.cache(false);

export { evaluateImage };
export default evaluateImage;
export { blockhashImage, profileImage } from '../src/eval/profile-task.js';
export { marginTail } from '../src/eval/profile-tail.js';
