/**
 * Serves the victim's page (dist/web/) at `/`, with headers that keep it private:
 * a strict Content-Security-Policy (own origin only, no inline script), no referrer,
 * no framing. Register it in the app: `app.register(webPlugin)`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { defaultWebRoot } from './paths.js';

export interface WebPluginOptions {
  /** Folder holding the built page (default dist/web, made by `npm run build`). */
  root?: string;
}

/**
 * Own origin only: scripts, styles, the workers and API calls; `blob:` images and videos
 * for the local previews. No inline script or style, no plug-ins, no forms posting elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "media-src blob:",
  "worker-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const WEB_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()',
  // Revalidate each time (ETag): a fixed asset name must never serve a stale page.
  'cache-control': 'no-cache',
};

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, options) => {
  const root = options.root ?? defaultWebRoot();
  // Encapsulated: these headers go on the page's files only, not on the API's responses.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(WEB_SECURITY_HEADERS);
    return payload;
  });

  if (!existsSync(join(root, 'index.html'))) {
    app.log.warn({ root }, 'victim page not built: run `npm run build`');
    app.get('/', async (_request, reply) =>
      reply.code(503).send({
        statusCode: 503,
        error: 'Service Unavailable',
        message: `the victim page is not built (no ${join(root, 'index.html')}): run npm run build`,
      }),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file instead of a catch-all, so unknown paths (and the API's
    // own 404s) are left to the app.
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    dotfiles: 'deny',
  });
};

export default webPlugin;
