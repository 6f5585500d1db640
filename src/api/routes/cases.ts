import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RempartError } from '../../errors.js';
import { CASE_NUMBER_PATTERN } from '../../service/credentials.js';
import { bearerToken } from '../../service/platforms.js';
import type { ApiEngine } from '../engine.js';
import { BODY_ERRORS, caseSecretAuth, errors, itemHash, videoRegistration, wireHash } from '../schemas.js';
import type { WireHash } from '../../hashing/index.js';
import type { WireItem } from '../../service/cases.js';
import type { VideoItemInput } from '../../service/video-items.js';
import { PUBLIC_LIMIT } from '../rate-limit.js';

const caseStatus = {
  type: 'object',
  properties: {
    caseNumber: { type: 'string' },
    status: { type: 'string', enum: ['active', 'withdrawn'] },
    hashCount: { type: 'integer' },
    matchCount: { type: 'integer', description: 'times a platform upload matched one of the hashes' },
    platformsBlocked: { type: 'integer', description: 'platforms that reported having blocked copies (never which ones)' },
    heldHashes: { type: 'integer', description: 'hashes waiting for an operator’s review before they go live' },
    rejectedHashes: { type: 'integer', description: 'hashes refused after review (their values are erased)' },
    createdAt: { type: 'string' },
    withdrawnAt: { type: ['string', 'null'] },
    removedHashes: { type: 'integer' },
  },
} as const;

const caseParams = {
  type: 'object',
  required: ['caseNumber'],
  properties: {
    caseNumber: {
      type: 'string',
      maxLength: 32,
      description: `case number (${CASE_NUMBER_PATTERN}); read as typed by hand: any case, spaces and dashes optional, the RMP prefix optional`,
    },
  },
} as const;

function caseSecret(request: FastifyRequest): string {
  const secret = bearerToken(request.headers.authorization);
  if (!secret) throw new RempartError('CASE_AUTH', 'send the case secret as Authorization: Bearer <case secret>');
  return secret;
}

/** A follower (serve --follow) holds copies of other banks: what belongs to a bank is done there. */
export function refuseOnFollower(rempart: Pick<ApiEngine, 'config'>, what: string): void {
  if (rempart.config.follow.length > 0) {
    throw new RempartError('FORBIDDEN', `this Rempart is a read-only follower of ${rempart.config.follow.map((f) => f.url).join(', ')}: ${what}`);
  }
}

/** The victim's endpoints: register, read and withdraw a case. */
export const caseRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  app.post(
    '/v1/cases',
    {
      config: PUBLIC_LIMIT,
      schema: {
        tags: ['victims'],
        summary: 'Register a case from hashes of images and videos computed on the victim’s device',
        description:
          'Returns the case number and the case secret. The secret is shown only here: Rempart keeps only a slow salted hash of it. ' +
          'Images are sent as their hashes; videos as their MD5 and their sampled frames (PDQ hash, time, quality). One case may hold both.',
        body: {
          type: 'object',
          additionalProperties: false,
          description:
            'Either `hashes` (one item per hash, as before) or `items`: each image with the set of hashes derived from it ' +
            '(POST /v1/hash?profile=pdq-regions or the page computes it); and/or `videos`: each video as its MD5 and ' +
            'sampled frames (POST /v1/hash answers exactly this for a video, or the page computes it). Platforms are answered once per item.',
          properties: {
            hashes: { type: 'array', items: wireHash, minItems: 1, maxItems: rempart.config.maxBatch },
            items: {
              type: 'array',
              minItems: 1,
              maxItems: rempart.config.maxBatch,
              items: {
                type: 'object',
                required: ['hashes'],
                additionalProperties: false,
                properties: {
                  kind: { type: 'string', enum: ['image'] },
                  hashes: { type: 'array', items: itemHash, minItems: 1, maxItems: rempart.config.maxBatch },
                },
              },
            },
            videos: { type: 'array', items: videoRegistration, minItems: 1, maxItems: 20 },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              caseNumber: { type: 'string' },
              caseSecret: { type: 'string' },
              hashCount: { type: 'integer', description: 'hashes live now' },
              heldHashes: { type: 'integer', description: 'hashes held for an operator’s review (near a known-benign image, or a burst of near-identical submissions)' },
              createdAt: { type: 'string' },
            },
          },
          ...errors(...BODY_ERRORS, 422, 429),
        },
      },
    },
    async (request, reply) => {
      refuseOnFollower(rempart, 'cases are registered at the bank it follows');
      const { hashes, items, videos = [] } = request.body as { hashes?: WireHash[]; items?: WireItem[]; videos?: VideoItemInput[] };
      if (hashes !== undefined && items !== undefined) {
        throw new RempartError('BAD_REQUEST', 'send either hashes (a flat list) or items (each image with its set of hashes), not both');
      }
      if (hashes === undefined && items === undefined && videos.length === 0) {
        throw new RempartError('BAD_REQUEST', 'send hashes (a flat list), items (each image with its set of hashes) or videos');
      }
      const origin = { address: request.ip };
      const created = items ? await rempart.cases.registerItems(items, videos, origin) : await rempart.cases.register(hashes ?? [], videos, origin);
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/v1/cases/:caseNumber',
    {
      config: PUBLIC_LIMIT,
      schema: {
        tags: ['victims'],
        summary: 'Read a case: status, number of hashes, number of matches',
        params: caseParams,
        security: caseSecretAuth,
        response: { 200: caseStatus, ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      const { caseNumber } = request.params as { caseNumber: string };
      return rempart.cases.status(caseNumber, caseSecret(request));
    },
  );

  app.delete(
    '/v1/cases/:caseNumber',
    {
      config: PUBLIC_LIMIT,
      schema: {
        tags: ['victims'],
        summary: 'Withdraw a case: every hash leaves the index and the store at once',
        params: caseParams,
        security: caseSecretAuth,
        response: { 200: caseStatus, ...errors(...BODY_ERRORS, 401, 429) },
      },
    },
    async (request) => {
      const { caseNumber } = request.params as { caseNumber: string };
      return rempart.cases.withdraw(caseNumber, caseSecret(request));
    },
  );
};
