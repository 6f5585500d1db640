import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { Rempart } from '../service/rempart.js';
import type { ErasureEvent } from '../store/types.js';
import { buildApp } from './app.js';
import { buildOperatorApp } from './operator/app.js';

export interface RunningServer {
  app: FastifyInstance;
  /** The operators' listener (analysts' console), unless turned off (REMPART_OPERATOR_PORT=off). */
  operatorApp: FastifyInstance | undefined;
  rempart: Rempart;
  url: string;
  /** Where the console is: http://127.0.0.1:8081/console/ by default. */
  operatorUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * Opens the engine, listens, then loads the index: liveness answers at once, readiness
 * (and matching) only once every stored hash is indexed.
 */
export async function startServer(config: Config, logger: boolean | object = { level: config.logLevel }): Promise<RunningServer> {
  const rempart = await Rempart.open(config);
  let app: FastifyInstance;
  let operatorApp: FastifyInstance | undefined;
  try {
    app = await buildApp(rempart, { logger: logger as never });
    rempart.events.on('erasure', (event) => logErasure(app.log, event));
    rempart.events.on('database.connection', (err) => app.log.warn({ err }, 'database connection lost; it is replaced on next use'));
    rempart.events.on('worker.failed', (err) => app.log.error({ err }, 'a hashing worker thread failed; its images were refused with WORKER_FAILED'));
    await app.listen({ host: config.host, port: config.port });
    if (config.operatorPort >= 0) {
      operatorApp = await buildOperatorApp(rempart, { loggerInstance: app.log.child({ listener: 'operator' }) });
      await operatorApp.listen({ host: config.operatorHost, port: config.operatorPort });
    }
  } catch (error) {
    await operatorApp?.close();
    await app!?.close();
    await rempart.close();
    throw error;
  }
  const loaded = await rempart.loadIndex({ onError: (err) => app.log.error({ err }, 'index follower failed') });
  rempart.startBackgroundWork((err) => app.log.error({ err }, 'background work failed'));
  app.log.info({ ...loaded, dataDir: config.dataDir }, 'index loaded; ready');

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    operatorApp,
    rempart,
    url: `http://${host}:${port}`,
    operatorUrl: operatorApp === undefined ? undefined : `${listenerUrl(operatorApp, config.operatorHost)}/console/`,
    close: () => (closing ??= Promise.all([app.close(), operatorApp?.close()]).then(() => rempart.close())),
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
