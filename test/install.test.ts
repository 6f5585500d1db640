/**
 * `npm ci` must install cleanly on every Node version package.json promises (CI runs
 * Node 20): no package in the lock file may ask for a newer Node (npm's EBADENGINE).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

describe('the install', () => {
  it('runs on the Node version that runs these tests', () => {
    expect(semver.satisfies(process.versions.node, manifest.engines.node)).toBe(true);
  });

  it('holds no package that refuses the oldest Node package.json admits', () => {
    const oldest = semver.minVersion(manifest.engines.node)!.version;
    const refusing = Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && !Array.isArray(entry.engines) && entry.engines?.node)
      .filter(([, entry]) => !semver.satisfies(oldest, (entry.engines as { node: string }).node))
      .map(([name, entry]) => `${name}@${entry.version} wants node ${(entry.engines as { node: string }).node}`);
    expect(refusing, `oldest supported Node: ${oldest}`).toEqual([]);
  });

  it("keeps fastify's inject working with the pinned cookie encoder (light-my-request)", async () => {
    const app = Fastify();
    app.get('/echo', async (request) => ({ cookie: request.headers.cookie }));
    const response = await app.inject({ method: 'GET', url: '/echo', cookies: { session: 'a b', other: 'x' } });
    expect(response.json()).toEqual({ cookie: 'session=a%20b; other=x' });
    await app.close();
  });
});
