import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { scene } from './helpers/photos.js';

const HEX = 'a'.repeat(64);

/** Bad input gets a clear 4xx JSON error and changes nothing. */
describe('errors and authentication over HTTP', () => {
  let server: TestServer;
  let apiKey: string;
  let caseNumber: string;
  let caseSecret: string;

  /** What a bad request must leave untouched. */
  const snapshot = async () => ({
    seq: await server.server.rempart.store.lastSeq(),
    hashes: await server.server.rempart.store.countHashes(),
    indexed: server.server.rempart.matcher.size(),
  });

  beforeAll(async () => {
    server = await startTestServer({ config: { maxImageBytes: String(2 * 1024 * 1024), maxImagePixels: String(40_000_000) } });
    apiKey = await server.createPlatformKey('errors-platform');
    const created = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: HEX }] } });
    ({ caseNumber, caseSecret } = created.body);
  });
  afterAll(() => server.close());

  function expectError(response: { status: number; body: any }, status: number, code: string, text?: string | RegExp) {
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ statusCode: status, error: code, message: expect.any(String) });
    if (text) expect(response.body.message).toMatch(text);
  }

  describe('platform authentication', () => {
    const body = { hashes: [{ algorithm: 'blockhash', value: HEX }] };

    it('refuses a missing key', async () => {
      expectError(await request(`${server.url}/v1/match`, { body }), 401, 'UNAUTHORIZED', /API key/);
      expectError(await request(`${server.url}/v1/sync`), 401, 'UNAUTHORIZED');
    });

    it('refuses a malformed or wrong key', async () => {
      expectError(await request(`${server.url}/v1/match`, { body, headers: bearer('nope') }), 401, 'UNAUTHORIZED', /not valid/);
      // Right key id, wrong secret.
      const forged = apiKey.slice(0, -4) + (apiKey.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expectError(await request(`${server.url}/v1/match`, { body, headers: bearer(forged) }), 401, 'UNAUTHORIZED', /not valid/);
      expectError(await request(`${server.url}/v1/match`, { body, headers: { authorization: apiKey } }), 401, 'UNAUTHORIZED');
    });

    it('refuses a revoked key on its next request', async () => {
      const key = await server.createPlatformKey('to-revoke');
      expect((await request(`${server.url}/v1/match`, { body, headers: bearer(key) })).status).toBe(200);
      await server.server.rempart.platforms.revoke('to-revoke', { kind: 'operator', id: 'test' });
      expectError(await request(`${server.url}/v1/match`, { body, headers: bearer(key) }), 401, 'UNAUTHORIZED', /revoked/);
    });

    it('does not let a case secret act as a platform key', async () => {
      expectError(await request(`${server.url}/v1/match`, { body, headers: bearer(caseSecret) }), 401, 'UNAUTHORIZED');
    });
  });

  describe('case authentication', () => {
    it('refuses a wrong secret, an unknown case and a missing secret alike', async () => {
      const before = await snapshot();
      const wrong = await request(`${server.url}/v1/cases/${caseNumber}`, { headers: bearer('AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GG') });
      expectError(wrong, 401, 'CASE_AUTH', /case number or case secret is wrong/);
      const unknown = await request(`${server.url}/v1/cases/RMP-0000-0000`, { headers: bearer(caseSecret) });
      expect(unknown.body).toEqual(wrong.body);
      const withdraw = await request(`${server.url}/v1/cases/${caseNumber}`, { method: 'DELETE', headers: bearer('wrong') });
      expectError(withdraw, 401, 'CASE_AUTH');
      expectError(await request(`${server.url}/v1/cases/${caseNumber}`), 401, 'CASE_AUTH', /Authorization: Bearer/);
      expect(await snapshot()).toEqual(before);
      // The case is untouched and still answers its real secret (typed in lower case, even).
      const ok = await request(`${server.url}/v1/cases/${caseNumber}`, { headers: bearer(caseSecret.toLowerCase()) });
      expect(ok.body.status).toBe('active');
    });
  });

  describe('malformed hashes change nothing', () => {
    const cases: [string, unknown, number, string, RegExp][] = [
      ['short value', { hashes: [{ algorithm: 'blockhash', value: 'abc' }] }, 400, 'HASH_FORMAT', /hashes\[0\].*64 lowercase hex.*3 characters/],
      ['uppercase', { hashes: [{ algorithm: 'blockhash', value: 'A'.repeat(64) }] }, 400, 'HASH_FORMAT', /uppercase/],
      ['not hex', { hashes: [{ algorithm: 'blockhash', value: 'g'.repeat(64) }] }, 400, 'HASH_FORMAT', /0-9 and a-f/],
      ['unknown algorithm', { hashes: [{ algorithm: 'md5', value: HEX }] }, 400, 'UNKNOWN_ALGORITHM', /"md5".*known: blockhash, pdq/],
      ['second item bad', { hashes: [{ algorithm: 'blockhash', value: 'b'.repeat(64) }, { algorithm: 'pdq', value: HEX }] }, 400, 'BAD_REQUEST', /hashes\[1\].*quality/],
      ['low quality', { hashes: [{ algorithm: 'pdq', value: HEX, quality: 20 }] }, 422, 'LOW_QUALITY', /quality 20 is below the floor of 50/],
      ['quality on blockhash', { hashes: [{ algorithm: 'blockhash', value: HEX, quality: 90 }] }, 400, 'HASH_FORMAT', /no quality/],
      ['empty list', { hashes: [] }, 400, 'BAD_REQUEST', /hashes/],
      ['no list', {}, 400, 'BAD_REQUEST', /hashes/],
      ['unknown field', { hashes: [{ algorithm: 'blockhash', value: HEX }], extra: 1 }, 400, 'BAD_REQUEST', /additional properties/],
      ['too many', { hashes: Array.from({ length: 1001 }, () => ({ algorithm: 'blockhash', value: HEX })) }, 400, 'BAD_REQUEST', /1000/],
      ['value not a string', { hashes: [{ algorithm: 'blockhash', value: {} }] }, 400, 'BAD_REQUEST', /value must be string/],
    ];
    it.each(cases)('registration: %s', async (_name, body, status, code, text) => {
      const before = await snapshot();
      expectError(await request(`${server.url}/v1/cases`, { body }), status, code, text);
      expect(await snapshot()).toEqual(before);
    });

    it.each(cases.filter(([name]) => !['low quality', 'second item bad', 'quality on blockhash'].includes(name)))(
      'batch match: %s',
      async (_name, body, status, code) => {
        const before = await snapshot();
        const response = await request(`${server.url}/v1/match`, { body, headers: bearer(apiKey) });
        expect(response.status).toBe(status === 422 ? 400 : status);
        expect(response.body.error).toBe(code);
        expect(await snapshot()).toEqual(before);
      },
    );

    it('rejects invalid JSON and a wrong content type', async () => {
      const bad = await fetch(`${server.url}/v1/cases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hashes": [' });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error).toBe('BAD_REQUEST');
      const text = await fetch(`${server.url}/v1/cases`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      expect(text.status).toBe(400);
      expect((await text.json()).message).toMatch(/body must be object/);
      const form = await fetch(`${server.url}/v1/cases`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
      expect(form.status).toBe(415);
      expect((await form.json()).message).toMatch(/not accepted here/);
    });

    it('asks for dihedral hashes when dihedral matching of a hash is requested without them', async () => {
      const response = await request(`${server.url}/v1/match`, {
        headers: bearer(apiKey),
        body: { hashes: [{ algorithm: 'pdq', value: HEX }], dihedral: true },
      });
      expectError(response, 400, 'BAD_REQUEST', /rotate90.*missing/);
    });

    it('checks sync parameters', async () => {
      expectError(await request(`${server.url}/v1/sync?after=-1`, { headers: bearer(apiKey) }), 400, 'BAD_REQUEST', /after/);
      expectError(await request(`${server.url}/v1/sync?limit=0`, { headers: bearer(apiKey) }), 400, 'BAD_REQUEST', /limit/);
      expectError(await request(`${server.url}/v1/sync?after=abc`, { headers: bearer(apiKey) }), 400, 'BAD_REQUEST', /after/);
    });
  });

  describe('bad images get a clear 4xx, store nothing, and the pool keeps working', () => {
    let good: Buffer;
    beforeAll(async () => {
      good = await scene(3);
    });

    const post = (raw: Uint8Array, contentType = 'application/octet-stream', path = '/v1/hash', headers = {}) =>
      request(`${server.url}${path}`, { raw, contentType, headers });

    it('corrupt, truncated, empty, text, SVG, over the byte cap, over the pixel cap', async () => {
      const before = await snapshot();
      const corrupt = Buffer.from(good);
      corrupt.fill(0x55, 200, corrupt.length - 10);
      const bomb = await sharp({ create: { width: 8000, height: 6000, channels: 3, background: '#808080' } }).png({ compressionLevel: 9 }).toBuffer();
      const huge = Buffer.alloc(3 * 1024 * 1024, 1);
      const checks: [string, Uint8Array, number, string][] = [
        ['truncated', good.subarray(0, Math.floor(good.length / 3)), 422, 'IMAGE_CORRUPT'],
        ['corrupt', corrupt, 422, 'IMAGE_CORRUPT'],
        ['empty', new Uint8Array(0), 400, 'IMAGE_EMPTY'],
        ['text', Buffer.from('this is not an image, just some text that is long enough'), 415, 'IMAGE_UNSUPPORTED'],
        ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'), 415, 'IMAGE_UNSUPPORTED'],
        ['too many bytes', huge, 413, 'IMAGE_TOO_LARGE'],
        ['too many pixels', bomb, 413, 'IMAGE_TOO_MANY_PIXELS'],
      ];
      for (const [name, bytes, status, code] of checks) {
        for (const path of ['/v1/hash', '/v1/match/image']) {
          const response = await post(bytes, 'image/jpeg', path, path === '/v1/match/image' ? bearer(apiKey) : {});
          expect(response.status, `${name} on ${path}`).toBe(status);
          expect(response.body.error, `${name} on ${path}`).toBe(code);
          expect(response.body.message.length, name).toBeGreaterThan(10);
        }
      }
      expect(await snapshot()).toEqual(before);
      // The workers survived all of it.
      expect((await post(good, 'image/jpeg')).status).toBe(200);
    });

    it('refuses JSON sent to an image endpoint with a message saying what to send', async () => {
      const response = await request(`${server.url}/v1/hash`, { body: { image: 'base64...' } });
      expect(response.status).toBe(415);
      expect(response.body.message).toMatch(/image or video bytes/);
    });
  });
});

describe('rate limits on the public endpoints', () => {
  it('answers 429 with a JSON message past the limit, and never limits platforms', async () => {
    const server = await startTestServer({ config: { rateLimitPerMinute: '3' } });
    try {
      const key = await server.createPlatformKey('unlimited');
      const body = { hashes: [{ algorithm: 'blockhash', value: 'd'.repeat(64) }] };
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await request(`${server.url}/v1/cases`, { body })).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
      const limited = await request(`${server.url}/v1/cases`, { body });
      expect(limited.body).toMatchObject({ statusCode: 429, error: 'RATE_LIMITED', message: expect.stringMatching(/at most 3 per minute/) });
      expect(await server.server.rempart.store.countHashes()).toBe(3);
      for (let i = 0; i < 10; i++) {
        expect((await request(`${server.url}/v1/match`, { body, headers: bearer(key) })).status).toBe(200);
      }
    } finally {
      await server.close();
    }
  });
});
