import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { RempartError } from '../errors.js';
import type { RateLimitService } from '../service/rate-limits.js';

/**
 * Per-address limits on the public endpoints (hashing an image, registering and reading
 * cases): they take no credential, so this is what stands between them and a flood.
 * Platforms are authenticated and query at high rate: their routes carry no limit.
 * The counts live in the engine's store, so replicas on one database share each limit.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number, counts: Pick<RateLimitService, 'count'>): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    global: false,
    max: perMinute,
    timeWindow: '1 minute',
    store: storeBackedCounts(counts),
    errorResponseBuilder: (_request, context) =>
      new RempartError('RATE_LIMITED', `too many requests from this address: at most ${context.max} per minute; retry in ${context.after}`),
  });
}

/** Route option that applies the public limit (a no-op when limits are off). */
export const PUBLIC_LIMIT = { rateLimit: {} } as const;

/** @fastify/rate-limit's store contract (incr, child per route) over the engine's counts. */
function storeBackedCounts(counts: Pick<RateLimitService, 'count'>) {
  return class StoreBackedCounts implements FastifyRateLimitStore {
    private readonly route: string;

    /** The plugin passes its options; a route's child passes the route's name. */
    constructor(options?: unknown) {
      this.route = typeof options === 'string' ? options : '';
    }

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow?: number): void {
      counts.count(this.route, key, timeWindow ?? 60_000).then(
        ({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }),
        (error: unknown) => callback(error as Error),
      );
    }

    child(routeOptions: { method?: string | string[]; url?: string; routeInfo?: { method?: string; url?: string } }): FastifyRateLimitStore {
      const method = routeOptions.routeInfo?.method ?? routeOptions.method;
      const url = routeOptions.routeInfo?.url ?? routeOptions.url;
      return new StoreBackedCounts(`${String(method ?? '')} ${url ?? ''}`);
    }
  };
}
