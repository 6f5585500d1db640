import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { scene } from './helpers/photos.js';
import { documentedOperations, type Operation } from './helpers/openapi.js';

const HEX = 'a'.repeat(64);
const hex64 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const oddHash = fc.record(
  {
    algorithm: fc.constantFrom('pdq', 'blockhash', 'md5', ''),
    value: fc.oneof(hex64, fc.constant(HEX), fc.string({ maxLength: 70 })),
    quality: fc.oneof(fc.integer({ min: -5, max: 105 }), fc.constant('50' as unknown as number)),
    role: fc.constantFrom('full', 'region', 'x'),
  },
  { requiredKeys: ['algorithm', 'value'] },
);
/** Mostly well-formed hashes (so requests reach the handlers), sometimes odd ones. */
const wireHash = fc.oneof(
  { arbitrary: fc.record({ algorithm: fc.constantFrom('pdq', 'blockhash'), value: fc.oneof(hex64, fc.constant(HEX)), quality: fc.integer({ min: 40, max: 100 }) }), weight: 2 },
  { arbitrary: fc.record({ algorithm: fc.constant('blockhash'), value: fc.oneof(hex64, fc.constant(HEX)) }), weight: 2 },
  { arbitrary: oddHash, weight: 1 },
);
/** Bodies near what each route expects, and far from it. */
const jsonBody = fc.oneof(
  { arbitrary: fc.record({ hashes: fc.array(wireHash, { minLength: 1, maxLength: 4 }) }), weight: 4 },
  { arbitrary: fc.record({ hashes: fc.array(wireHash, { maxLength: 4 }), dihedral: fc.oneof(fc.boolean(), fc.constant('true')) }), weight: 1 },
  { arbitrary: fc.record({ items: fc.array(fc.record({ kind: fc.constantFrom('image', 'video', 'x'), hashes: fc.array(wireHash, { maxLength: 3 }) }), { maxLength: 3 }) }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);
const text = fc.string({ maxLength: 40 });

function isErrorShape(text: string, status: number): boolean {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    return body.statusCode === status && typeof body.error === 'string' && typeof body.message === 'string';
  } catch {
    return false;
  }
}

/**
 * Issue 10 item 12: every route answers only statuses its OpenAPI entry lists, whatever a
 * client sends (paths, query strings, credentials, bodies and content types), and every
 * error is the JSON error shape. A 500 is never listed, so any crash fails too.
 */
describe('OpenAPI statuses hold under fuzzing', () => {
  let server: TestServer;
  let operations: Operation[];
  let apiKey: string;
  let registered: { caseNumber: string; caseSecret: string };
  let photo: Buffer;

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey();
    registered = (await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: HEX }] } })).body;
    photo = await scene(5);
    operations = await documentedOperations(server.url);
  });
  afterAll(() => server.close());

  it('documents the API routes', () => {
    const routes = operations.map((o) => `${o.method} ${o.path}`);
    for (const route of ['GET /v1/algorithms', 'POST /v1/hash', 'POST /v1/cases', 'GET /v1/cases/{caseNumber}', 'DELETE /v1/cases/{caseNumber}', 'POST /v1/match', 'POST /v1/match/image', 'GET /v1/sync', 'GET /health/ready']) {
      expect(routes).toContain(route);
    }
  });

  it('every route answers only what its entry lists', async () => {
    const seen = new Map<string, Set<number>>();
    /** Status not listed (or error not in the error shape), with the first request that got it. */
    const violations = new Map<string, string>();
    for (const op of operations) {
      const pathParam = fc.oneof(
        fc.constantFrom(registered.caseNumber, registered.caseNumber.toLowerCase(), 'RMP-0000-0000', 'RMP-UUUU-UUUU', 'x'.repeat(40)),
        // "." and ".." are dot segments, not values: URL parsing (clients, and inject) removes
        // them, so `/v1/cases/./report` reaches no route at all (404), whatever the route lists.
        text.filter((segment) => segment !== '.' && segment !== '..'),
      );
      const query = fc.dictionary(
        fc.constantFrom(...op.queryNames, 'after', 'limit', 'dihedral', 'profile', 'x'),
        fc.oneof(text, fc.integer({ min: -2, max: 20_000 }).map(String), fc.constantFrom('true', 'false', '0x10', '1e3', 'pdq-regions', '')),
        { maxKeys: 3 },
      );
      const auth = fc.oneof(
        { arbitrary: fc.constant(bearer(apiKey)), weight: 2 },
        { arbitrary: fc.constant(bearer(registered.caseSecret)), weight: 2 },
        { arbitrary: fc.constantFrom<Record<string, string>>({}, bearer('rk_000000000000_' + 'A'.repeat(43)), { authorization: 'Basic abc' }), weight: 1 },
      );
      const body = op.takesBody
        ? fc.oneof(
            fc.constant(undefined),
            { arbitrary: jsonBody.map((value) => ({ contentType: 'application/json', bytes: Buffer.from(JSON.stringify(value)) })), weight: 3 },
            fc.record({
              contentType: fc.constantFrom('image/png', 'image/jpeg', 'application/octet-stream', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json', 'nonsense'),
              bytes: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
            }),
            fc.constant({ contentType: 'image/jpeg', bytes: photo }),
          )
        : fc.constant(undefined);

      await fc.assert(
        fc.asyncProperty(pathParam, query, auth, body, async (param, params, headers, payload) => {
          const path = op.path.replace(/\{[^}]+\}/g, encodeURIComponent(param));
          const search = new URLSearchParams(params).toString();
          const init: RequestInit = { method: op.method, headers: { ...headers } };
          if (payload) {
            init.body = new Uint8Array(payload.bytes);
            (init.headers as Record<string, string>)['content-type'] = payload.contentType;
          }
          const response = await fetch(`${server.url}${path}${search ? `?${search}` : ''}`, init);
          const text = await response.text();
          const where = `${op.method} ${path}?${search} (${payload?.contentType ?? 'no body'}) → ${response.status} ${text.slice(0, 200)}`;
          const key = `${op.method} ${op.path} ${response.status}`;
          if (!op.statuses.has(response.status) && !violations.has(key)) violations.set(key, where);
          if (response.status >= 400 && !isErrorShape(text, response.status)) violations.set(`${key} (error shape)`, where);
          let statuses = seen.get(`${op.method} ${op.path}`);
          if (!statuses) seen.set(`${op.method} ${op.path}`, (statuses = new Set()));
          statuses.add(response.status);
        }),
        { numRuns: 80 },
      );
    }
    expect(Object.fromEntries(violations)).toEqual({});
    // The fuzzing reached past validation: successes and refusals on the main routes.
    expect([...seen.get('POST /v1/match')!]).toEqual(expect.arrayContaining([200, 400, 401]));
    expect([...seen.get('POST /v1/cases')!]).toEqual(expect.arrayContaining([400]));
    expect([...seen.get('GET /v1/cases/{caseNumber}')!]).toEqual(expect.arrayContaining([200, 401]));
  });
});

