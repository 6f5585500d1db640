import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { Rempart } from '../service/rempart.js';
import type { ErasureEvent } from '../store/types.js';
import { buildApp } from './app.js';
import { Metrics } from './metrics.js';
import { buildOperatorApp } from './operator/app.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The operators' listener (analysts' console, /metrics), unless turned off (REMPART_OPERATOR_PORT=off). */
  operatorApp: FastifyInstance | undefined;
  rempart: Rempart;
  url: string;
  /** Where the console is: http://127.0.0.1:8081/console/ by default. */
  operatorUrl: string | undefined;
  /** The operators' listener's address: GET /metrics there (never on the public listener). */
  metricsUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * Opens the engine, listens, then loads the index: liveness answers at once, readiness
 * (and matching) only once every stored hash is indexed.
 */
export async function startServer(config: Config, logger: boolean | object = { level: config.logLevel }): Promise<RunningServer> {
  const rempart = await Rempart.open(config);
  // Metrics are served on the operators' listener only: none without it.
  const metrics = config.operatorPort >= 0 ? new Metrics(rempart) : undefined;
  let app: FastifyInstance | undefined;
  let operatorApp: FastifyInstance | undefined;
  try {
    app = await buildApp(rempart, { logger: logger as never, metrics });
    const log = app.log;
    rempart.events.on('erasure', (event) => logErasure(log, event));
    rempart.events.on('database.connection', (err) => log.warn({ err }, 'database connection lost; it is replaced on next use'));
    rempart.events.on('worker.failed', (err) => log.error({ err }, 'a hashing worker thread failed; its images were refused with WORKER_FAILED'));
    await app.listen({ host: config.host, port: config.port });
    if (config.operatorPort >= 0) {
      operatorApp = await buildOperatorApp(rempart, { loggerInstance: app.log.child({ listener: 'operator' }), metrics });
      await operatorApp.listen({ host: config.operatorHost, port: config.operatorPort });
    }
  } catch (error) {
    metrics?.close();
    await operatorApp?.close();
    await app?.close();
    await rempart.close();
    throw error;
  }
  const running = app;
  const operatorBase = operatorApp === undefined ? undefined : listenerUrl(operatorApp, config.operatorHost);
  if (operatorBase) running.log.info(`operators' listener at ${operatorBase}: console at /console/, metrics at /metrics`);
  const loaded = await rempart.loadIndex({ onError: (err) => running.log.error({ err }, 'index follower failed') });
  rempart.startBackgroundWork((err) => running.log.error({ err }, 'background work failed'));
  running.log.info({ ...loaded, dataDir: config.dataDir }, 'index loaded; ready');

  let closing: Promise<void> | undefined;
  const close = async () => {
    metrics?.close();
    await Promise.all([running.close(), operatorApp?.close()]);
    await rempart.close();
  };
  return {
    app: running,
    operatorApp,
    rempart,
    url: listenerUrl(running, config.host),
    operatorUrl: operatorBase === undefined ? undefined : `${operatorBase}/console/`,
    metricsUrl: operatorBase,
    close: () => (closing ??= close()),
  };
}

/** Withdrawn values held in the files by another connection's reader: the operator must hear of it. */
function logErasure(log: FastifyBaseLogger, { kind, status, pendingMs }: ErasureEvent): void {
  if (kind === 'stalled') {
    log.error(
      { pendingMs, attempts: status.attempts, lastError: status.lastError },
      'erasure pending: withdrawn hash values are still in the database files (SQLite: another connection reads an older snapshot and holds the WAL; PostgreSQL: VACUUM has not completed); retrying until it ends',
    );
  } else {
    log.warn({ pendingMs, attempts: status.attempts }, 'erasure complete: withdrawn hash values have left the database files');
  }
}

function listenerUrl(app: FastifyInstance, configuredHost: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return `http://${configuredHost.includes(':') ? `[${configuredHost}]` : configuredHost}:${port}`;
}
