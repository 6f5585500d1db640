import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CaseRegisteredEvent, MatchesEvent } from '../service/events.js';
import type { ApiEngine } from './engine.js';

/**
 * Prometheus metrics: request latency per route, matches per algorithm, registrations and
 * withdrawals, the index size and readiness. Counts only: no hash, case number or platform
 * key appears in a label. Served on the operator listener (buildOperatorApp), never on the
 * public one: registration counts and traffic are the hotline's business.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly detach: () => void;

  constructor(rempart: ApiEngine) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry, prefix: 'rempart_' });
    this.duration = new Histogram({
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
    const truncated = new Counter({
      name: 'rempart_truncated_queries_total',
      help: 'Query hashes whose matches were cut at the per-hash cap',
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

    // Observers of the engine's events, detached on close (the engine may outlive the server).
    const onMatches = (event: MatchesEvent) => {
      for (const [algorithm, count] of Object.entries(event.byAlgorithm)) matches.inc({ algorithm }, count);
      if (event.truncatedQueries > 0) truncated.inc(event.truncatedQueries);
    };
    const onRegistered = (event: CaseRegisteredEvent) => registered.inc({ by: event.by });
    const onWithdrawn = () => withdrawn.inc();
    rempart.events.on('matches', onMatches);
    rempart.events.on('case.registered', onRegistered);
    rempart.events.on('case.withdrawn', onWithdrawn);
    this.detach = () => {
      rempart.events.off('matches', onMatches);
      rempart.events.off('case.registered', onRegistered);
      rempart.events.off('case.withdrawn', onWithdrawn);
    };
  }

  /** One request answered; `route` is the route pattern, never the raw URL (it may hold a case number). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.duration.observe({ method, route, status: String(status) }, seconds);
  }

  close(): void {
    this.detach();
  }
}

/** Times every request of the public app. Not encapsulated: its hook must see every route. */
export const metricsPlugin = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    app.addHook('onResponse', async (request, reply) => {
      metrics.observeRequest(request.method, request.routeOptions.url ?? 'unknown', reply.statusCode, reply.elapsedTime / 1000);
    });
  },
  { name: 'rempart-metrics' },
);

/**
 * `GET /metrics`, for the operators' listener (src/api/operator/app.ts) only: on its own
 * address and port (loopback by default), so nothing of it is reachable through the public
 * port. No login: Prometheus scrapes it; the listener's address is the protection.
 */
export const metricsRoute = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
  },
  { name: 'rempart-metrics-route' },
);
