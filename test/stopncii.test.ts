import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from './helpers/random.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { HttpError, newLocalCopy, StopNciiClient, syncOnce, type LocalCopy } from './helpers/stopncii-client.js';

/** Random 256-bit values (about half their bits set, like real PDQ hashes). */
function randomHashes(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: 32 }, () => Math.floor(random() * 256).toString(16).padStart(2, '0')).join(''),
  );
}

async function register(server: TestServer, values: string[], extra: { algorithm: string; value: string }[] = []) {
  const hashes = [...values.map((value) => ({ algorithm: 'pdq', value, quality: 90 })), ...extra];
  const created = await request(`${server.url}/v1/cases`, { body: { hashes } });
  expect(created.status).toBe(201);
  return created.body as { caseNumber: string; caseSecret: string };
}

async function withdraw(server: TestServer, c: { caseNumber: string; caseSecret: string }) {
  const res = await request(`${server.url}/v1/cases/${c.caseNumber}`, { method: 'DELETE', headers: bearer(c.caseSecret) });
  expect(res.status).toBe(200);
}

/** The bank's live PDQ values, straight from the store. */
async function livePdq(server: TestServer): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const h of server.server.rempart.store.hashes()) {
    if (h.algorithm === 'pdq') out.add(Buffer.from(h.bytes).toString('hex'));
  }
  return out;
}

function copyValues(copy: LocalCopy): Set<string> {
  return new Set([...copy.hashes.values()].map((r) => r.hashValue));
}

function feed(server: TestServer, key: string): StopNciiClient {
  return new StopNciiClient(`${server.url}/stopncii/v1`, key);
}

