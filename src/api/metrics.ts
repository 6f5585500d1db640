import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Rempart } from '../service/rempart.js';

/**
 * Prometheus metrics at /metrics: request latency per route, matches per algorithm, and
 * the index size. Counts only: no hash, case number or platform key appears in a label.
 */
const metrics: FastifyPluginAsync<{ rempart: Rempart }> = async (app, { rempart }) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rempart_' });

  const duration = new Histogram({
    name: 'rempart_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const matches = new Counter({
    name: 'rempart_matches_total',
    help: 'Matches returned to platforms, by algorithm',
    labelNames: ['algorithm'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'rempart_indexed_hashes',
    help: 'Hashes in the in-memory index',
    registers: [registry],
    collect() {
      this.set(rempart.matcher.size());
    },
  });
  new Gauge({
    name: 'rempart_ready',
    help: '1 once the index is loaded',
    registers: [registry],
    collect() {
      this.set(rempart.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'rempart_erasure_pending',
    help: '1 while withdrawn hash values may still be in the database files (a reader holds up the WAL checkpoint)',
    registers: [registry],
    collect() {
      this.set(rempart.erasureStatus().pending ? 1 : 0);
    },
  });
  rempart.matching.onMatches = (algorithm, count) => matches.inc({ algorithm }, count);

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the raw URL (which may hold a case number).
    const route = request.routeOptions.url ?? 'unknown';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
};

/** Not encapsulated: its onResponse hook must see every route of the app. */
export const metricsPlugin = fp(metrics, { name: 'rempart-metrics' });
