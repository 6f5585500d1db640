import type { FastifyPluginAsync } from 'fastify';
import { RempartError } from '../../errors.js';
import type { ApiEngine } from '../engine.js';
import { BODY_ERRORS, errors } from '../schemas.js';

/**
 * Follower mode, webhook-triggered (`--follow-webhook-secret`): the followed bank's signed
 * `feed.changes` webhook lands here and the follower reads that bank at once. The signature
 * (the bank's secret for this follower) is the only credential: unsigned or wrongly signed
 * calls change nothing.
 */
export const followRoutes: FastifyPluginAsync<{ rempart: ApiEngine }> = async (app, { rempart }) => {
  // The signature covers the body's exact bytes: keep them as text (this plugin's routes only).
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));

  app.post(
    '/v1/follow/webhook',
    {
      schema: {
        tags: ['platforms'],
        summary: "Follower mode: a followed bank's feed.changes webhook (read that bank now)",
        description:
          'Set at the bank as the webhook URL of the platform whose key this follower uses (`rempart webhook set NAME URL`, ' +
          '`rempart webhook feed NAME on`), with the secret given to the follower as --follow-webhook-secret. ' +
          'Verified by X-Rempart-Timestamp and X-Rempart-Signature; 404 on an instance that follows no bank by webhook.',
        response: { 204: { type: 'null', description: 'the bank will be read now' }, ...errors(...BODY_ERRORS, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const follower = rempart.follower;
      if (!follower || !rempart.config.follow.some((f) => f.webhookSecret !== undefined)) {
        throw new RempartError('NOT_FOUND', 'this Rempart follows no bank by webhook (serve --follow URL --follow-webhook-secret …)');
      }
      const header = (name: string) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const body = typeof request.body === 'string' ? request.body : '';
      const bank = follower.webhook(header('x-rempart-timestamp'), body, header('x-rempart-signature'));
      if (bank === undefined) throw new RempartError('UNAUTHORIZED', 'X-Rempart-Signature does not sign this body with the secret of a bank this Rempart follows');
      request.log.info({ bank }, 'feed.changes webhook: reading the bank');
      return reply.code(204).send();
    },
  );
};