describe('StopNCII-compatible exchange over HTTP', () => {
  let server: TestServer;
  let key: string;

  beforeAll(async () => {
    server = await startTestServer();
    key = await server.createPlatformKey('stopncii-reader');
  });
  afterAll(() => server.close());

  it('takes a Rempart platform key in x-functions-key, whatever the subscription key, and 401s otherwise', async () => {
    const url = `${server.url}/stopncii/v1/FetchHashes?startTimestamp=10&pageSize=800`;
    expect((await request(url)).status).toBe(401);
    const bearerOnly = await request(url, { headers: bearer(key) });
    expect(bearerOnly.status).toBe(401);
    expect(bearerOnly.body.message).toMatch(/x-functions-key/);
    expect((await request(url, { headers: { 'x-functions-key': 'rk_000000000000_nope' } })).status).toBe(401);
    expect((await request(url, { headers: { 'x-functions-key': key, 'Ocp-Apim-Subscription-Key': 'anything at all' } })).status).toBe(200);

    const revokedKey = await server.createPlatformKey('revoked-reader');
    await server.server.rempart.platforms.revoke('revoked-reader', { kind: 'operator', id: 'test' });
    const revoked = await request(url, { headers: { 'x-functions-key': revokedKey } });
    expect(revoked.status).toBe(401);
    await expect(feed(server, revokedKey).fetchHashes()).rejects.toBeInstanceOf(HttpError);
  });

  it('serves PDQ records with the exact wire shape, opaque refs as caseNumbers and never a case number', async () => {
    const [a, b] = randomHashes(1, 2);
    const blockhash = randomHashes(2, 1)[0]!;
    const created = await register(server, [a!, b!], [{ algorithm: 'blockhash', value: blockhash }]);

    const raw = await request(`${server.url}/stopncii/v1/FetchHashes?startTimestamp=10&pageSize=800`, { headers: { 'x-functions-key': key } });
    expect(raw.status).toBe(200);
    expect(Object.keys(raw.body).sort()).toEqual(['count', 'hasMoreRecords', 'hashRecords', 'nextPageToken', 'nextSetTimestamp']);
    expect(JSON.stringify(raw.body)).not.toContain(created.caseNumber);
    const page = await feed(server, key).fetchHashes({ startTimestamp: 10, pageSize: 800 });
    expect(page.skipped).toBe(0);
    expect(page.hasMoreRecords).toBe(false);
    expect(page.nextPageToken).toBeNull();
    expect(page.count).toBe(page.hashRecords.length);
    const mine = page.hashRecords.filter((r) => r.hashValue === a || r.hashValue === b);
    expect(mine).toHaveLength(2);
    // blockhash has no StopNCII signal type
    expect(page.hashRecords.some((r) => r.hashValue === blockhash)).toBe(false);

    // The refs are the ids /v1/match returns for the same hash.
    const matched = await request(`${server.url}/v1/match`, { headers: bearer(key), body: { hashes: [{ algorithm: 'pdq', value: a }] } });
    const id = matched.body.results[0].matches[0].id as string;
    const recordA = mine.find((r) => r.hashValue === a)!;
    expect(recordA).toEqual({
      lastModtimestamp: expect.any(Number),
      signalType: 'ImagePDQ',
      hashValue: a,
      hashStatus: 'Active',
      caseNumbers: { [id]: 'Active' },
      CSPFeedbacks: [],
    });
    const now = Math.floor(Date.now() / 1000);
    expect(recordA.lastModtimestamp).toBeGreaterThan(now - 60);
    expect(recordA.lastModtimestamp).toBeLessThanOrEqual(now);
    expect(page.nextSetTimestamp).toBeGreaterThanOrEqual(recordA.lastModtimestamp);
  });

  it('answers a base URL entered with a trailing slash (the client then asks for …/v1//FetchHashes), found with the real client', async () => {
    const [value] = randomHashes(7, 1);
    await register(server, [value!]);
    const slashed = new StopNciiClient(`${server.url}/stopncii/v1/`, key);
    const copy = newLocalCopy();
    await syncOnce(slashed, copy);
    expect(copyValues(copy).has(value!)).toBe(true);
    expect(await slashed.submitFeedback([{ hashValue: value!, feedbackValue: 'Blocked' }])).toMatchObject({ recorded: 1, unknownHashValues: [] });
    // Only the documented spelling is in the OpenAPI document.
    const paths = Object.keys((await request(`${server.url}/openapi.json`)).body.paths);
    expect(paths.filter((p) => p.includes('FetchHashes'))).toEqual(['/stopncii/v1/FetchHashes']);
  });

  it('keeps a copy equal to the bank through the checkpoint loop while cases are registered and withdrawn during paging', async () => {
    const client = feed(server, key);
    const copy = newLocalCopy();
    const cases: { caseNumber: string; caseSecret: string }[] = [];
    for (let i = 0; i < 20; i++) cases.push(await register(server, randomHashes(100 + i, 60)));

    // Writes between pages: a new case every page, a withdrawal every other page.
    let seed = 1000;
    await syncOnce(client, copy, {
      pageSize: 97,
      betweenPages: async (page) => {
        cases.push(await register(server, randomHashes(seed++, 25)));
        if (page % 2 === 0) await withdraw(server, cases.splice(page % cases.length, 1)[0]!);
      },
    });
    expect(copy.pages).toBeGreaterThan(12);
    // One more round from the stored checkpoint brings in what was written after the last page.
    await syncOnce(client, copy, { pageSize: 800 });
    expect(copyValues(copy)).toEqual(await livePdq(server));

    // Truly concurrent writers while a slow reader pages through with the page size.
    const writer = (async () => {
      for (let i = 0; i < 15; i++) {
        cases.push(await register(server, randomHashes(seed++, 40)));
        if (i % 3 === 0) await withdraw(server, cases.shift()!);
      }
    })();
    const reader = (async () => {
      for (let round = 0; round < 6; round++) await syncOnce(client, copy, { pageSize: 50 });
    })();
    await Promise.all([writer, reader]);
    await syncOnce(client, copy, { pageSize: 800 });
    expect(copyValues(copy)).toEqual(await livePdq(server));

    // The checkpoint never went backwards (syncOnce throws if it does) and is a whole number of seconds.
    for (let i = 1; i < copy.checkpoints.length; i++) expect(copy.checkpoints[i]).toBeGreaterThanOrEqual(copy.checkpoints[i - 1]!);
    expect(copy.checkpoints.every(Number.isInteger)).toBe(true);

    // A fresh client converges to the same list in one loop.
    const fresh = newLocalCopy();
    await syncOnce(client, fresh);
    expect(copyValues(fresh)).toEqual(await livePdq(server));
  });

  it('serves one snapshot per value, naming every case that holds it', async () => {
    const [shared] = randomHashes(5000, 1);
    const first = await register(server, [shared!]);
    const second = await register(server, [shared!]);
    const client = feed(server, key);
    const copy = newLocalCopy();
    await syncOnce(client, copy);
    const record = copy.hashes.get(`ImagePDQ:${shared}`)!;
    expect(Object.values(record.caseNumbers)).toEqual(['Active', 'Active']);

    await withdraw(server, first);
    await syncOnce(client, copy);
    const after = copy.hashes.get(`ImagePDQ:${shared}`)!;
    expect(after.hashStatus).toBe('Active');
    expect(Object.values(after.caseNumbers).sort()).toEqual(['Active', 'Withdrawn']);

    await withdraw(server, second);
    const pages: Awaited<ReturnType<StopNciiClient['fetchHashes']>>[] = [];
    for await (const page of client.fetchIter(copy.checkpoint!)) pages.push(page);
    const tombstone = pages.flatMap((p) => p.hashRecords).find((r) => r.hashValue === shared)!;
    expect(tombstone.hashStatus).toBe('Withdrawn');
    expect(Object.values(tombstone.caseNumbers)).toEqual(['Withdrawn', 'Withdrawn']);
  });

  it('names a withdrawn value only to clients that may have seen it; a fresh client never receives one', async () => {
    const values = randomHashes(6000, 5);
    const c = await register(server, values);
    const client = feed(server, key);
    const copy = newLocalCopy();
    await syncOnce(client, copy);
    for (const v of values) expect(copy.hashes.has(`ImagePDQ:${v}`)).toBe(true);

    await withdraw(server, c);
    // The client that had them learns of the withdrawal and drops them...
    await syncOnce(client, copy);
    for (const v of values) expect(copy.hashes.has(`ImagePDQ:${v}`)).toBe(false);
    expect(copyValues(copy)).toEqual(await livePdq(server));

    // ...a new client, from the beginning, is never sent the withdrawn values at all.
    const other = feed(server, await server.createPlatformKey('newcomer'));
    const seen: string[] = [];
    for await (const page of other.fetchIter(10)) seen.push(...page.hashRecords.map((r) => `${r.hashStatus}:${r.hashValue}`));
    for (const v of values) {
      expect(seen).not.toContain(`Withdrawn:${v}`);
      expect(seen).not.toContain(`Active:${v}`);
    }
  });

  it('refuses bad parameters and foreign page tokens with a 400 naming the problem', async () => {
    const base = `${server.url}/stopncii/v1/FetchHashes`;
    const headers = { 'x-functions-key': key };
    const cases: [string, RegExp][] = [
      ['', /startTimestamp/],
      ['?startTimestamp=1.5', /startTimestamp/],
      ['?startTimestamp=-1', /startTimestamp/],
      ['?startTimestamp=10&pageSize=0', /pageSize/],
      ['?startTimestamp=10&pageSize=10001', /pageSize/],
      ['?startTimestamp=10&nextPageToken=garbage', /nextPageToken/],
      ['?startTimestamp=10&extra=1', /extra|additional/],
    ];
    for (const [query, message] of cases) {
      const res = await request(`${base}${query}`, { headers });
      expect(res.status, query).toBe(400);
      expect(res.body.message, query).toMatch(message);
    }
    // A token issued for one startTimestamp cannot be replayed with another.
    const first = await feed(server, key).fetchHashes({ startTimestamp: 10, pageSize: 1 });
    expect(first.hasMoreRecords).toBe(true);
    const replay = await request(`${base}?startTimestamp=11&pageSize=1&nextPageToken=${first.nextPageToken}`, { headers });
    expect(replay.status).toBe(400);
    expect(replay.body.message).toMatch(/startTimestamp=10/);
  });
});

