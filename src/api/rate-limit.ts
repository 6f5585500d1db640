import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { RempartError } from '../errors.js';

/**
 * Per-address limits on the public endpoints (hashing an image, registering and reading
 * cases): they take no credential, so this is what stands between them and a flood.
 * Platforms are authenticated and query at high rate: their routes carry no limit.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    global: false,
    max: perMinute,
    timeWindow: '1 minute',
    errorResponseBuilder: (_request, context) =>
      new RempartError('RATE_LIMITED', `too many requests from this address: at most ${context.max} per minute; retry in ${context.after}`),
  });
}

/** Route option that applies the public limit (a no-op when limits are off). */
export const PUBLIC_LIMIT = { rateLimit: {} } as const;
