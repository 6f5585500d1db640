import { DEFAULT_PROFILE, NO_PROFILE, listProfiles } from '../../hashing/profile/profile.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { RempartError } from '../../errors.js';
import type { QueryHash } from '../../service/matching.js';
import type { ApiEngine } from '../engine.js';
import { refuseOnFollower } from './cases.js';
import { MAX_SYNC_PAGE, MAX_SYNC_WAIT_SECONDS } from '../../service/sync.js';
import type { PlatformRecord } from '../../store/types.js';
import { acceptMediaBodies, imageBytes, mediaBytes } from '../image-body.js';
import type { VideoQuery } from '../../service/video-matching.js';
import { MAX_QUERY_FRAMES } from '../../service/video-matching.js';
import { BODY_ERRORS, IMAGE_TYPES, VIDEO_TYPES, videoMatch, algorithmName, bearerAuth, dihedralHashes, errors, hexHash, imageInfo, match } from '../schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    platform?: PlatformRecord;
  }
}

function platformOf(request: FastifyRequest): PlatformRecord {
  return request.platform!;
}

/** Videos: dihedral matching of their frames (the profile's derived sets are for still images). */
const dihedralQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { dihedral: { type: 'boolean', description: 'also match mirrored and rotated copies (each frame\'s 8 dihedral hashes)' } },
} as const;

const truncatedFlag = {
  type: 'boolean',
  description: 'more stored hashes matched a query hash than the per-hash cap: only the closest are listed',
} as const;

const imageMatchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dihedral: { type: 'boolean', description: 'also match rotated and mirrored copies (PDQ)' },
    profile: {
      type: 'string',
      enum: [...listProfiles().map((p) => p.name), NO_PROFILE],
      default: DEFAULT_PROFILE,
      description:
        "matching profile whose query set is searched too: trimmed content (borders, captions, screenshots), the upright window of a tilted copy, " +
        "content-anchored regions (crops); its decision rules apply (an upload of PDQ quality under 50 matches nothing, a flat graphic meets whole pictures only, " +
        `and the upload's blockhash is answered only for pictures registered without PDQ). Default ${DEFAULT_PROFILE}; ${NO_PROFILE}: the whole picture's hashes only, as they are`,
    },
  },
} as const;

const batchMatchQuery = {
  type: 'object',
  // Other query parameters were always ignored here (clients send ?dihedral=true, a body field): still are.
  additionalProperties: true,
  properties: {
    profile: {
      type: 'string',
      enum: [...listProfiles().map((p) => p.name), NO_PROFILE],
      default: DEFAULT_PROFILE,
      description:
        `matching profile whose upload rules apply to query hashes that carry their quality: under ${DEFAULT_PROFILE}, a PDQ hash whose quality is ` +
        `under the profile's floor (50) matches nothing, as an image of that quality does at /v1/match/image. ${NO_PROFILE}: every hash is matched as it is`,
    },
  },
} as const;

