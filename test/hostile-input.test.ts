import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normaliseCaseNumber } from '../src/service/credentials.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';

const HEX = 'a'.repeat(64);

/** Issue 10 items 7, 8, 13: what a hostile or careless client sends gets a 4xx naming the problem. */
describe('hostile and careless input over HTTP', () => {
  let server: TestServer;
  let apiKey: string;
  let registered: { caseNumber: string; caseSecret: string };

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey();
    registered = (await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: HEX }] } })).body;
  });
  afterAll(() => server.close());

  const snapshot = async () => ({ seq: await server.server.rempart.store.lastSeq(), hashes: await server.server.rempart.store.countHashes() });

  describe('body limits (item 7)', () => {
    it('a JSON body over 4 MiB gets 413 BODY_TOO_LARGE naming the JSON limit, not the image one', async () => {
      const filler = 'x'.repeat(10 * 1024 * 1024);
      for (const [path, headers] of [['/v1/cases', {}], ['/v1/match', bearer(apiKey)]] as const) {
        const response = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ hashes: [{ algorithm: 'blockhash', value: HEX }], filler }),
        });
        const body = await response.json();
        expect(response.status, path).toBe(413);
        expect(body, path).toMatchObject({ error: 'BODY_TOO_LARGE', message: expect.stringContaining('JSON body is larger than the limit of 4194304 bytes (4 MiB)') });
        expect(body.message).not.toMatch(/50 MiB|52428800/);
      }
    });

    it('an image over its limit still gets IMAGE_TOO_LARGE with the image limit', async () => {
      const small = await startTestServer({ config: { maxImageBytes: String(64 * 1024) } });
      try {
        // A route that takes images only: the body parser stops it at the image limit.
        const key = await small.createPlatformKey();
        const matched = await request(`${small.url}/v1/match/image`, { raw: new Uint8Array(100 * 1024), contentType: 'image/png', headers: bearer(key) });
        expect(matched.status).toBe(413);
        expect(matched.body).toMatchObject({ error: 'IMAGE_TOO_LARGE', message: expect.stringContaining('image is larger than the limit of 65536 bytes') });
        // /v1/hash takes videos too (a larger body): the image limit is applied once the bytes are known to be an image.
        const hashed = await request(`${small.url}/v1/hash`, { raw: new Uint8Array(100 * 1024), contentType: 'image/png' });
        expect(hashed.status).toBe(413);
        expect(hashed.body).toMatchObject({ error: 'IMAGE_TOO_LARGE', message: expect.stringContaining('over the limit of 64.0 KB') });
      } finally {
        await small.close();
      }
    });

    it('REMPART_MAX_JSON_BYTES sets the JSON limit', async () => {
      const small = await startTestServer({ config: { maxJsonBytes: '2048' } });
      try {
        const hashes = Array.from({ length: 40 }, () => ({ algorithm: 'blockhash', value: HEX }));
        const response = await request(`${small.url}/v1/cases`, { body: { hashes } });
        expect(response.status).toBe(413);
        expect(response.body.message).toContain('limit of 2048 bytes');
      } finally {
        await small.close();
      }
    });
  });

  describe('no type coercion (item 8)', () => {
    const registrations: [string, unknown, RegExp][] = [
      ['quality as a string', { algorithm: 'pdq', value: HEX, quality: '50' }, /hashes\/0\/quality must be integer/],
      ['quality as an array', { algorithm: 'pdq', value: HEX, quality: [90] }, /hashes\/0\/quality must be integer/],
      ['quality as a boolean', { algorithm: 'pdq', value: HEX, quality: true }, /hashes\/0\/quality must be integer/],
      ['algorithm as an array', { algorithm: ['blockhash'], value: HEX }, /hashes\/0\/algorithm must be string/],
      ['value as a number', { algorithm: 'blockhash', value: 12345 }, /hashes\/0\/value must be string/],
    ];
    it.each(registrations)('registration refuses %s', async (_name, hash, message) => {
      const before = await snapshot();
      const response = await request(`${server.url}/v1/cases`, { body: { hashes: [hash] } });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: 'BAD_REQUEST', message: expect.stringMatching(message) });
      expect(await snapshot()).toEqual(before);
    });

    it('batch match refuses "dihedral": "true" and a hash list given as one object', async () => {
      const dihedral = await request(`${server.url}/v1/match`, { headers: bearer(apiKey), body: { hashes: [{ algorithm: 'blockhash', value: HEX }], dihedral: 'true' } });
      expect(dihedral.status).toBe(400);
      expect(dihedral.body.message).toMatch(/body\/dihedral must be boolean/);
      const single = await request(`${server.url}/v1/match`, { headers: bearer(apiKey), body: { hashes: { algorithm: 'blockhash', value: HEX } } });
      expect(single.status).toBe(400);
      expect(single.body.message).toMatch(/body\/hashes must be array/);
    });

    it('query strings take decimal integers and true/false only', async () => {
      const sync = (query: string) => request(`${server.url}/v1/sync?${query}`, { headers: bearer(apiKey) });
      for (const query of ['after=0x10', 'after=1e3', 'after=1.0', 'after= 1', 'after=', 'limit=10abc', 'after=1&after=2']) {
        const response = await sync(query);
        expect(response.status, query).toBe(400);
        expect(response.body.message, query).toMatch(/querystring\/(after|limit) must be integer/);
      }
      expect((await sync('after=0&limit=5')).status).toBe(200);
      expect((await sync('')).body).toMatchObject({ cursor: expect.any(Number) });

      const image = new Uint8Array([1, 2, 3]);
      for (const query of ['dihedral=1', 'dihedral=yes', 'dihedral=TRUE', 'dihedral=true&dihedral=false']) {
        const response = await request(`${server.url}/v1/hash?${query}`, { raw: image, contentType: 'image/png' });
        expect(response.status, query).toBe(400);
        expect(response.body.message, query).toMatch(/querystring\/dihedral must be boolean/);
      }
      // The plain spelling is read as a boolean (here the bytes are no image: 415, past validation).
      expect((await request(`${server.url}/v1/hash?dihedral=true`, { raw: image, contentType: 'image/png' })).status).toBe(415);
    });
  });

  describe('case numbers as victims type them (item 13)', () => {
    it('finds the case from lower case, spaces, missing dashes and look-alike letters', async () => {
      const { caseNumber, caseSecret } = registered;
      const digits = caseNumber.slice(4).replace('-', '');
      const typed = [
        caseNumber.toLowerCase(),
        ` ${caseNumber} `,
        `rmp ${digits.slice(0, 4)} ${digits.slice(4)}`,
        `RMP${digits}`,
        digits.toLowerCase(),
        `RMP-${digits.replace(/1/g, 'l').replace(/0/g, 'O')}`.replace(/^(RMP-.{4})/, '$1-'),
      ];
      for (const form of typed) {
        const response = await request(`${server.url}/v1/cases/${encodeURIComponent(form)}`, { headers: bearer(caseSecret) });
        expect(response.status, form).toBe(200);
        expect(response.body.caseNumber, form).toBe(caseNumber);
      }
    });

    it('still refuses what cannot be a case number, with the same answer as a wrong secret', async () => {
      const wrong = await request(`${server.url}/v1/cases/${registered.caseNumber}`, { headers: bearer('WRONG-SECRET') });
      for (const form of ['RMP-1234-567', 'RMP-1234-5678-9', 'RMP-UUUU-UUUU', 'RMP-12*4-5678']) {
        const response = await request(`${server.url}/v1/cases/${encodeURIComponent(form)}`, { headers: bearer(registered.caseSecret) });
        expect(response.status, form).toBe(401);
        expect(response.body, form).toEqual(wrong.body);
      }
    });

    it('withdraws through a typed number too', async () => {
      const created = (await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: 'c'.repeat(64) }] } })).body;
      const response = await request(`${server.url}/v1/cases/${encodeURIComponent(` ${created.caseNumber.toLowerCase().replace(/-/g, ' ')} `)}`, {
        method: 'DELETE',
        headers: bearer(created.caseSecret),
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ caseNumber: created.caseNumber, status: 'withdrawn', removedHashes: 1 });
    });
  });
});

describe('normaliseCaseNumber', () => {
  it('reads the number meant, or nothing', () => {
    expect(normaliseCaseNumber('rmp-7k2q-9xda')).toBe('RMP-7K2Q-9XDA');
    expect(normaliseCaseNumber('  7K2Q 9XDA ')).toBe('RMP-7K2Q-9XDA');
    expect(normaliseCaseNumber('RMP--7K2Q--9XDA')).toBe('RMP-7K2Q-9XDA');
    expect(normaliseCaseNumber('RMP-IL0O-0000')).toBe('RMP-1100-0000');
    expect(normaliseCaseNumber('RMP-7K2Q-9XD')).toBeUndefined();
    expect(normaliseCaseNumber('RMP-7K2Q-9XDU')).toBeUndefined();
    expect(normaliseCaseNumber('')).toBeUndefined();
  });
});
