import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CaseRegisteredEvent, MatchesEvent } from '../service/events.js';
import type { ApiEngine } from './engine.js';

/**
 * Prometheus metrics at /metrics: request latency per route, matches per algorithm, and
 * the index size. Counts only: no hash, case number or platform key appears in a label.
 */
const metrics: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
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
      this.set(rempart.indexedHashes());
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
    async collect() {
      this.set((await rempart.erasureStatus()).pending ? 1 : 0);
    },
  });
  const registered = new Counter({
    name: 'rempart_cases_registered_total',
    help: 'Cases registered, by who registered them (victim, operator)',
    labelNames: ['by'] as const,
    registers: [registry],
  });
  const withdrawn = new Counter({ name: 'rempart_cases_withdrawn_total', help: 'Cases withdrawn', registers: [registry] });
  // Observers of the engine's events, removed when the app closes (the engine may outlive it).
  const onMatches = (event: MatchesEvent) => {
    for (const [algorithm, count] of Object.entries(event.byAlgorithm)) matches.inc({ algorithm }, count);
  };
  const onRegistered = (event: CaseRegisteredEvent) => registered.inc({ by: event.by });
  const onWithdrawn = () => withdrawn.inc();
  rempart.events.on('matches', onMatches);
  rempart.events.on('case.registered', onRegistered);
  rempart.events.on('case.withdrawn', onWithdrawn);
  app.addHook('onClose', async () => {
    rempart.events.off('matches', onMatches);
    rempart.events.off('case.registered', onRegistered);
    rempart.events.off('case.withdrawn', onWithdrawn);
  });

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
