/**
 * The operators' listener: the analysts' console (page and JSON API) on its own address,
 * loopback by default (REMPART_OPERATOR_HOST / REMPART_OPERATOR_PORT), never on the public
 * listener that victims and platforms reach. Sessions ride in an HttpOnly, SameSite=Strict
 * cookie; every state-changing request must also carry the session's CSRF token.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Rempart } from '../../service/rempart.js';
import { consolePagePlugin } from '../../web/console-plugin.js';
import { registerErrorHandling } from '../errors.js';
import { type Metrics, metricsRoute } from '../metrics.js';
import { consoleRoutes } from './console-routes.js';

/** What the operator side uses of the engine. */
export type OperatorEngine = Pick<
  Rempart,
  'config' | 'operators' | 'casework' | 'notices' | 'templates' | 'reporting' | 'webhooks' | 'platforms' | 'cases' | 'review'
>;

export async function buildOperatorApp(
  rempart: OperatorEngine,
  options: {
    logger?: FastifyServerOptions['logger'];
    loggerInstance?: FastifyBaseLogger;
    consoleRoot?: string;
    /** Prometheus metrics to serve at GET /metrics (startServer passes the engine's). */
    metrics?: Metrics;
  } = {},
): Promise<FastifyInstance> {
  const bodyLimit = 1024 * 1024;
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    bodyLimit,
    trustProxy: (_address: string, hop: number) => hop < rempart.config.trustProxyHops,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  registerErrorHandling(app, { maxImageBytes: bodyLimit, maxJsonBytes: bodyLimit });
  if (options.metrics) await app.register(metricsRoute, { metrics: options.metrics });
  await app.register(consoleRoutes, { rempart, prefix: '/console/api' });
  await app.register(consolePagePlugin, { root: options.consoleRoot });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
  return app;
}
