/**
 * The built page and the plugin that serves it: self-contained bundles (nothing fetched
 * from elsewhere) and privacy headers on every file, without touching the API's routes.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb } from '../src/web/build.js';
import { CONTENT_SECURITY_POLICY, webPlugin } from '../src/web/plugin.js';

let webRoot: string;
let app: FastifyInstance;

beforeAll(async () => {
  webRoot = await buildWeb({ outDir: path.join(mkdtempSync(path.join(os.tmpdir(), 'rempart-web-build-')), 'web'), typecheck: false });
  app = Fastify();
  app.get('/v1/example', async () => ({ ok: true }));
  await app.register(webPlugin, { root: webRoot });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
});

const BUILT_FILES = ['index.html', 'favicon.svg', 'assets/main.js', 'assets/hash-worker.js', 'assets/styles.css'];

describe('web build', () => {
  it('produces the page, its stylesheet, the main bundle and the hashing worker', () => {
    for (const file of BUILT_FILES) expect(existsSync(path.join(webRoot, file)), file).toBe(true);
    // The worker carries the shared hashing code (both algorithms), not a rewrite of it.
    const worker = readFileSync(path.join(webRoot, 'assets/hash-worker.js'), 'utf8');
    expect(worker).toContain('pdq');
    expect(worker).toContain('blockhash');
  });

  it('references nothing outside its own origin', () => {
    for (const file of BUILT_FILES) {
      const text = readFileSync(path.join(webRoot, file), 'utf8');
      // The SVG namespace is an identifier, not a request.
      const urls = (text.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi) ?? []).filter(
        (url) => !url.startsWith('http://www.w3.org/2000/svg'),
      );
      expect(urls, `absolute URLs in ${file}`).toEqual([]);
    }
    const html = readFileSync(path.join(webRoot, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=|<style/); // no inline style
  });
});

describe('web plugin', () => {
  it('serves the page at / with a strict CSP and privacy headers', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('assets/main.js');
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  it('serves the bundles with their types and the same headers', async () => {
    const script = await app.inject({ method: 'GET', url: '/assets/hash-worker.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    const css = await app.inject({ method: 'GET', url: '/assets/styles.css' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
  });

  it('leaves unknown paths and the API routes alone', async () => {
    expect((await app.inject({ method: 'GET', url: '/nothing-here' })).statusCode).toBe(404);
    const api = await app.inject({ method: 'GET', url: '/v1/example' });
    expect(api.json()).toEqual({ ok: true });
    expect(api.headers['content-security-policy']).toBeUndefined();
  });

  it('answers 503 with the reason when the page was not built', async () => {
    const bare = Fastify();
    await bare.register(webPlugin, { root: path.join(os.tmpdir(), 'rempart-no-such-build') });
    const response = await bare.inject({ method: 'GET', url: '/' });
    await bare.close();
    expect(response.statusCode).toBe(503);
    expect(response.json().message).toMatch(/npm run build/);
  });
});