describe('StopNCII tombstones', () => {
  it('erases a withdrawn value once the only client that saw it has acknowledged the removal', async () => {
    const server = await startTestServer();
    try {
      const key = await server.createPlatformKey('only-reader');
      const client = feed(server, key);
      const [value] = randomHashes(7000, 1);
      const bytes = Buffer.from(value!, 'hex');
      const c = await register(server, [value!]);
      const copy = newLocalCopy();
      await syncOnce(client, copy);
      expect(copy.hashes.has(`ImagePDQ:${value}`)).toBe(true);

      await withdraw(server, c);
      await server.server.rempart.exchange.catchUp();
      await server.server.rempart.exchange.purge();
      // Still kept: the client has not learnt of the withdrawal yet.
      expect(databaseHolds(server.dataDir, bytes)).toBe(true);

      await syncOnce(client, copy);
      expect(copy.hashes.has(`ImagePDQ:${value}`)).toBe(false);
      // Once a fetch has ended on a checkpoint after the tombstone's second, the next one
      // starts from it: the removal is acknowledged (a client that crashed before storing that
      // checkpoint would come back with an older one, and the tombstone would still be there).
      await new Promise((r) => setTimeout(r, 1100));
      for (let round = 0; round < 2; round++) {
        await syncOnce(client, copy);
        await server.server.rempart.exchange.purge();
      }
      await server.server.rempart.store.setSetting('checkpoint-probe', '1'); // a write, then a checkpoint on close
      await server.close();
      expect(databaseHolds(server.dataDir, bytes)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('erases before the withdrawal answers a projected value that no client has been served', async () => {
    const server = await startTestServer();
    try {
      await server.createPlatformKey('never-reads');
      const [value] = randomHashes(7500, 1);
      const c = await register(server, [value!]);
      await server.server.rempart.exchange.catchUp(); // the value is in the projection
      expect(databaseHolds(server.dataDir, Buffer.from(value!, 'hex'))).toBe(true);
      await withdraw(server, c);
      // Straight after the answer, with the server still running: neither the database nor its WAL holds it.
      expect(databaseHolds(server.dataDir, Buffer.from(value!, 'hex'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('never keeps withdrawn values with REMPART_TOMBSTONE_DAYS=0', async () => {
    const server = await startTestServer({ config: { tombstoneDays: '0' } });
    try {
      const key = await server.createPlatformKey('reader');
      const client = feed(server, key);
      const [value] = randomHashes(8000, 1);
      const c = await register(server, [value!]);
      const copy = newLocalCopy();
      await syncOnce(client, copy);
      await withdraw(server, c);
      await server.server.rempart.exchange.catchUp();
      await server.server.rempart.exchange.purge();
      await server.close();
      expect(databaseHolds(server.dataDir, Buffer.from(value!, 'hex'))).toBe(false);
    } finally {
      await server.close();
    }
  });
});

/** Whether any file of the data directory (database, WAL) still holds these bytes. */
function databaseHolds(dataDir: string, bytes: Buffer): boolean {
  return fs
    .readdirSync(dataDir)
    .filter((f) => f.startsWith('rempart.sqlite'))
    .some((f) => fs.readFileSync(path.join(dataDir, f)).includes(bytes));
}
