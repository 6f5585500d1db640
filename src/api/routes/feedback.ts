import type { FastifyPluginAsync } from 'fastify';
import { MAX_TAG_LENGTH, MAX_TAGS, OUTCOME_NAMES } from '../../service/feedback.js';
import type { ApiEngine } from '../engine.js';
import { BODY_ERRORS, bearerAuth, errors } from '../schemas.js';

/** Platforms tell the bank what they did with each match (Bearer API key, like matching). */
export const feedbackRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  app.addHook('onRequest', async (request) => {
    request.platform = await rempart.platforms.authenticate(request.headers.authorization);
  });

  app.post(
    '/v1/feedback',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Report what you did with matches: blocked, not blocked (not what the hash claims), pending review…',
        description:
          'One entry per matched hash id (`h_…` from /v1/match). A later report replaces your earlier one on the same hash. ' +
          'Hashes that several platforms report as not_blocked go to the operators for review and stop matching meanwhile.',
        security: bearerAuth,
        body: {
          type: 'object',
          required: ['feedback'],
          additionalProperties: false,
          properties: {
            feedback: {
              type: 'array',
              minItems: 1,
              maxItems: rempart.config.maxBatch,
              items: {
                type: 'object',
                required: ['id', 'outcome'],
                additionalProperties: false,
                properties: {
                  id: { type: 'string', maxLength: 64, description: 'the hash id a match returned (h_…)' },
                  outcome: { type: 'string', enum: OUTCOME_NAMES },
                  tags: {
                    type: 'array',
                    maxItems: MAX_TAGS,
                    items: { type: 'string', minLength: 1, maxLength: MAX_TAG_LENGTH },
                    description: 'free-form labels (e.g. your policy or reason)',
                  },
                },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              recorded: { type: 'integer', description: 'reports stored' },
              unknown: { type: 'array', items: { type: 'string' }, description: 'ids that name no live hash (withdrawn, or never issued)' },
            },
          },
          ...errors(...BODY_ERRORS, 401, 503),
        },
      },
    },
    async (request) => {
      const { feedback } = request.body as { feedback: { id: string; outcome: string; tags?: string[] }[] };
      const result = await rempart.feedback.report(request.platform!, feedback);
      return { recorded: result.recorded.length, unknown: result.unknown };
    },
  );
};
