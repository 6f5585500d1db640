import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { Rempart } from '../service/rempart.js';
import { buildApp } from './app.js';

export interface RunningServer {
  app: FastifyInstance;
  rempart: Rempart;
  url: string;
  close(): Promise<void>;
}

/**
 * Opens the engine, listens, then loads the index: liveness answers at once, readiness
 * (and matching) only once every stored hash is indexed.
 */
export async function startServer(config: Config, logger: boolean | object = { level: config.logLevel }): Promise<RunningServer> {
  const rempart = new Rempart(config);
  let app: FastifyInstance;
  try {
    app = await buildApp(rempart, { logger: logger as never });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await rempart.close();
    throw error;
  }
  const loaded = await rempart.loadIndex({ onError: (err) => app.log.error({ err }, 'index follower failed') });
  app.log.info({ ...loaded, dataDir: config.dataDir }, 'index loaded; ready');

  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    app,
    rempart,
    url: `http://${host}:${port}`,
    close: () => (closing ??= app.close().then(() => rempart.close())),
  };
}
