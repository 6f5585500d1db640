import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RempartError } from '../../errors.js';
import { CASE_NUMBER_PATTERN } from '../../service/credentials.js';
import { bearerToken } from '../../service/platforms.js';
import type { ReportInput, ReportLinkInput } from '../../service/report-shapes.js';
import { MAX_DESCRIPTION, MAX_LINKS_PER_REQUEST } from '../../service/takedown/reports.js';
import type { ApiEngine } from '../engine.js';
import { PUBLIC_LIMIT } from '../rate-limit.js';
import { BODY_ERRORS, caseSecretAuth, errors } from '../schemas.js';

const caseParams = {
  type: 'object',
  required: ['caseNumber'],
  properties: { caseNumber: { type: 'string', maxLength: 32, description: `case number (${CASE_NUMBER_PATTERN})` } },
} as const;

const linkInput = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', maxLength: 2048, description: 'where the content appears (http or https)' },
    site: { type: 'string', maxLength: 200, description: 'the platform or site, if known' },
  },
} as const;

const links = { type: 'array', items: linkInput, minItems: 1, maxItems: MAX_LINKS_PER_REQUEST } as const;

const victimReport = {
  type: 'object',
  properties: {
    caseNumber: { type: 'string' },
    status: { type: 'string', enum: ['open', 'closed', 'withdrawn'] },
    ageBracket: { type: 'string', enum: ['minor', 'adult'] },
    createdAt: { type: 'string' },
    hasDescription: { type: 'boolean' },
    hasContact: { type: 'boolean' },
    links: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          url: { type: 'string' },
          host: { type: 'string' },
          status: {
            type: 'string',
            enum: ['received', 'under_review', 'not_found', 'not_illegal', 'notice_sent', 'removed', 'refused', 'withdrawn'],
          },
          reason: { type: ['string', 'null'] },
          updatedAt: { type: 'string' },
          removedAt: { type: ['string', 'null'] },
        },
      },
    },
    answer: { type: ['object', 'null'], properties: { text: { type: 'string' }, at: { type: 'string' } } },
  },
} as const;

function caseSecret(request: FastifyRequest): string {
  const secret = bearerToken(request.headers.authorization);
  if (!secret) throw new RempartError('CASE_AUTH', 'send the case secret as Authorization: Bearer <case secret>');
  return secret;
}

/**
 * The victim's report on her case: where her content appears online, for the hotline to
 * get it removed. Personal data (description, contact) is sealed at rest and never comes back.
 */
export const reportRoutes: FastifyPluginAsync<{ rempart: Pick<ApiEngine, 'reports'> }> = async (app, { rempart }) => {
  app.post(
    '/v1/cases/:caseNumber/report',
    {
      config: PUBLIC_LIMIT,
      schema: {
        tags: ['victims'],
        summary: 'Report where the content appears, for the hotline to get it taken down',
        description:
          'One report per case; add links later with POST …/report/links. The description and contact are encrypted at rest, read only by the hotline’s analysts, never sent to platforms, and erased when the case is withdrawn or the report closed.',
        params: caseParams,
        security: caseSecretAuth,
        body: {
          type: 'object',
          required: ['ageBracket', 'links'],
          additionalProperties: false,
          properties: {
            ageBracket: { type: 'string', enum: ['minor', 'adult'], description: 'was the person shown a minor?' },
            links,
            description: { type: 'string', maxLength: MAX_DESCRIPTION },
            contact: { type: 'string', maxLength: 254, description: 'an email address the hotline may write to' },
            language: { type: 'string', enum: ['fr', 'en'] },
          },
        },
        response: { 201: victimReport, ...errors(...BODY_ERRORS, 401, 409, 429) },
      },
    },
    async (request, reply) => {
      const { caseNumber } = request.params as { caseNumber: string };
      const report = await rempart.reports.report(caseNumber, caseSecret(request), request.body as ReportInput);
      return reply.status(201).header('cache-control', 'no-store').send(report);
    },
  );

  app.post(
    '/v1/cases/:caseNumber/report/links',
    {
      config: PUBLIC_LIMIT,
      schema: {
        tags: ['victims'],
        summary: 'Add links to the report (links already there are ignored)',
        params: caseParams,
        security: caseSecretAuth,
        body: { type: 'object', required: ['links'], additionalProperties: false, properties: { links } },
        response: { 200: victimReport, ...errors(...BODY_ERRORS, 401, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const { caseNumber } = request.params as { caseNumber: string };
      const { links: added } = request.body as { links: ReportLinkInput[] };
      return reply.header('cache-control', 'no-store').send(await rempart.reports.addLinks(caseNumber, caseSecret(request), added));
    },
  );

  app.get(
    '/v1/cases/:caseNumber/report',
    {
      config: PUBLIC_LIMIT,
      schema: {
        tags: ['victims'],
        summary: 'Where each reported link stands, and the hotline’s answer',
        params: caseParams,
        security: caseSecretAuth,
        response: { 200: victimReport, ...errors(400, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      const { caseNumber } = request.params as { caseNumber: string };
      return reply.header('cache-control', 'no-store').send(await rempart.reports.read(caseNumber, caseSecret(request)));
    },
  );
};
