/**
 * The messages between HashingPool (main thread) and workers/hash.worker.ts, typed once.
 * Error subclasses do not survive structured clone, so failures travel as data.
 */
import type { ErrorCode } from '../errors.js';
import type { ImageHashes } from './hash-image.js';
import type { DecodeLimits } from './limits.js';

/** Name of the worker export that hashes (piscina's `name` run option). */
export const HASH_TASK = 'hashImage';

export interface HashTask {
  /** The upload; its ArrayBuffer is transferred to the worker, not copied. */
  bytes: Uint8Array;
  algorithms: string[];
  dihedral: boolean;
  limits: DecodeLimits;
  /** A matching profile's set to derive too (see src/hashing/profile). */
  profile?: { name: string; side: 'registered' | 'query' };
}

export type TaskResult<T> =
  | { ok: true; value: T }
  /** `message` is user-facing and never contains image bytes. */
  | { ok: false; code: ErrorCode; message: string };

export type HashTaskResult = TaskResult<ImageHashes>;
