import type { FastifyInstance } from 'fastify';
import { RempartError } from '../errors.js';

/** Content types taken as image bytes. */
export const IMAGE_BODY = /^(image\/[a-z0-9.+-]+|application\/octet-stream)(;.*)?$/i;
/** Content types taken as image or video bytes. */
export const MEDIA_BODY = /^(image\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|application\/octet-stream)(;.*)?$/i;

/**
 * Lets the routes of one plugin take raw image bytes as the body. The bytes stay in a
 * Buffer in memory: they are handed to the worker pool and never logged or stored.
 */
export function acceptImageBodies(app: FastifyInstance, maxImageBytes: number): void {
  app.addContentTypeParser(
    IMAGE_BODY,
    { parseAs: 'buffer', bodyLimit: maxImageBytes },
    (_request, body, done) => done(null, body),
  );
}

/**
 * Lets the routes of one plugin take raw image or video bytes as the body (image/*,
 * video/*, application/octet-stream). Each route sets its own `bodyLimit` (images: the
 * image limit; routes taking videos: the video limit); the format is decided from the
 * bytes, never from the Content-Type.
 */
export function acceptMediaBodies(app: FastifyInstance, limits: { maxImageBytes: number; maxVideoBytes: number }): void {
  app.addContentTypeParser(
    MEDIA_BODY,
    { parseAs: 'buffer', bodyLimit: Math.max(limits.maxImageBytes, limits.maxVideoBytes) },
    (_request, body, done) => done(null, body),
  );
}

/** The request body as image or video bytes, or a clear 4xx when it is not. */
export function mediaBytes(body: unknown): Uint8Array {
  if (!(body instanceof Uint8Array)) {
    throw new RempartError(
      'IMAGE_UNSUPPORTED',
      'send the image or video bytes as the request body with Content-Type image/*, video/* or application/octet-stream',
    );
  }
  if (body.length === 0) throw new RempartError('IMAGE_EMPTY', 'the request body is empty: send the image or video bytes');
  return body;
}

/** The request body as image bytes, or a clear 4xx when it is not. */
export function imageBytes(body: unknown): Uint8Array {
  if (!(body instanceof Uint8Array)) {
    throw new RempartError(
      'IMAGE_UNSUPPORTED',
      'send the image bytes as the request body with Content-Type image/* or application/octet-stream',
    );
  }
  if (body.length === 0) throw new RempartError('IMAGE_EMPTY', 'the request body is empty: send the image bytes');
  return body;
}
