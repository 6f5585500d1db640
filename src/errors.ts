/**
 * Every domain error the engine raises, with its stable code and HTTP status, in one
 * place (as fastify's lib/errors.js does). Modules throw `new RempartError(code, message)`;
 * src/api maps it to `{ statusCode, error: code, message }`. Hash-parsing errors from
 * src/hashing (which must stay free of this module's dependencies) map by their `code`.
 */
export const ERROR_STATUS = {
  // Input
  BAD_REQUEST: 400,
  HASH_FORMAT: 400,
  UNKNOWN_ALGORITHM: 400,
  LOW_QUALITY: 422,
  /** A value no image produces (e.g. a handful of bits set): see src/service/registration-rules.ts. */
  IMPLAUSIBLE_HASH: 422,
  CASE_TOO_LARGE: 422,
  /** A JSON body over the JSON limit (images have their own limit and code). */
  BODY_TOO_LARGE: 413,
  // Images
  IMAGE_EMPTY: 400,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_MANY_PIXELS: 413,
  IMAGE_UNSUPPORTED: 415,
  /** A body in a content type the route does not take (JSON routes sent an image, a form…). */
  UNSUPPORTED_MEDIA_TYPE: 415,
  IMAGE_CORRUPT: 422,
  IMAGE_TIMEOUT: 422,
  // Videos
  VIDEO_EMPTY: 400,
  VIDEO_TOO_LARGE: 413,
  VIDEO_TOO_LONG: 413,
  VIDEO_TOO_MANY_PIXELS: 413,
  VIDEO_UNSUPPORTED: 415,
  VIDEO_CORRUPT: 422,
  VIDEO_TIMEOUT: 422,
  VIDEO_TOO_COSTLY: 422,
  // Auth
  UNAUTHORIZED: 401,
  CASE_AUTH: 401,
  FORBIDDEN: 403,
  // State
  NOT_FOUND: 404,
  CASE_WITHDRAWN: 409,
  CONFLICT: 409,
  // Service
  RATE_LIMITED: 429,
  NOT_READY: 503,
  OVERLOADED: 503,
  // A worker thread crashed or could not start (e.g. a missing package in a broken install).
  WORKER_FAILED: 503,
  VIDEO_DECODER_MISSING: 503,
  // The database (PostgreSQL) cannot be reached or is restarting; retry shortly.
  DATABASE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class RempartError extends Error {
  readonly statusCode: number;
  /** Seconds after which a retry may succeed (503, 429): sent as the Retry-After header. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'RempartError';
    this.statusCode = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_STATUS, code);
}
