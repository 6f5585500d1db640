import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RempartError } from '../../errors.js';
import type { ApiEngine } from '../engine.js';
import { refuseOnFollower } from './cases.js';
import { CSP_FEEDBACK_VALUES, STOPNCII_DEFAULT_PAGE, STOPNCII_MAX_PAGE } from '../../service/stopncii.js';
import type { PlatformRecord } from '../../store/types.js';
import { errors } from '../schemas.js';

/** Where the StopNCII-compatible API lives; HMA's `base_url_override` is this path on the server. */
export const STOPNCII_BASE_PATH = '/stopncii/v1';

const functionsKey = [{ functionsKey: [] }];

const status = { type: 'string', enum: ['Active', 'Withdrawn', 'Deleted'] } as const;

const hashRecord = {
  type: 'object',
  required: ['lastModtimestamp', 'signalType', 'hashValue', 'hashStatus', 'caseNumbers', 'CSPFeedbacks'],
  properties: {
    lastModtimestamp: { type: 'integer', description: 'Unix seconds' },
    signalType: { type: 'string', enum: ['ImagePDQ', 'VideoMD5'] },
    hashValue: { type: 'string', description: '64 lowercase hex characters (ImagePDQ), 32 (VideoMD5)' },
    hashStatus: status,
    caseNumbers: {
      type: 'object',
      description: 'opaque hash ids (h_…) and their status; never a case number',
      additionalProperties: status,
    },
    CSPFeedbacks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          feedbackValue: { type: 'string', enum: [...CSP_FEEDBACK_VALUES] },
          tags: { type: 'array', items: { type: 'string' } },
          source: { type: 'string', description: 'the platform that gave it' },
        },
      },
    },
  },
} as const;

/** A digit string: parsed here, so the query's meaning never depends on ajv's type coercion. */
const digits = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;

/**
 * The client requests `"/".join((base_url, endpoint))`: a base URL entered with a trailing
 * slash (`…/stopncii/v1/`, easy to paste into HMA) asks for `…/stopncii/v1//FetchHashes`.
 * Both spellings are served; the second is left out of the API documentation.
 */
function spellings(endpoint: string): string[] {
  return [`/${endpoint}`, `//${endpoint}`];
}

function platformOf(request: FastifyRequest): PlatformRecord {
  return request.platform!;
}

/**
 * The StopNCII-compatible API (python-threatexchange's StopNCII client, HMA's `stop_ncii`
 * exchange): authentication by a Rempart platform key in `x-functions-key`; the client's
 * `Ocp-Apim-Subscription-Key` may hold anything.
 */
export const stopNciiRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  app.addHook('onRequest', async (request) => {
    const key = request.headers['x-functions-key'];
    if (typeof key !== 'string' || key.length === 0) {
      throw new RempartError('UNAUTHORIZED', 'this endpoint needs a platform API key in the x-functions-key header');
    }
    request.platform = await rempart.platforms.authenticateKey(key);
  });

  for (const url of spellings('FetchHashes')) app.get(
    url,
    {
      schema: {
        hide: url !== '/FetchHashes',
        tags: ['stopncii'],
        summary: 'StopNCII-compatible FetchHashes: hash records modified at or after startTimestamp',
        description:
          'Keep startTimestamp fixed while following nextPageToken until hasMoreRecords is false, then store ' +
          'nextSetTimestamp as the next startTimestamp. Records are full snapshots: a later one replaces an earlier one.',
        security: functionsKey,
        querystring: {
          type: 'object',
          required: ['startTimestamp'],
          additionalProperties: false,
          properties: {
            startTimestamp: { ...digits, description: 'Unix seconds (the client starts at 10)' },
            pageSize: { ...digits, description: `records per page, 1 to ${STOPNCII_MAX_PAGE} (default ${STOPNCII_DEFAULT_PAGE})` },
            nextPageToken: { type: 'string', maxLength: 512 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['count', 'nextPageToken', 'nextSetTimestamp', 'hasMoreRecords', 'hashRecords'],
            properties: {
              count: { type: 'integer' },
              nextPageToken: { type: ['string', 'null'] },
              nextSetTimestamp: { type: 'integer' },
              hasMoreRecords: { type: 'boolean' },
              hashRecords: { type: 'array', items: hashRecord },
            },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      refuseOnFollower(rempart, 'read the feed at the bank it follows');
      const query = request.query as { startTimestamp: string; pageSize?: string; nextPageToken?: string };
      return rempart.stopncii.fetchHashes(platformOf(request), {
        startTimestamp: Number(query.startTimestamp),
        pageSize: query.pageSize === undefined ? undefined : Number(query.pageSize),
        nextPageToken: query.nextPageToken || undefined,
      });
    },
  );

  for (const url of spellings('SubmitFeedback')) app.post(
    url,
    {
      schema: {
        hide: url !== '/SubmitFeedback',
        tags: ['stopncii'],
        summary: 'StopNCII-compatible SubmitFeedback: what you did with hashes, by hash value',
        description:
          'Applies to every live hash with that value (64 hex: ImagePDQ; 32 hex: VideoMD5). feedbackValue: Blocked (reviewed, blocked), NotBlocked (reviewed: not what ' +
          'the hash claims; several platforms saying so send the hash to review), PendingReview, None, Unknown, QualityUnknown, Withdrawn, Deleted.',
        security: functionsKey,
        body: {
          type: 'object',
          required: ['count', 'hashFeedbacks'],
          properties: {
            count: { type: 'integer', minimum: 0 },
            hashFeedbacks: {
              type: 'array',
              maxItems: rempart.config.maxBatch,
              items: {
                type: 'object',
                required: ['hashValue', 'feedbackValue'],
                properties: {
                  hashValue: { type: 'string', maxLength: 64 },
                  feedbackValue: { type: 'string', enum: [...CSP_FEEDBACK_VALUES] },
                  tags: { type: 'array', items: { type: 'string' } },
                },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              count: { type: 'integer' },
              recorded: { type: 'integer', description: 'reports stored (one per live hash holding each value)' },
              unknownHashValues: { type: 'array', items: { type: 'string' } },
            },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => {
      refuseOnFollower(rempart, 'send feedback by id to its POST /v1/feedback (it goes on to the bank), or to the bank');
      const body = request.body as { count: number; hashFeedbacks: { hashValue: string; feedbackValue: string; tags?: string[] }[] };
      return rempart.stopncii.submitFeedback(platformOf(request), body);
    },
  );
};
