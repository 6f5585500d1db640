import type { FastifyPluginAsync } from 'fastify';
import { listAlgorithms } from '../../hashing/index.js';
import { listProfiles } from '../../hashing/profile/profile.js';
import type { ApiEngine } from '../engine.js';
import { acceptImageBodies, imageBytes } from '../image-body.js';
import { IMAGE_TYPES, errors, imageInfo } from '../schemas.js';
import { PUBLIC_LIMIT } from '../rate-limit.js';

/** Public endpoints: the algorithms in use, and hashing an image without storing anything. */
export const hashingRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  const { config } = rempart;
  acceptImageBodies(app, config.maxImageBytes);

  app.get(
    '/v1/algorithms',
    { schema: { tags: ['hashing'], summary: 'Algorithms, their match thresholds and the quality floor' } },
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
      schema: {
        tags: ['hashing'],
        summary: 'Hash an image in memory; nothing is stored',
        description:
          'For victims who cannot hash on their own device. The image is decoded in a worker thread, hashed, and dropped; only the hashes are returned.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            dihedral: { type: 'boolean', description: 'also return the 7 other dihedral hashes (PDQ)' },
            profile: {
              type: 'string',
              enum: listProfiles().map((p) => p.name),
              description: "also return the matching profile's registered set (what a victim registers for crops, borders, screenshots and tilts)",
            },
          },
        },
        consumes: IMAGE_TYPES,
        response: { 200: { type: 'object', properties: imageInfo }, ...errors(400, 413, 415, 422, 503) },
      },
    },
    async (request) => {
      const { dihedral, profile } = request.query as { dihedral?: boolean; profile?: string };
      return rempart.hashImage(imageBytes(request.body), {
        dihedral: dihedral === true,
        ...(profile ? { profile: { name: profile, side: 'registered' as const } } : {}),
      });
    },
  );
};