/** The platforms' endpoints, all behind an API key: batch match, image match, sync. */
export const platformRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  acceptMediaBodies(app, rempart.config);

  app.addHook('onRequest', async (request) => {
    request.platform = await rempart.platforms.authenticate(request.headers.authorization);
  });
  // Matching against a half-loaded index would silently miss registered images.
  const requireReady = () => {
    if (!rempart.ready) throw new RempartError('NOT_READY', 'the hash index is still loading; retry in a few seconds', { retryAfterSeconds: 5 });
  };

  app.post(
    '/v1/match',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Match a batch of hashes (up to the batch limit, 1,000 by default)',
        security: bearerAuth,
        querystring: batchMatchQuery,
        body: {
          type: 'object',
          required: ['hashes'],
          additionalProperties: false,
          properties: {
            hashes: {
              type: 'array',
              minItems: 1,
              maxItems: rempart.config.maxBatch,
              items: {
                type: 'object',
                required: ['algorithm', 'value'],
                additionalProperties: false,
                properties: { algorithm: algorithmName, value: hexHash, quality: { type: 'integer' }, dihedral: dihedralHashes },
              },
            },
            dihedral: { type: 'boolean', description: 'match rotations and mirrors too (each PDQ query must then carry its dihedral hashes)' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              results: {
                type: 'array',
                description: 'one entry per query hash, in order',
                items: {
                  type: 'object',
                  properties: {
                    matches: { type: 'array', items: match, description: 'closest first, at most the per-hash cap (50 by default)' },
                    truncated: truncatedFlag,
                  },
                },
              },
            },
          },
          ...errors(...BODY_ERRORS, 401, 503),
        },
      },
    },
    async (request) => {
      requireReady();
      const { hashes, dihedral } = request.body as { hashes: QueryHash[]; dihedral?: boolean };
      const { profile = DEFAULT_PROFILE } = request.query as { profile?: string };
      const results = await rempart.matching.matchHashes(platformOf(request), hashes, { dihedral: dihedral === true, ...(profile !== NO_PROFILE ? { profile } : {}) });
      return { results };
    },
  );

  app.post(
    '/v1/match/image',
    {
      bodyLimit: rempart.config.maxImageBytes,
      schema: {
        tags: ['platforms'],
        summary: 'Hash an uploaded image in memory and match it (registered images and frames of registered videos)',
        security: bearerAuth,
        consumes: IMAGE_TYPES,
        querystring: imageMatchQuery,
        response: {
          200: {
            type: 'object',
            properties: { ...imageInfo, matched: { type: 'boolean' }, matches: { type: 'array', items: match }, truncated: truncatedFlag },
          },
          ...errors(...BODY_ERRORS, 401, 422, 503),
        },
      },
    },
    async (request) => {
      requireReady();
      const { dihedral, profile = DEFAULT_PROFILE } = request.query as { dihedral?: boolean; profile?: string };
      const { image, matches, truncated } = await rempart.matching.matchImage(platformOf(request), imageBytes(request.body), {
        dihedral: dihedral === true,
        ...(profile !== NO_PROFILE ? { profile } : {}),
      });
      return { ...image, matched: matches.length > 0, matches, truncated };
    },
  );

  const videoAnswer = {
    200: {
      type: 'object',
      properties: {
        video: {
          type: 'object',
          description: 'what was hashed (bytes uploads only)',
          properties: {
            kind: { type: 'string' },
            format: { type: 'string' },
            duration: { type: 'number' },
            frameWidth: { type: 'integer' },
            frameHeight: { type: 'integer' },
            md5: { type: 'string' },
            frames: { type: 'integer', description: 'frames hashed (5 a second)' },
            staticCrop: {
              type: 'array',
              items: { type: 'number' },
              description: 'static bands (a caption bar, letterboxing) found at the edges: the crop [x0, y0, x1, y1] whose frames were searched too',
            },
          },
        },
        matched: { type: 'boolean' },
        matches: { type: 'array', items: videoMatch },
        truncated: {
          type: 'boolean',
          description: 'some frame met more registered hashes than the per-frame cap (REMPART_MAX_MATCHES_PER_HASH): only the closest were weighed',
        },
      },
    },
    ...errors(400, 401, 413, 415, 422, 503),
  };

  app.post(
    '/v1/match/video',
    {
      bodyLimit: rempart.config.maxVideoBytes,
      schema: {
        tags: ['platforms'],
        summary: 'Hash an uploaded video in memory and match it',
        description:
          'The video is decoded by ffmpeg in a child process fed through a pipe (never written to disk), 5 frames a ' +
          'second are hashed, and each registered item that matches is answered once: exact (same MD5) or by its ' +
          'frames, with the seconds of the upload that match at one time offset, the best frame distances and the offset.',
        security: bearerAuth,
        consumes: VIDEO_TYPES,
        querystring: dihedralQuery,
        response: videoAnswer,
      },
    },
    async (request) => {
      requireReady();
      const { dihedral } = request.query as { dihedral?: boolean };
      const { video, matches, truncated } = await rempart.videoMatching.matchVideoBytes(platformOf(request), mediaBytes(request.body), {
        dihedral: dihedral === true,
      });
      return { video, matched: matches.length > 0, matches, truncated };
    },
  );

  app.post(
    '/v1/match/video-hashes',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Match a video from its hashes (frames with times, MD5) computed by the platform',
        security: bearerAuth,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            md5: { type: 'string' },
            frames: {
              type: 'array',
              maxItems: MAX_QUERY_FRAMES,
              items: {
                type: 'object',
                required: ['t', 'value'],
                properties: { t: { type: 'number' }, value: hexHash, quality: { type: 'integer' }, origin: { type: 'string' }, dihedral: dihedralHashes },
              },
            },
            dihedral: { type: 'boolean', description: 'match mirrored and rotated copies (each frame must carry its dihedral hashes)' },
          },
        },
        response: videoAnswer,
      },
    },
    async (request) => {
      requireReady();
      const { dihedral, ...query } = request.body as VideoQuery & { dihedral?: boolean };
      const { matches, truncated } = await rempart.videoMatching.match(platformOf(request), { ...query, frames: query.frames ?? [] }, { dihedral: dihedral === true });
      return { matched: matches.length > 0, matches, truncated };
    },
  );

  app.get(
    '/v1/sync',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Read the change log from a cursor, to keep a local copy of the hash list',
        description:
          'Start with after=0; store `cursor` and pass it as `after` next time. Adds of withdrawn hashes are erased from the log, so removals name ids you may never have seen: ignore those.',
        security: bearerAuth,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'integer', minimum: 0, default: 0 },
            limit: { type: 'integer', minimum: 1, maximum: MAX_SYNC_PAGE, default: 1000 },
            wait: {
              type: 'integer',
              minimum: 0,
              maximum: MAX_SYNC_WAIT_SECONDS,
              default: 0,
              description: 'long-poll: when nothing is new, wait up to this many seconds for a change before answering',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              changes: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    seq: { type: 'integer' },
                    op: { type: 'string', enum: ['add', 'remove'] },
                    id: { type: 'string' },
                    item: { type: 'string', description: 'opaque id of the registered image or video (several hashes per item: report one match per item)' },
                    role: {
                      type: 'string',
                      description:
                        "'full' (an image's whole picture: match it alone at the algorithm's threshold), 'trimmed', 'window', 'region' " +
                        "(a matching profile's derived hashes, box in detail.box, and for a box turned along the content's own orientation its turn in degrees in detail.angle: see docs/matching.md before matching them), " +
                        "'frame' (a video frame, time in detail.t; a 'window' with detail.t is that frame's centred window), 'file' (a video's MD5)",
                    },
                    detail: { type: ['object', 'null'], additionalProperties: true },
                    algorithm: { type: 'string' },
                    value: { type: 'string' },
                    quality: { type: ['integer', 'null'] },
                    at: { type: 'string' },
                  },
                },
              },
              cursor: { type: 'integer' },
              more: { type: 'boolean' },
            },
          },
          ...errors(400, 401),
        },
      },
    },
    async (request, reply) => {
      refuseOnFollower(rempart, 'read the feed at the bank it follows');
      const { after, limit, wait } = request.query as { after: number; limit: number; wait: number };
      // A reader that hangs up stops the wait (the response closes before it was sent).
      const aborted = new AbortController();
      reply.raw.once('close', () => aborted.abort());
      return rempart.sync.read(after, limit, wait, aborted.signal);
    },
  );

  const thresholdViews = {
    type: 'object',
    description: 'per algorithm',
    additionalProperties: {
      type: 'object',
      properties: {
        bank: { type: 'integer', description: "the bank's threshold" },
        maximum: { type: 'integer', description: 'the loosest the operator lets a platform choose' },
        chosen: { type: ['integer', 'null'], description: 'your choice (null: the bank’s)' },
        effective: { type: 'integer', description: 'what your matches use' },
      },
    },
  } as const;

  app.get(
    '/v1/settings',
    {
      schema: {
        tags: ['platforms'],
        summary: "Your platform's settings: match thresholds per algorithm (the bank's, the maximum, yours)",
        security: bearerAuth,
        response: {
          200: {
            type: 'object',
            properties: {
              thresholds: thresholdViews,
              feedWebhook: { type: 'boolean', description: 'whether `feed.changes` webhooks go to your webhook URL' },
            },
          },
          ...errors(401),
        },
      },
    },
    async (request) => ({
      thresholds: await rempart.platformSettings.describe(platformOf(request)),
      feedWebhook: await rempart.feedWebhooks.subscribed(platformOf(request)),
    }),
  );

  app.put(
    '/v1/settings/feed-webhook',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Receive (or stop) a signed `feed.changes` webhook when the hash list changes',
        description:
          'Body `{"enabled": true}`. The webhook goes to the URL the operator set for your platform (`rempart webhook set`); its data is `{"after", "cursor"}`: read `GET /v1/sync?after=…` up to `cursor`.',
        security: bearerAuth,
        body: { type: 'object', required: ['enabled'], additionalProperties: false, properties: { enabled: { type: 'boolean' } } },
        response: { 200: { type: 'object', properties: { feedWebhook: { type: 'boolean' } } }, ...errors(...BODY_ERRORS, 401) },
      },
    },
    async (request) => {
      const platform = platformOf(request);
      const { enabled } = request.body as { enabled: boolean };
      await rempart.feedWebhooks.subscribe(platform, enabled, { kind: 'platform', id: platform.name });
      return { feedWebhook: enabled };
    },
  );

  app.put(
    '/v1/settings/thresholds',
    {
      schema: {
        tags: ['platforms'],
        summary: 'Choose stricter match thresholds for your platform (null: back to the bank’s)',
        description:
          'Body: `{"pdq": 20}`. Each value is an integer from 0 to the operator’s maximum (by default the bank’s threshold: stricter only), or null.',
        security: bearerAuth,
        body: {
          type: 'object',
          minProperties: 1,
          additionalProperties: { type: ['integer', 'null'] },
        },
        response: { 200: { type: 'object', properties: { thresholds: thresholdViews } }, ...errors(...BODY_ERRORS, 401) },
      },
    },
    async (request) => {
      const platform = platformOf(request);
      const thresholds = await rempart.platformSettings.setThresholds(platform, request.body as Record<string, unknown>, {
        kind: 'platform',
        id: platform.name,
      });
      return { thresholds };
    },
  );
};
