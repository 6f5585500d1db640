import type { FastifyPluginAsync } from 'fastify';
import type { ApiEngine } from '../engine.js';

/** Liveness (the process answers) apart from readiness (the index is loaded). */
export const healthRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  app.get('/health/live', { schema: { tags: ['health'], summary: 'The process is up' } }, async () => ({ status: 'ok' }));

  app.get(
    '/health/ready',
    { schema: { tags: ['health'], summary: 'Ready to match: 503 until the index is loaded from the store' } },
    async (_request, reply) => {
      if (!rempart.ready) return reply.status(503).send({ status: 'loading', indexedHashes: rempart.indexedHashes() });
      return { status: 'ready', indexedHashes: rempart.indexedHashes() };
    },
  );
};
