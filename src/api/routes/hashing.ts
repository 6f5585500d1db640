import type { FastifyPluginAsync } from 'fastify';
import { listAlgorithms } from '../../hashing/index.js';
import { DEFAULT_PROFILE, NO_PROFILE, listProfiles } from '../../hashing/profile/profile.js';
import { registrationItem } from '../../hashing/profile/item.js';
import type { ApiEngine } from '../engine.js';
import type { VideoHashes } from '../../pipeline/video/hash-video.js';
import { acceptMediaBodies, mediaBytes } from '../image-body.js';
import { BODY_ERRORS, IMAGE_TYPES, VIDEO_TYPES, errors, imageInfo, registrationItemSchema, videoInfo } from '../schemas.js';
import { PUBLIC_LIMIT } from '../rate-limit.js';

/** A video's hashes as answered: the signature's frames and summary at the top level. */
export function videoAnswer(video: VideoHashes) {
  const { signature, ...rest } = video;
  const summary = signature.summary && {
    value: signature.summary.value,
    frames: signature.summary.frames,
    ...(signature.summary.dihedral ? { dihedral: signature.summary.dihedral } : {}),
  };
  return { ...rest, frames: signature.frames, summary };
}

/** Public endpoints: the algorithms in use, and hashing an image without storing anything. */
export const hashingRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  const { config } = rempart;
  acceptMediaBodies(app, config);

  app.get(
    '/v1/algorithms',
    {
      config: PUBLIC_LIMIT,
      schema: {
        tags: ['hashing'],
        summary: 'Algorithms, their match thresholds and the quality floor',
        response: {
          200: {
            type: 'object',
            properties: {
              algorithms: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    name: { type: 'string' },
                    bits: { type: 'integer' },
                    threshold: { type: 'integer', description: 'inclusive match distance in force' },
                    defaultThreshold: { type: 'integer' },
                    hasQuality: { type: 'boolean' },
                    hasDihedral: { type: 'boolean' },
                    description: { type: 'string' },
                  },
                },
              },
              qualityFloor: { type: 'object', additionalProperties: { type: 'integer' }, description: 'minimum quality at registration, per algorithm that has one' },
            },
          },
          ...errors(429),
        },
      },
    },
    async () => ({
      algorithms: listAlgorithms().map((a) => ({
        name: a.name,
        bits: a.bits,
        threshold: rempart.matching.thresholdOf(a.name),
        defaultThreshold: a.defaultThreshold,
        hasQuality: a.hasQuality,
        hasDihedral: a.hasDihedral,
        description: a.description,
      })),
      qualityFloor: Object.fromEntries(listAlgorithms().filter((a) => a.hasQuality).map((a) => [a.name, config.pdqQualityFloor])),
    }),
  );

  app.post(
    '/v1/hash',
    {
      config: PUBLIC_LIMIT,
      bodyLimit: Math.max(config.maxImageBytes, config.maxVideoBytes),
      schema: {
        tags: ['hashing'],
        summary: 'Hash an image or a video in memory; nothing is stored',
        description:
          'For victims who cannot hash on their own device. An image is decoded in a worker thread, a video by ffmpeg in a ' +
          'child process fed through a pipe; both are hashed and dropped, and only the hashes are returned. Images and ' +
          'videos are told apart by their bytes. A video answer holds the MD5 of the file, the PDQ hash of one frame a ' +
          'second and of the first frame after each scene cut (with its time and quality), and a whole-video summary.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dihedral: { type: 'boolean', description: 'also return the 7 other dihedral hashes (PDQ)' },
            profile: {
              type: 'string',
              enum: [...listProfiles().map((p) => p.name), NO_PROFILE],
              default: DEFAULT_PROFILE,
              description:
                "matching profile whose registered set is returned (`derived`) and folded into `item`, what to register for crops, borders, " +
                `screenshots and tilts (default ${DEFAULT_PROFILE}; ${NO_PROFILE}: the whole-picture hashes only)`,
            },
          },
        },
        consumes: [...new Set([...IMAGE_TYPES, ...VIDEO_TYPES])],
        response: { 200: { type: 'object', properties: { ...imageInfo, ...videoInfo, item: registrationItemSchema } }, ...errors(...BODY_ERRORS, 422, 429, 503) },
      },
    },
    async (request) => {
      const { dihedral, profile = DEFAULT_PROFILE } = request.query as { dihedral?: boolean; profile?: string };
      const hashed = await rempart.hashMedia(mediaBytes(request.body), {
        dihedral: dihedral === true,
        ...(profile !== NO_PROFILE ? { profile: { name: profile, side: 'registered' as const } } : {}),
      });
      if ('kind' in hashed) return videoAnswer(hashed);
      // Ready to send as one of `items` in POST /v1/cases (the flat `hashes` still work as before).
      return { ...hashed, item: registrationItem(hashed.hashes, hashed.derived) };
    },
  );
};
