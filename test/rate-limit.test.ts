import { describe, expect, it } from 'vitest';
import { documentedOperations } from './helpers/openapi.js';
import { bearer, request, startTestServer } from './helpers/server.js';

const HEX = 'a'.repeat(64);
const register = { hashes: [{ algorithm: 'blockhash', value: HEX }] };

/** Issue 10 items 12 and 18: one per-address budget across every public route. */
describe('rate limits', () => {
  it('count every public route against one budget per address, and answer 429 on each (as documented)', async () => {
    const server = await startTestServer({ config: { rateLimitPerMinute: '3' } });
    try {
      const key = await server.createPlatformKey();
      const operations = await documentedOperations(server.url);
      const documented = (method: string, path: string) => operations.find((o) => o.method === method && o.path === path)!.statuses;

      // Three requests spread over three public routes use the budget up.
      expect((await request(`${server.url}/v1/algorithms`)).status).toBe(200);
      expect((await request(`${server.url}/v1/hash`, { raw: new Uint8Array([1, 2, 3]), contentType: 'image/png' })).status).toBe(415);
      const created = await request(`${server.url}/v1/cases`, { body: register });
      expect(created.status).toBe(201);

      const publicRoutes: [string, string, () => Promise<{ status: number; body: any; headers: Headers }>][] = [
        ['GET', '/v1/algorithms', () => request(`${server.url}/v1/algorithms`)],
        ['POST', '/v1/hash', () => request(`${server.url}/v1/hash`, { raw: new Uint8Array([1, 2, 3]), contentType: 'image/png' })],
        ['POST', '/v1/cases', () => request(`${server.url}/v1/cases`, { body: register })],
        ['GET', '/v1/cases/{caseNumber}', () => request(`${server.url}/v1/cases/${created.body.caseNumber}`, { headers: bearer(created.body.caseSecret) })],
        ['DELETE', '/v1/cases/{caseNumber}', () => request(`${server.url}/v1/cases/${created.body.caseNumber}`, { method: 'DELETE', headers: bearer(created.body.caseSecret) })],
      ];
      for (const [method, path, send] of publicRoutes) {
        const response = await send();
        expect(response.status, `${method} ${path}`).toBe(429);
        expect(response.body).toMatchObject({ error: 'RATE_LIMITED', message: expect.stringMatching(/at most 3 per minute on the public endpoints/) });
        expect(Number(response.headers.get('retry-after')), `${method} ${path}`).toBeGreaterThan(0);
        expect(documented(method, path).has(429), `${method} ${path} documents 429`).toBe(true);
      }
      // Every route that the budget stops documents its 429 (routes added later included).
      const stopped: string[] = [];
      for (const op of operations) {
        const path = op.path.replace(/\{[^}]+\}/g, created.body.caseNumber);
        const init: RequestInit = { method: op.method, headers: op.takesBody ? { 'content-type': 'application/json' } : {} };
        if (op.takesBody) init.body = '{}';
        const response = await fetch(`${server.url}${path}`, init);
        if (response.status !== 429) continue;
        stopped.push(`${op.method} ${op.path}`);
        expect(op.statuses.has(429), `${op.method} ${op.path} answers 429 and must document it`).toBe(true);
      }
      expect(stopped).toEqual(expect.arrayContaining(publicRoutes.map(([method, path]) => `${method} ${path}`)));
      // Nothing was registered or withdrawn past the limit.
      expect(await server.server.rempart.store.countHashes()).toBe(1);

      // Platforms and probes are never limited.
      for (let i = 0; i < 5; i++) {
        expect((await request(`${server.url}/v1/match`, { headers: bearer(key), body: register })).status).toBe(200);
        expect((await request(`${server.url}/v1/sync?after=0`, { headers: bearer(key) })).status).toBe(200);
        expect((await request(`${server.url}/health/ready`)).status).toBe(200);
      }
    } finally {
      await server.close();
    }
  });

  it('ignore a forged X-Forwarded-For unless proxy hops are trusted, then count per forwarded address', async () => {
    const direct = await startTestServer({ config: { rateLimitPerMinute: '2' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await request(`${direct.url}/v1/algorithms`, { headers: { 'x-forwarded-for': `198.51.100.${i}` } })).status);
      }
      expect(statuses).toEqual([200, 200, 429, 429]);
    } finally {
      await direct.close();
    }

    const proxied = await startTestServer({ config: { rateLimitPerMinute: '2', trustProxyHops: '1' } });
    try {
      const from = (address: string) => request(`${proxied.url}/v1/algorithms`, { headers: { 'x-forwarded-for': address } });
      expect([(await from('203.0.113.1')).status, (await from('203.0.113.1')).status, (await from('203.0.113.1')).status]).toEqual([200, 200, 429]);
      // Another client behind the same proxy has its own budget.
      expect((await from('203.0.113.2')).status).toBe(200);
      // Only the hop the proxy appended is trusted: a client cannot pick its address by prepending one.
      expect((await from('192.0.2.9, 203.0.113.1')).status).toBe(429);
    } finally {
      await proxied.close();
    }
  });
});