describe('OpenAPI body statuses', () => {
  it('every route that takes a body documents what a body too large answers', async () => {
    const server = await startTestServer({ config: { maxJsonBytes: '65536' } });
    try {
      const key = await server.createPlatformKey();
      const tooLarge = JSON.stringify({ hashes: Array.from({ length: 2000 }, () => ({ algorithm: 'pdq', value: HEX, quality: 90 })) });
      expect(tooLarge.length).toBeGreaterThan(65536);
      const undocumented: string[] = [];
      for (const op of (await documentedOperations(server.url)).filter((o) => o.takesBody)) {
        const path = op.path.replace(/\{[^}]+\}/g, 'RMP-0000-0000');
        const response = await fetch(`${server.url}${path}`, { method: op.method, headers: { ...bearer(key), 'content-type': 'application/json' }, body: tooLarge });
        if (!op.statuses.has(response.status)) undocumented.push(`${op.method} ${op.path} → ${response.status}`);
      }
      expect(undocumented).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('OpenAPI security', () => {
  it('names the credential of every route that takes one', async () => {
    const server = await startTestServer();
    try {
      const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
        components: { securitySchemes: Record<string, { type: string; scheme: string }> };
        paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
      };
      expect(doc.components.securitySchemes).toMatchObject({ bearerAuth: { scheme: 'bearer' }, caseSecret: { scheme: 'bearer' } });
      const schemes = (path: string, method: string) => (doc.paths[path]![method]!.security ?? []).flatMap((s) => Object.keys(s));
      expect(schemes('/v1/cases/{caseNumber}', 'get')).toEqual(['caseSecret']);
      expect(schemes('/v1/cases/{caseNumber}', 'delete')).toEqual(['caseSecret']);
      for (const [path, method] of [['/v1/cases/{caseNumber}/report', 'get'], ['/v1/cases/{caseNumber}/report', 'post'], ['/v1/cases/{caseNumber}/report/links', 'post']]) {
        expect(schemes(path!, method!), `${method} ${path}`).toEqual(['caseSecret']);
      }
      for (const [path, method] of [['/v1/match', 'post'], ['/v1/match/image', 'post'], ['/v1/sync', 'get']]) expect(schemes(path!, method!)).toEqual(['bearerAuth']);
      expect(schemes('/v1/cases', 'post')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
