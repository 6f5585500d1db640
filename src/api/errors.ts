import type { FastifyError, FastifyInstance } from 'fastify';
import { ERROR_STATUS, RempartError, isErrorCode } from '../errors.js';
import { MEDIA_BODY } from './image-body.js';

function mebibytes(bytes: number): string {
  return `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;
}

/** Fastify's own 4xx errors, under our codes and with messages a client can act on. */
const FASTIFY_ERRORS: Record<string, { code: keyof typeof ERROR_STATUS; message?: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'BAD_REQUEST', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'BAD_REQUEST', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_TYPE: { code: 'BAD_REQUEST', message: 'Content-Type header is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_REQUEST' },
};

/**
 * One place turns every error into `{ statusCode, error, message }`. Domain errors keep
 * their code; validation errors become 400 naming the field; anything unexpected is a 500
 * whose details go to the log only.
 */
export function registerErrorHandling(app: FastifyInstance, limits: { maxImageBytes: number; maxJsonBytes: number }): void {
  app.setErrorHandler((error: FastifyError & { code?: string }, request, reply) => {
    if (error instanceof RempartError) {
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
      return reply.status(error.statusCode).send({ statusCode: error.statusCode, error: error.code, message: error.message });
    }
    // Hash-parsing errors from src/hashing (kept free of this module) carry a code.
    if (isErrorCode(error.code) && error.code in ERROR_STATUS && !error.statusCode) {
      const status = ERROR_STATUS[error.code];
      return reply.status(status).send({ statusCode: status, error: error.code, message: error.message });
    }
    if (error.validation) {
      return reply.status(400).send({ statusCode: 400, error: 'BAD_REQUEST', message: error.message });
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      // Images, videos and JSON have their own limits: name the one this body went over.
      const type = request.headers['content-type'] ?? '';
      const limit = request.routeOptions.bodyLimit ?? limits.maxJsonBytes;
      const [code, what] = !MEDIA_BODY.test(type)
        ? (['BODY_TOO_LARGE', 'JSON body'] as const)
        : /^image\//i.test(type) || limit <= limits.maxImageBytes
          ? (['IMAGE_TOO_LARGE', 'image'] as const)
          : (['VIDEO_TOO_LARGE', 'video'] as const);
      const status = ERROR_STATUS[code];
      return reply.status(status).send({ statusCode: status, error: code, message: `the ${what} is larger than the limit of ${limit} bytes (${mebibytes(limit)})` });
    }
    const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
    if (known) {
      const status = ERROR_STATUS[known.code];
      const message =
        error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `Content-Type "${request.headers['content-type'] ?? ''}" is not accepted here: send JSON, or image or video bytes as image/*, video/* or application/octet-stream where the route takes them`
          : (known.message ?? error.message);
      return reply.status(status).send({ statusCode: status, error: known.code, message });
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send({ statusCode: error.statusCode, error: 'BAD_REQUEST', message: error.message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send({ statusCode: 500, error: 'INTERNAL', message: 'internal error; the details are in the server log' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ statusCode: 404, error: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });
}
