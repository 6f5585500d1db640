/**
 * Serves the analysts' console (dist/console/, built with the victim's page) at /console/
 * on the operators' listener, with the same strict headers as the victim's page.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { defaultConsoleRoot } from './paths.js';
import { WEB_SECURITY_HEADERS } from './plugin.js';

export const consolePagePlugin: FastifyPluginAsync<{ root?: string }> = async (app, options) => {
  const root = options.root ?? defaultConsoleRoot();
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.url.startsWith('/console/api/')) reply.headers(WEB_SECURITY_HEADERS);
    else reply.headers({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' });
    return payload;
  });
  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'console not built: run `npm run build`');
    app.get('/console/', async (_request, reply) =>
      reply.code(503).send({ statusCode: 503, error: 'NOT_READY', message: `the console is not built (no ${join(root, 'index.html')}): run npm run build` }),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/console/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    dotfiles: 'deny',
  });
};
