import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { NoticeAnswer } from '../../service/takedown/notices.js';
import type { PlatformRecord } from '../../store/types.js';
import type { ApiEngine } from '../engine.js';
import { BODY_ERRORS, bearerAuth, errors } from '../schemas.js';

const notice = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'notice id (n_…)' },
    category: { type: 'string', enum: ['ncii', 'minor'], description: '"minor": content of a minor, passed on to the authorities; remove at once' },
    createdAt: { type: 'string' },
    deadlineAt: { type: 'string', description: 'answer every link before this time' },
    overdue: { type: 'boolean' },
    status: { type: 'string', enum: ['open', 'answered'] },
    explanation: { type: 'string', description: 'the hotline’s explanation of why the content is illegal' },
    notifier: { type: 'object', properties: { name: { type: 'string' }, email: { type: ['string', 'null'] } } },
    links: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string', description: 'link id (l_…), to answer with' },
          url: { type: 'string' },
          outcome: { type: ['string', 'null'], enum: ['removed', 'refused', null] },
          reason: { type: ['string', 'null'] },
          answeredAt: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

const noticeParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 40 } } } as const;

/**
 * Takedown notices for a registered platform (API key): list them, read one, answer per
 * link (`removed`, or `refused` with a reason). The same notices arrive by signed webhook
 * (`notice.created`) when the platform has an endpoint.
 */
export const noticeRoutes: FastifyPluginAsync<{ rempart: Pick<ApiEngine, 'notices' | 'platforms'> }> = async (app, { rempart }) => {
  const platforms = new WeakMap<FastifyRequest, PlatformRecord>();
  app.addHook('onRequest', async (request) => {
    platforms.set(request, await rempart.platforms.authenticate(request.headers.authorization));
  });
  const platformOf = (request: FastifyRequest) => platforms.get(request)!;

  app.get(
    '/v1/notices',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Takedown notices sent to this platform (open ones by default), oldest first',
        security: bearerAuth,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['open', 'all'], default: 'open' },
            after: { type: 'string', maxLength: 40, description: 'the `next` of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
          },
        },
        response: {
          200: { type: 'object', properties: { notices: { type: 'array', items: notice }, next: { type: ['string', 'null'] } } },
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const query = request.query as { status: 'open' | 'all'; after?: string; limit: number };
      return rempart.notices.listForPlatform(platformOf(request), query);
    },
  );

  app.get(
    '/v1/notices/:id',
    {
      schema: {
        tags: ['platforms'],
        summary: 'One notice',
        security: bearerAuth,
        params: noticeParams,
        response: { 200: notice, ...errors(401, 404) },
      },
    },
    async (request) => rempart.notices.getForPlatform(platformOf(request), (request.params as { id: string }).id),
  );

  app.post(
    '/v1/notices/:id/answers',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Answer a notice, per link: removed, or refused with a reason',
        security: bearerAuth,
        params: noticeParams,
        body: {
          type: 'object',
          required: ['answers'],
          additionalProperties: false,
          properties: {
            answers: {
              type: 'array',
              minItems: 1,
              maxItems: 500,
              items: {
                type: 'object',
                required: ['link', 'outcome'],
                additionalProperties: false,
                properties: {
                  link: { type: 'string', maxLength: 40 },
                  outcome: { type: 'string', enum: ['removed', 'refused'] },
                  reason: { type: 'string', maxLength: 1000, description: 'required when refused' },
                },
              },
            },
          },
        },
        response: { 200: notice, ...errors(...BODY_ERRORS, 401, 404) },
      },
    },
    async (request) => {
      const { answers } = request.body as { answers: NoticeAnswer[] };
      return rempart.notices.answerAsPlatform(platformOf(request), (request.params as { id: string }).id, answers);
    },
  );
};
