import { availableParallelism } from 'node:os';
import { DEFAULT_LIMITS, MAX_DECODE_TIMEOUT_SECONDS, type DecodeLimits } from './limits.js';

export interface HashingPoolOptions {
  /** Worker threads; default: every core (os.availableParallelism()). */
  threads?: number;
  /** Largest accepted upload in bytes; default DEFAULT_LIMITS.maxInputBytes. */
  maxInputBytes?: number;
  /** Largest accepted image in pixels; default DEFAULT_LIMITS.maxPixels. */
  maxPixels?: number;
  /** Images waiting for a thread before hashImage fails with OVERLOADED; default 64. */
  maxQueue?: number;
  /**
   * Whole seconds (1..3600) one decode may take before the image is refused with
   * IMAGE_TIMEOUT, freeing the worker; default DEFAULT_LIMITS.decodeTimeoutSeconds (20).
   */
  decodeTimeoutSeconds?: number;
  /** Longest wait for a free thread (seconds, may be fractional) before OVERLOADED; default: no limit. */
  queueTimeoutSeconds?: number;
}

export interface ResolvedPoolOptions {
  threads: number;
  maxQueue: number;
  queueTimeoutSeconds: number;
  limits: DecodeLimits;
}

/** Bounds memory held by waiting uploads (64 × 50 MB at worst) while absorbing bursts. */
export const DEFAULT_MAX_QUEUE = 64;

const KNOWN_OPTIONS = new Set(['threads', 'maxInputBytes', 'maxPixels', 'maxQueue', 'decodeTimeoutSeconds', 'queueTimeoutSeconds']);

function checkCount(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`options.${name} must be a number, got ${value === null ? 'null' : typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`options.${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** sharp counts its timeout in whole seconds; 0 would mean "never", so it is refused. */
function checkTimeout(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`options.decodeTimeoutSeconds must be a number, got ${value === null ? 'null' : typeof value}`);
  }
  if (!Number.isInteger(value) || value < 1 || value > MAX_DECODE_TIMEOUT_SECONDS) {
    throw new RangeError(
      `options.decodeTimeoutSeconds must be a whole number of seconds from 1 to ${MAX_DECODE_TIMEOUT_SECONDS}, got ${value}`,
    );
  }
  return value;
}

function checkQueueTimeout(value: unknown): number {
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) {
    throw new RangeError(`options.queueTimeoutSeconds must be a positive number of seconds, got ${String(value)}`);
  }
  return value;
}

/** Checks each option on its own, with a message naming it (piscina's style). */
export function resolvePoolOptions(options: unknown = {}): ResolvedPoolOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw new TypeError(`options.${key} is not a HashingPool option`);
  }
  const given = options as Record<string, unknown>;
  return {
    threads: checkCount('threads', given.threads, 1) ?? availableParallelism(),
    maxQueue: checkCount('maxQueue', given.maxQueue, 0) ?? DEFAULT_MAX_QUEUE,
    queueTimeoutSeconds: checkQueueTimeout(given.queueTimeoutSeconds),
    limits: {
      maxInputBytes: checkCount('maxInputBytes', given.maxInputBytes, 1) ?? DEFAULT_LIMITS.maxInputBytes,
      maxPixels: checkCount('maxPixels', given.maxPixels, 1) ?? DEFAULT_LIMITS.maxPixels,
      decodeTimeoutSeconds: checkTimeout(given.decodeTimeoutSeconds) ?? DEFAULT_LIMITS.decodeTimeoutSeconds,
    },
  };
}
