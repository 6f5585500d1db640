import fs from 'node:fs';
import path from 'node:path';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { ApiEngine } from './engine.js';
import { webPlugin } from '../web/plugin.js';
import { registerErrorHandling } from './errors.js';
import { type Metrics, metricsPlugin } from './metrics.js';
import { registerRateLimit } from './rate-limit.js';
import { registerIdleTimeout } from './idle-timeout.js';
import { registerRequestLog } from './request-log.js';
import { registerTextFields } from './text-fields.js';
import { caseRoutes } from './routes/cases.js';
import { hashingRoutes } from './routes/hashing.js';
import { healthRoutes } from './routes/health.js';
import { noticeRoutes } from './routes/notices.js';
import { feedbackRoutes } from './routes/feedback.js';
import { followRoutes } from './routes/follow.js';
import { platformRoutes } from './routes/platforms.js';
import { STOPNCII_BASE_PATH, stopNciiRoutes } from './routes/stopncii.js';
import { reportRoutes } from './routes/reports.js';

const VERSION = (
  JSON.parse(fs.readFileSync(new URL(findPackageJson(), import.meta.url), 'utf8')) as { version: string }
).version;

export interface AppOptions {
  /** pino logger options or instance, as fastify takes them; false for none. */
  logger?: FastifyServerOptions['logger'];
  /** Collects request timings into these metrics (startServer passes them when an operator port is set). */
  metrics?: Metrics;
}

/**
 * Builds the HTTP app (without listening): one plugin per audience, JSON Schema on every
 * route, one error handler, the OpenAPI document at /openapi.json and its docs at /docs.
 */
export async function buildApp(rempart: ApiEngine, options: AppOptions = {}): Promise<FastifyInstance> {
  const { config } = rempart;
  const app = Fastify({
    logger: options.logger ?? false,
    // request-log.ts writes one line per request without the URL or (by default) the address.
    logController: new LogController({ disableRequestLogging: true }),
    // JSON bodies are hashes: 1,000 hashes with dihedral variants fit well under 4 MiB.
    bodyLimit: rempart.config.maxJsonBytes,
    // Slow or silent clients must not hold connections (issue 10, item 9): the whole request
    // within requestTimeout, its headers within headersTimeout, silence limited by
    // registerIdleTimeout and, between requests, by keepAliveTimeout.
    requestTimeout: config.requestTimeoutSeconds * 1000,
    keepAliveTimeout: Math.min(5_000, config.idleTimeoutSeconds * 1000),
    http: {
      headersTimeout: config.headersTimeoutSeconds * 1000,
      // Node checks the two timeouts above on this interval (30 s by default).
      connectionsCheckingInterval: Math.min(1_000, (config.headersTimeoutSeconds * 1000) / 2),
    },
    // Behind a reverse proxy, the client's address comes from X-Forwarded-For (rate limits).
    trustProxy: (_address: string, hop: number) => hop < rempart.config.trustProxyHops,
    // Unknown fields are refused (not silently dropped) and types are not coerced: a typo
    // must be a 400 naming the field, never success with another meaning (text-fields.ts
    // reads query strings and path parameters).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  registerErrorHandling(app, { maxImageBytes: rempart.config.maxImageBytes, maxJsonBytes: rempart.config.maxJsonBytes });
  registerTextFields(app);
  registerRequestLog(app, rempart.config.logClientAddresses);
  registerIdleTimeout(app, config.idleTimeoutSeconds * 1000);
  await registerRateLimit(app, rempart.config.rateLimitPerMinute, rempart.rateLimits);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Rempart',
        version: VERSION,
        description:
          'Perceptual-hash matching engine: victims register hashes of their images (never the images), platforms match uploads against them.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'a platform API key (rk_…), created by an operator with `rempart platform add`' },
          caseSecret: { type: 'http', scheme: 'bearer', description: 'the case secret shown once at registration (any case, spaces and dashes optional)' },
          functionsKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'a platform API key (rk_…)' },
        },
      },
      tags: [
        { name: 'victims', description: 'register, read and withdraw a case; report where the content appears (case secret as Bearer token)' },
        { name: 'platforms', description: 'match hashes and images, sync the hash list, answer takedown notices (API key as Bearer token)' },
        { name: 'stopncii', description: 'StopNCII-compatible exchange for HMA and StopNCII clients (API key in x-functions-key)' },
        { name: 'hashing', description: 'hash an image in memory; algorithms in use' },
        { name: 'health', description: 'liveness and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // Request timings for the operator's /metrics (served on its own listener, see server.ts).
  if (options.metrics) await app.register(metricsPlugin, { metrics: options.metrics });
  await app.register(healthRoutes, { rempart });
  await app.register(hashingRoutes, { rempart });
  await app.register(caseRoutes, { rempart });
  await app.register(platformRoutes, { rempart });
  await app.register(feedbackRoutes, { rempart });
  await app.register(followRoutes, { rempart });
  await app.register(stopNciiRoutes, { rempart, prefix: STOPNCII_BASE_PATH });
  await app.register(reportRoutes, { rempart });
  await app.register(noticeRoutes, { rempart });
  // The victim's page, at `/` (built into dist/web by `npm run build`).
  await app.register(webPlugin);
  return app;
}

/** package.json, relative to this module, from src/api (sources) or dist/src/api (build). */
function findPackageJson(): string {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    const url = new URL(candidate, import.meta.url);
    if (fs.existsSync(url) && path.basename(path.dirname(url.pathname)) !== 'dist') return candidate;
  }
  return '../../package.json';
}
