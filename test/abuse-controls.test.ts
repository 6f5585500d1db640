/**
 * Abuse controls on a real server and the real CLI: the operators' allow-list (imported
 * from a file while the server runs), submissions near it or in bursts from one address
 * held out of the bank (no match, no feed) until an operator releases or rejects them,
 * and the roles themselves on both store backends.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipBits, randomCode } from './helpers/codes.js';
import { runCli } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { newLocalCopy, StopNciiClient, syncOnce } from './helpers/stopncii-client.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { operator, pdq } from './store-helpers.js';
import { eventually } from './helpers/eventually.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const next = seededRandom(1313);
const code = () => randomCode(next);
const near = (value: Uint8Array, distance: number) => flipBits(value, distance, next);

describe('abuse controls: allow-list and review queue', () => {
  let server: TestServer;
  let key: string;
  const stock = code();
  const meme = code();

  const cli = (...args: string[]) => runCli([...args, '--data-dir', server.dataDir]);
  const register = (values: Uint8Array[]) =>
    request(`${server.url}/v1/cases`, { body: { hashes: values.map((v) => ({ algorithm: 'pdq', value: hex(v), quality: 90 })) } });
  const matched = async (value: Uint8Array) => {
    const res = await request(`${server.url}/v1/match`, { headers: bearer(key), body: { hashes: [{ algorithm: 'pdq', value: hex(value) }] } });
    return (res.body.results[0].matches as unknown[]).length > 0;
  };
  const inSync = async (value: Uint8Array) => {
    const res = await request(`${server.url}/v1/sync?after=0&limit=10000`, { headers: bearer(key) });
    return (res.body.changes as { op: string; value?: string }[]).some((c) => c.op === 'add' && c.value === hex(value));
  };
  const inStopNcii = async (value: Uint8Array) => {
    const copy = newLocalCopy();
    await syncOnce(new StopNciiClient(`${server.url}/stopncii/v1`, key), copy);
    return copy.hashes.has(`ImagePDQ:${hex(value)}`);
  };
  const status = async (created: { caseNumber: string; caseSecret: string }) =>
    (await request(`${server.url}/v1/cases/${created.caseNumber}`, { headers: bearer(created.caseSecret) })).body;
  const heldList = async (status = 'held') =>
    (await cli('review', 'list', '--status', status, '--json')).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

  beforeAll(async () => {
    server = await startTestServer({ config: { holdBurst: '3' } });
    key = await server.createPlatformKey('Checker');
    // The operator imports the allow-list from a file while the server runs.
    const file = path.join(server.dataDir, 'benign.txt');
    fs.writeFileSync(file, `# stock photos\n${hex(stock)}\n${JSON.stringify({ algorithm: 'pdq', value: hex(meme), label: 'meme: distracted boyfriend' })}\n`);
    const imported = await cli('allow-list', 'import', file, '--label', 'stock photos 2026');
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ added: 2, already: 0 });
    expect(JSON.parse((await cli('allow-list', 'import', file)).stdout)).toEqual({ added: 0, already: 2 });
  });
  afterAll(() => server.close());

  it('holds a submitted hash near an allow-listed one out of the bank until an operator releases it', async () => {
    const poisoned = near(stock, 12);
    const genuine = [code(), code()];
    const created = await register([poisoned, ...genuine]);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ hashCount: 2, heldHashes: 1 });
    expect(await status(created.body)).toMatchObject({ hashCount: 2, heldHashes: 1, rejectedHashes: 0 });

    // Held: matches nothing, in no feed. The genuine ones are live.
    expect(await matched(poisoned)).toBe(false);
    expect(await matched(genuine[0]!)).toBe(true);
    expect(await inSync(poisoned)).toBe(false);
    expect(await inStopNcii(poisoned)).toBe(false);
    expect(await inStopNcii(genuine[1]!)).toBe(true);

    const [held] = (await heldList()).filter((h) => h.caseNumber === created.body.caseNumber);
    expect(held).toMatchObject({ reason: 'allow_list', hashCount: 1, status: 'held' });
    expect(held.detail.met).toEqual([{ item: 0, allowListed: expect.any(Number), label: 'stock photos 2026', distance: 12 }]);
    expect(JSON.stringify(held)).not.toContain(hex(poisoned));

    // The operator judges it genuine: released from the CLI, the running server matches it within a second or so.
    const released = await cli('review', 'release', held.ref);
    expect(released.code, released.stderr).toBe(0);
    expect(await eventually(() => matched(poisoned), (m) => m)).toBe(true);
    expect(await inSync(poisoned)).toBe(true);
    expect(await status(created.body)).toMatchObject({ hashCount: 3, heldHashes: 0 });
    const again = await cli('review', 'release', held.ref);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already released/);
  });

  it('erases the values of a rejected submission; the victim sees them as rejected', async () => {
    const poisoned = near(meme, 3);
    const created = await register([poisoned]);
    expect(created.body).toMatchObject({ hashCount: 0, heldHashes: 1 });
    const [held] = (await heldList()).filter((h) => h.caseNumber === created.body.caseNumber);
    expect(held.detail.met[0].label).toBe('meme: distracted boyfriend');
    expect((await cli('review', 'reject', held.ref)).code).toBe(0);
    expect(await status(created.body)).toMatchObject({ hashCount: 0, heldHashes: 0, rejectedHashes: 1 });
    expect((await server.server.rempart.store.getHeld(held.ref))!.items).toEqual([]);
    expect(await matched(poisoned)).toBe(false);
    expect((await heldList('rejected')).map((h) => h.ref)).toContain(held.ref);
    expect((await cli('review', 'reject', 'hold_nope')).stderr).toMatch(/no held submission hold_nope/);
  });

  it('holds the third near-identical submission from one address in the window, not unrelated ones', async () => {
    const base = code();
    const first = await register([near(base, 4)]);
    const unrelated = await register([code()]);
    const second = await register([near(base, 6)]);
    const third = await register([near(base, 5), code()]);
    expect([first, unrelated, second].map((r) => r.body.heldHashes)).toEqual([0, 0, 0]);
    expect(third.body).toMatchObject({ hashCount: 0, heldHashes: 2 });
    const [held] = (await heldList()).filter((h) => h.caseNumber === third.body.caseNumber);
    expect(held).toMatchObject({ reason: 'burst', hashCount: 2, detail: { similarSubmissions: 3, windowMinutes: 60 } });
  });

  it('erases a withdrawn case’s held hashes with it', async () => {
    const created = await register([near(stock, 2)]);
    expect(created.body.heldHashes).toBe(1);
    const withdrawn = await request(`${server.url}/v1/cases/${created.body.caseNumber}`, { method: 'DELETE', headers: bearer(created.body.caseSecret) });
    expect(withdrawn.status).toBe(200);
    expect((await heldList('all')).filter((h) => h.caseNumber === created.body.caseNumber)).toEqual([]);
  });

  it('lists and removes allow-list entries; a removed entry holds nothing any more', async () => {
    const probe = code();
    expect(JSON.parse((await cli('allow-list', 'add', hex(probe), '--label', 'probe')).stdout)).toEqual({ added: 1, already: 0 });
    const entries = (await cli('allow-list', 'list')).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.value, e.label])).toEqual([
      [hex(stock), 'stock photos 2026'],
      [hex(meme), 'meme: distracted boyfriend'],
      [hex(probe), 'probe'],
    ]);
    expect((await register([near(probe, 8)])).body).toMatchObject({ hashCount: 0, heldHashes: 1 });
    expect(JSON.parse((await cli('allow-list', 'remove', String(entries[2].id))).stdout)).toEqual({ removed: 1 });
    expect((await register([near(probe, 9)])).body).toMatchObject({ hashCount: 1, heldHashes: 0 });
    const bad = await cli('allow-list', 'add', 'zz');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/hex/);
  });
});

describe('quarantine: hashes that platforms dispute go to review', () => {
  it('takes an item out of the bank once enough platforms report it as not matching, until an operator releases it', async () => {
    const server = await startTestServer({ config: { quarantineAfter: '2' } });
    try {
      const [a, b, c] = [await server.createPlatformKey('A'), await server.createPlatformKey('B'), await server.createPlatformKey('C')];
      const disputed = code();
      const other = code();
      const created = await request(`${server.url}/v1/cases`, {
        body: { hashes: [disputed, other].map((v) => ({ algorithm: 'pdq', value: hex(v), quality: 90 })) },
      });
      const match = async (value: Uint8Array) =>
        (await request(`${server.url}/v1/match`, { headers: bearer(c), body: { hashes: [{ algorithm: 'pdq', value: hex(value) }] } })).body.results[0]
          .matches as { id: string }[];
      const [hit] = await match(disputed);
      const { cursor } = (await request(`${server.url}/v1/sync?after=0`, { headers: bearer(c) })).body;
      // A StopNCII client that has seen it active.
      const copy = newLocalCopy();
      const client = new StopNciiClient(`${server.url}/stopncii/v1`, c);
      await server.server.rempart.exchange.catchUp();
      await syncOnce(client, copy, { honourStatus: false });
      expect(copy.hashes.get(`ImagePDQ:${hex(disputed)}`)?.hashStatus).toBe('Active');

      // One platform says "not blocked": nothing happens yet.
      await request(`${server.url}/v1/feedback`, { headers: bearer(a), body: { feedback: [{ id: hit!.id, outcome: 'not_blocked' }] } });
      expect(await match(disputed)).toHaveLength(1);
      // A second one, by value through SubmitFeedback: quarantined.
      const submitted = await request(`${server.url}/stopncii/v1/SubmitFeedback`, {
        headers: { 'x-functions-key': b },
        body: { count: 1, hashFeedbacks: [{ hashValue: hex(disputed), feedbackValue: 'NotBlocked', tags: [] }] },
      });
      expect(submitted.status).toBe(200);
      expect(await match(disputed)).toEqual([]);
      expect(await match(other)).toHaveLength(1);
      const sync = (await request(`${server.url}/v1/sync?after=${cursor}`, { headers: bearer(c) })).body;
      expect(sync.changes.map((ch: { op: string; id: string }) => [ch.op, ch.id])).toEqual([['remove', hit!.id]]);
      const status = (await request(`${server.url}/v1/cases/${created.body.caseNumber}`, { headers: bearer(created.body.caseSecret) })).body;
      expect(status).toMatchObject({ hashCount: 1, heldHashes: 1 });
      // An operator's removal, not the victim's withdrawal: the StopNCII feed says Deleted.
      await server.server.rempart.exchange.catchUp();
      await syncOnce(client, copy, { honourStatus: false });
      expect(copy.hashes.get(`ImagePDQ:${hex(disputed)}`)?.hashStatus).toBe('Deleted');

      const rempart = server.server.rempart;
      const [held] = await rempart.review.list('held');
      expect(held).toMatchObject({ reason: 'dispute', caseNumber: created.body.caseNumber, hashCount: 1 });
      expect(held!.detail.notBlocked).toEqual({ [hit!.id]: 2 });
      await rempart.review.release(held!.ref, operator);
      expect(await match(disputed)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe.each(STORE_BACKENDS)('allow-list and review roles: $backend', (backend) => {
  it('erase a rejected submission’s values in the rejection itself: no table holds them once it commits', async () => {
    const handle = await backend.open();
    const { store } = handle;
    const created = await store.createCase({ number: 'RMP-HOLD-0009', secretHash: 'x', items: [] }, operator);
    const values = [pdq(41), pdq(42)];
    await store.holdItems({ ref: 'hold_r', caseId: created.case.id, reason: 'allow_list', detail: { met: [] }, items: [{ kind: 'image', hashes: values }] }, operator);
    expect(await handle.cellsContaining(values[0]!.bytes)).toEqual(['held_submissions.items']); // control

    const rejected = await store.decideHeld('hold_r', 'rejected', operator);
    expect(rejected).toMatchObject({ status: 'rejected', hashCount: 2, items: [] });
    for (const v of values) expect(await handle.cellsContaining(v.bytes)).toEqual([]);
    expect(await store.heldCountsOfCase(created.case.id)).toEqual({ held: 0, rejected: 2 });
  });

  it('keep entries unique, hold items out of the bank, and let one decision win', async () => {
    const { store } = await backend.open();
    const a = pdq(1);
    expect(await store.addAllowListed([{ algorithm: 'pdq', bytes: a.bytes, label: 'x' }], operator)).toEqual({ added: 1, already: 0 });
    const v1 = await store.allowListVersion();
    expect(await store.addAllowListed([{ algorithm: 'pdq', bytes: a.bytes, label: 'y' }, { algorithm: 'pdq', bytes: pdq(2).bytes, label: null }], operator)).toEqual({
      added: 1,
      already: 1,
    });
    const page = await store.allowListPage(0, 10);
    expect(page.map((e) => e.label)).toEqual(['x', null]);
    const v2 = await store.allowListVersion();
    expect(v2).not.toBe(v1);
    expect(await store.removeAllowListed([page[0]!.id, 99_999], operator)).toBe(1);
    expect(await store.allowListVersion()).not.toBe(v2);

    // A case whose every item is held has no hashes in the bank.
    const created = await store.createCase({ number: 'RMP-HOLD-0001', secretHash: 'x', items: [] }, operator);
    expect(await store.countHashes()).toBe(0);
    const item = { kind: 'image' as const, hashes: [{ ...pdq(3), role: 'full', detail: null }] };
    const held = await store.holdItems({ ref: 'hold_a', caseId: created.case.id, reason: 'allow_list', detail: { met: [] }, items: [item] }, operator);
    expect(held).toMatchObject({ ref: 'hold_a', caseNumber: 'RMP-HOLD-0001', hashCount: 1, status: 'held', decidedAt: null });
    expect(held.items[0]!.hashes[0]!.bytes).toEqual(pdq(3).bytes);
    expect(await store.heldCountsOfCase(created.case.id)).toEqual({ held: 1, rejected: 0 });

    const [first, second] = await Promise.all([store.decideHeld('hold_a', 'rejected', operator), store.decideHeld('hold_a', 'released', operator)]);
    expect([first, second].filter(Boolean).length).toBe(1);
    await store.eraseHeldItems('hold_a');
    expect((await store.getHeld('hold_a'))!.items).toEqual([]);
    expect((await store.listHeld({ status: 'held' })).length).toBe(0);

    // Quarantine's part of the case role: live items named by any of their refs, removed as a withdrawal would.
    const live = await store.createCase({ number: 'RMP-HOLD-0002', secretHash: 'x', items: [{ kind: 'image', hashes: [pdq(4)] }, { kind: 'image', hashes: [pdq(5)] }] }, operator);
    const [first4, second5] = live.items;
    const found = await store.liveItemsOfRefs([first4!.hashes[0]!.ref, second5!.ref, 'h_none']);
    expect(found.map((f) => [f.itemRef, f.caseId, f.item.hashes[0]!.bytes]).sort()).toEqual(
      [[first4!.ref, live.case.id, pdq(4).bytes], [second5!.ref, live.case.id, pdq(5).bytes]].sort(),
    );
    const cursor = await store.lastSeq();
    expect(await store.removeItems([first4!.id], operator)).toEqual([first4!.hashes[0]!.id]);
    expect(await store.removeItems([first4!.id], operator)).toEqual([]);
    expect(await store.countHashes()).toBe(1);
    const after = await store.changesAfter(cursor, 10);
    expect(after.map((c) => [c.op, c.ref, c.op === 'remove' ? c.removedBy : undefined])).toEqual([['remove', first4!.hashes[0]!.ref, 'operator']]);
    expect((await store.changesAfter(0, 100)).some((c) => c.op === 'add' && c.ref === first4!.hashes[0]!.ref)).toBe(false);
    expect((await store.getCaseByNumber('RMP-HOLD-0002'))!.status).toBe('active');

    await store.holdItems({ ref: 'hold_b', caseId: created.case.id, reason: 'burst', detail: {}, items: [item] }, operator);
    await store.withdrawCase(created.case.id, operator);
    expect(await store.eraseHeldOfWithdrawnCases()).toBe(2);
    expect(await store.listHeld()).toEqual([]);
    expect((await backend.open()) && (await store.listAudit({ limit: 100 })).map((e) => e.action)).toEqual(
      expect.arrayContaining(['allow_list.add', 'allow_list.remove', 'review.hold']),
    );
  });
});
