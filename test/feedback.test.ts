import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { newLocalCopy, StopNciiClient, syncOnce } from './helpers/stopncii-client.js';

function randomHashes(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: 32 }, () => Math.floor(random() * 256).toString(16).padStart(2, '0')).join(''),
  );
}

describe('feedback from platforms', () => {
  let server: TestServer;
  let keys: Record<'alpha' | 'beta' | 'gamma', string>;
  let values: string[];
  let victim: { caseNumber: string; caseSecret: string };
  let ids: string[];

  async function status() {
    const res = await request(`${server.url}/v1/cases/${victim.caseNumber}`, { headers: bearer(victim.caseSecret) });
    expect(res.status).toBe(200);
    return res.body as { platformsBlocked: number };
  }

  async function feedback(key: string, body: unknown) {
    return request(`${server.url}/v1/feedback`, { headers: bearer(key), body });
  }

  beforeAll(async () => {
    server = await startTestServer();
    keys = {
      alpha: await server.createPlatformKey('Alpha'),
      beta: await server.createPlatformKey('Beta'),
      gamma: await server.createPlatformKey('Gamma'),
    };
    values = randomHashes(42, 2);
    const created = await request(`${server.url}/v1/cases`, {
      body: { hashes: values.map((value) => ({ algorithm: 'pdq', value, quality: 95 })) },
    });
    victim = created.body;
    const matched = await request(`${server.url}/v1/match`, {
      headers: bearer(keys.alpha),
      body: { hashes: values.map((value) => ({ algorithm: 'pdq', value })) },
    });
    ids = matched.body.results.map((r: { matches: { id: string }[] }) => r.matches[0]!.id);
  });
  afterAll(() => server.close());

  it('records per-match reports through Rempart’s API, and the victim sees only how many platforms blocked copies', async () => {
    expect((await status()).platformsBlocked).toBe(0);
    const events: unknown[] = [];
    server.server.rempart.events.on('feedback.recorded', (e) => events.push(e));

    const first = await feedback(keys.alpha, { feedback: [{ id: ids[0], outcome: 'blocked', tags: ['ncii', 'ncii'] }, { id: 'h_nope', outcome: 'blocked' }] });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ recorded: 1, unknown: ['h_nope'] });
    expect(events).toEqual([{ platform: 'Alpha', refs: [ids[0]], byValue: { Blocked: 1 } }]);
    expect((await status()).platformsBlocked).toBe(1);

    // Another platform blocks the other image: two platforms. One saying "not blocked" does not count.
    expect((await feedback(keys.beta, { feedback: [{ id: ids[1], outcome: 'blocked' }] })).status).toBe(200);
    expect((await feedback(keys.gamma, { feedback: [{ id: ids[0], outcome: 'not_blocked' }] })).status).toBe(200);
    const seen = await status();
    expect(seen.platformsBlocked).toBe(2);
    // The victim's answer names no platform.
    expect(JSON.stringify(seen)).not.toMatch(/Alpha|Beta|Gamma/);

    // A later report replaces the platform's earlier one.
    expect((await feedback(keys.beta, { feedback: [{ id: ids[1], outcome: 'pending_review' }] })).status).toBe(200);
    expect((await status()).platformsBlocked).toBe(1);
  });

  it('refuses malformed reports with a 400 naming the field, and unauthenticated ones with a 401', async () => {
    const badOutcome = await feedback(keys.alpha, { feedback: [{ id: ids[0], outcome: 'nuked' }] });
    expect(badOutcome.status).toBe(400);
    expect(badOutcome.body.message).toMatch(/outcome/);
    const empty = await feedback(keys.alpha, { feedback: [] });
    expect(empty.status).toBe(400);
    const tooManyTags = await feedback(keys.alpha, { feedback: [{ id: ids[0], outcome: 'blocked', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }] });
    expect(tooManyTags.status).toBe(400);
    expect(tooManyTags.body.message).toMatch(/tags/);
    expect((await request(`${server.url}/v1/feedback`, { body: { feedback: [{ id: ids[0], outcome: 'blocked' }] } })).status).toBe(401);
  });

  it('takes StopNCII SubmitFeedback by value and serves it back as CSPFeedbacks, moving the record so that readers see it', async () => {
    const client = new StopNciiClient(`${server.url}/stopncii/v1`, keys.gamma);
    const copy = newLocalCopy();
    await syncOnce(client, copy);
    const before = copy.checkpoint!;

    const result = await client.submitFeedback([
      { hashValue: values[1]!, feedbackValue: 'Blocked', tags: ['Nude'] },
      { hashValue: randomHashes(999, 1)[0]!, feedbackValue: 'Blocked' },
    ]);
    expect(result).toEqual({ count: 2, recorded: 1, unknownHashValues: [randomHashes(999, 1)[0]] });

    // The next fetch from the stored checkpoint brings the record again, with the feedback.
    const pages = [];
    for await (const page of client.fetchIter(before)) pages.push(page);
    const record = pages.flatMap((p) => p.hashRecords).find((r) => r.hashValue === values[1]);
    expect(record?.CSPFeedbacks).toEqual([
      { feedbackValue: 'PendingReview', tags: [], source: 'Beta' },
      { feedbackValue: 'Blocked', tags: ['Nude'], source: 'Gamma' },
    ]);
    expect((await status()).platformsBlocked).toBe(2);

    const mismatch = await request(`${server.url}/stopncii/v1/SubmitFeedback`, {
      headers: { 'x-functions-key': keys.gamma },
      body: { count: 3, hashFeedbacks: [{ hashValue: values[0], feedbackValue: 'Blocked', tags: [] }] },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toMatch(/count/);
    const badValue = await request(`${server.url}/stopncii/v1/SubmitFeedback`, {
      headers: { 'x-functions-key': keys.gamma },
      body: { count: 1, hashFeedbacks: [{ hashValue: values[0], feedbackValue: 'Nuked', tags: [] }] },
    });
    expect(badValue.status).toBe(400);
  });

  it('shows operators the reports per hash and per case on the command line', async () => {
    const byCase = await runCli(['feedback', 'case', victim.caseNumber, '--json', '--data-dir', server.dataDir]);
    expect(byCase.code, byCase.stderr).toBe(0);
    const rows = byCase.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // Reports are about the image (item) a matched hash belongs to.
    const firstItem = (await server.server.rempart.feedback.forHash(ids[0]!))[0]!.itemRef;
    expect(firstItem).toMatch(/^i_/);
    expect(rows.map((r) => `${r.platform}:${r.item === firstItem ? 0 : 1}:${r.value}`).sort()).toEqual([
      'Alpha:0:Blocked',
      'Beta:1:PendingReview',
      'Gamma:0:NotBlocked',
      'Gamma:1:Blocked',
    ]);
    expect(rows.find((r) => r.platform === 'Alpha').tags).toEqual(['ncii']);

    const byHash = await runCli(['feedback', 'hash', ids[0]!, '--data-dir', server.dataDir]);
    expect(byHash.code, byHash.stderr).toBe(0);
    expect(byHash.stdout).toMatch(/Alpha\tBlocked\tncii/);
    expect(byHash.stdout).toMatch(/Gamma\tNotBlocked\t-/);

    const unknownCase = await runCli(['feedback', 'case', 'RMP-0000-0000', '--data-dir', server.dataDir]);
    expect(unknownCase.code).not.toBe(0);
    expect(unknownCase.stderr).toMatch(/no case RMP-0000-0000/);
  });

  it('erases the reports with the case when the victim withdraws it', async () => {
    const caseId = (await server.server.rempart.store.getCaseByNumber(victim.caseNumber))!.id;
    expect((await server.server.rempart.store.feedbackOfCase(caseId)).length).toBeGreaterThan(0);
    const res = await request(`${server.url}/v1/cases/${victim.caseNumber}`, { method: 'DELETE', headers: bearer(victim.caseSecret) });
    expect(res.status).toBe(200);
    expect(res.body.platformsBlocked).toBe(0);
    expect(await server.server.rempart.store.feedbackOfCase(caseId)).toEqual([]);
  });
});
