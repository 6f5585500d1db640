import type { FastifyPluginAsync } from 'fastify';
import type { ApiEngine } from '../engine.js';

/** Liveness (the process answers) apart from readiness (the index is loaded). */
export const healthRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  app.get(
    '/health/live',
    { schema: { tags: ['health'], summary: 'The process is up', response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } } } },
    async () => ({ status: 'ok' }),
  );

  const readiness = {
    type: 'object',
    properties: { status: { type: 'string', enum: ['ready', 'loading'] }, indexedHashes: { type: 'integer' } },
  } as const;

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Ready to match: 503 until the index is loaded from the store',
        response: { 200: readiness, 503: { ...readiness, description: 'the index is still loading' } },
      },
    },
    async (_request, reply) => {
      if (!rempart.ready) return reply.status(503).header('retry-after', '5').send({ status: 'loading', indexedHashes: rempart.indexedHashes() });
      return { status: 'ready', indexedHashes: rempart.indexedHashes() };
    },
  );
};
