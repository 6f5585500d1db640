/**
 * A registered video in the StopNCII-compatible feed, read by a client that parses it as
 * HMA's does: its MD5 as a VideoMD5 record (32 hex), its frames as ImagePDQ records; the
 * platform's SubmitFeedback on the VideoMD5 value (no signal type in the request: the value's
 * length tells it) comes back as CSPFeedbacks on that record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexHashValues } from './helpers/codes.js';
import { request, startTestServer, type TestServer } from './helpers/server.js';
import { newLocalCopy, StopNciiClient, syncOnce } from './helpers/stopncii-client.js';

const MD5 = '0123456789abcdef0123456789abcdef';

let server: TestServer;
let client: StopNciiClient;
let key: string;
let frames: string[];

beforeAll(async () => {
  server = await startTestServer();
  key = await server.createPlatformKey('Gamma');
  client = new StopNciiClient(`${server.url}/stopncii/v1`, key);
  frames = hexHashValues(7, 3);
  const created = await request(`${server.url}/v1/cases`, {
    body: { videos: [{ md5: MD5, frames: frames.map((value, t) => ({ t, value, quality: 90 })) }] },
  });
  expect(created.status).toBe(201);
});
afterAll(() => server.close());

describe('a video in the StopNCII-compatible feed', () => {
  it('is served as one VideoMD5 record and ImagePDQ records of its frames', async () => {
    const copy = newLocalCopy();
    await syncOnce(client, copy);
    expect([...copy.hashes.keys()].sort()).toEqual([`VideoMD5:${MD5}`, ...frames.map((f) => `ImagePDQ:${f}`)].sort());
    expect(copy.hashes.get(`VideoMD5:${MD5}`)).toMatchObject({ hashStatus: 'Active', CSPFeedbacks: [] });
  });

  it('takes SubmitFeedback on the VideoMD5 value and serves it back on that record', async () => {
    const copy = newLocalCopy();
    await syncOnce(client, copy);
    const before = copy.checkpoint!;
    const unknown = 'ffffffffffffffffffffffffffffffff';
    const result = await client.submitFeedback([
      { hashValue: MD5.toUpperCase(), feedbackValue: 'Blocked', tags: ['Nude'] },
      { hashValue: unknown, feedbackValue: 'Blocked' },
    ]);
    expect(result).toEqual({ count: 2, recorded: 1, unknownHashValues: [unknown] });
    await syncOnce(client, copy);
    expect(copy.checkpoint).toBeGreaterThanOrEqual(before);
    expect(copy.hashes.get(`VideoMD5:${MD5}`)?.CSPFeedbacks).toEqual([{ feedbackValue: 'Blocked', tags: ['Nude'], source: 'Gamma' }]);

    const bad = await request(`${server.url}/stopncii/v1/SubmitFeedback`, {
      headers: { 'x-functions-key': key },
      body: { count: 1, hashFeedbacks: [{ hashValue: 'abc', feedbackValue: 'Blocked', tags: [] }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/hashFeedbacks\[0\]\.hashValue .*64 hex .*32/);
  });
});
