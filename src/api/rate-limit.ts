import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { RempartError } from '../errors.js';
import type { RateLimitService } from '../service/rate-limits.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes no credential: it counts against the per-address budget (PUBLIC_LIMIT). */
    publicLimit?: boolean;
  }
}

/**
 * One budget per client address shared by every public endpoint (the algorithms, hashing an
 * image, registering, reading and withdrawing cases): they take no credential, so this is
 * what stands between them and a flood, and spreading requests over several of them buys
 * nothing. Platforms are authenticated and query at high rate: their routes carry no limit;
 * nor do the health probes. Behind a reverse proxy, the address is the one the trusted hops
 * name (REMPART_TRUST_PROXY_HOPS); with none trusted, X-Forwarded-For is ignored.
 *
 * The counts live in the engine's store, so replicas on one database share each budget.
 *
 * Call before the routes are declared: routes marked with PUBLIC_LIMIT get the limiter.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number, counts: Pick<RateLimitService, 'count'>): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    global: false,
    max: perMinute,
    timeWindow: '1 minute',
    store: storeBackedCounts(counts),
    errorResponseBuilder: (_request, context) =>
      new RempartError('RATE_LIMITED', `too many requests from this address: at most ${context.max} per minute on the public endpoints; retry in ${context.after}`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
  // Without options, the limiter counts in the plugin's one store (route options would give each route its own).
  const shared = app.rateLimit() as onRequestHookHandler;
  app.addHook('onRoute', (route) => {
    if (!route.config?.publicLimit) return;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [shared, ...existing];
  });
}

/** Route config of the public endpoints: they share the per-address budget (a no-op when limits are off). */
export const PUBLIC_LIMIT = { publicLimit: true } as const;

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
