/**
 * Contract of the takedown and webhook roles, run against every store backend (as
 * test/store-contract.test.ts is): reports and links with their history, notices and
 * answers, erasure of sealed personal data, the platform directory, templates, operators
 * and sessions, and the webhook queue's leases.
 */
import { describe, expect, it } from 'vitest';
import type { NewLink } from '../src/store/takedown.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { codeOf, operator, pdq, platformActor, register, steppingClock, victim } from './store-helpers.js';

let counter = 0;
function link(url: string, platformId: number | null = null): NewLink {
  counter++;
  return { ref: `l_test${counter}`, url, host: new URL(url).hostname, siteHint: null, platformId };
}

describe.each(STORE_BACKENDS)('takedown roles: $backend', (backend) => {
  async function withCase() {
    const handle = await backend.open({ now: steppingClock() });
    const created = await register(handle.store, { number: `RMP-TEST-${++counter}`, secretHash: 'x', hashes: [pdq(counter)] }, victim);
    const platform = await handle.store.addPlatform({ name: `P${counter}`, keyId: `k${counter}`.padEnd(12, '0'), keyHash: 'h' }, operator);
    return { ...handle, caseId: created.case.id, caseNumber: created.case.number, platformId: platform.id };
  }

  it('keeps a report, its links once each, and their history', async () => {
    const { store, caseId, caseNumber, platformId } = await withCase();
    const report = await store.createReport({
      ref: 'r_one',
      caseId,
      ageBracket: 'adult',
      language: 'fr',
      descriptionSealed: 'v1:sealed-description',
      contactSealed: null,
      links: [link('https://a.example/1', platformId), link('https://b.example/2')],
      actor: victim,
    });
    expect(report).toMatchObject({ ref: 'r_one', caseNumber, status: 'open', descriptionSealed: 'v1:sealed-description' });
    expect(await codeOf(store.createReport({ ref: 'r_two', caseId, ageBracket: 'adult', language: 'fr', descriptionSealed: null, contactSealed: null, links: [], actor: victim }))).toBe('CONFLICT');
    const added = await store.addLinks(report.id, [link('https://a.example/1'), link('https://c.example/3')], victim);
    expect(added.map((l) => l.url)).toEqual(['https://c.example/3']);
    const links = await store.listLinks(report.id);
    expect(links.map((l) => [l.url, l.status, l.platformId])).toEqual([
      ['https://a.example/1', 'received', platformId],
      ['https://b.example/2', 'received', null],
      ['https://c.example/3', 'received', null],
    ]);
    await store.setLinkStatus(links[1]!.id, 'not_found', { actor: operator, reason: 'gone' });
    const events = await store.linkEvents(report.id);
    expect(events.filter((e) => e.linkId === links[1]!.id).map((e) => [e.status, e.note])).toEqual([['received', null], ['not_found', 'gone']]);
    expect((await store.openReports()).map((r) => r.ref)).toEqual(['r_one']);
  });

  it('creates notices, records answers per link and closes them when complete', async () => {
    const { store, caseId, platformId } = await withCase();
    const report = await store.createReport({ ref: 'r_n', caseId, ageBracket: 'minor', language: 'en', descriptionSealed: null, contactSealed: null, links: [link('https://a.example/n1', platformId), link('https://a.example/n2', platformId)], actor: victim });
    const links = await store.listLinks(report.id);
    const notice = await store.createNotice({ ref: 'n_one', reportId: report.id, channel: 'platform', platformId, recipient: null, category: 'minor', explanation: '', language: 'en', deadlineAt: '2099-01-01T00:00:00.000Z', linkIds: links.map((l) => l.id), actor: operator });
    expect(notice).toMatchObject({ ref: 'n_one', category: 'minor', closedAt: null });
    expect(notice.sentAt).not.toBeNull();
    expect((await store.listLinks(report.id)).map((l) => l.status)).toEqual(['notice_sent', 'notice_sent']);
    expect((await store.listNotices({ platformId, open: true })).map((n) => n.ref)).toEqual(['n_one']);
    let answered = await store.answerNotice(notice.id, links[0]!.id, { outcome: 'removed', reason: null, at: '2026-01-02T00:00:00.000Z', actor: platformActor });
    expect(answered.closedAt).toBeNull();
    answered = await store.answerNotice(notice.id, links[1]!.id, { outcome: 'refused', reason: 'not ours', at: '2026-01-03T00:00:00.000Z', actor: platformActor });
    expect(answered.closedAt).toBe('2026-01-03T00:00:00.000Z');
    expect(answered.links.map((l) => [l.outcome, l.reason])).toEqual([['removed', null], ['refused', 'not ours']]);
    const after = await store.listLinks(report.id);
    expect(after.map((l) => [l.status, l.reason])).toEqual([['removed', null], ['refused', 'not ours']]);
    expect(after[0]!.removedAt).toBe('2026-01-02T00:00:00.000Z');
    expect(await store.listNotices({ platformId, open: true })).toEqual([]);
    const rows = await store.reportingRows('2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z');
    expect(rows.removals).toHaveLength(1);
    expect(rows.notices.map((n) => n.category)).toEqual(['minor']);
  });

  it('erases sealed personal data on closing, and everything on withdrawal', async () => {
    const handle = await withCase();
    const { store, caseId } = handle;
    const report = await store.createReport({ ref: 'r_e', caseId, ageBracket: 'adult', language: 'fr', descriptionSealed: 'v1:DESCRIPTION-SEALED-BYTES', contactSealed: 'v1:CONTACT-SEALED-BYTES', links: [link('https://a.example/e')], actor: victim });
    await store.setAnswer(report.id, { sealed: 'v1:ANSWER-SEALED-BYTES', at: '2026-01-01T00:00:00.000Z', by: 'alice' });
    expect(await store.reportsDueForErasure('2000-01-01T00:00:00.000Z')).toEqual([]);
    expect(await store.reportsDueForErasure('2100-01-01T00:00:00.000Z')).toEqual([report.id]);
    await store.closeReport(report.id, 'closed', '2026-01-05T00:00:00.000Z');
    const closed = (await store.getReport('r_e'))!;
    expect(closed).toMatchObject({ status: 'closed', descriptionSealed: null, contactSealed: null, answerSealed: 'v1:ANSWER-SEALED-BYTES' });
    expect(await handle.cellsContaining(Buffer.from('DESCRIPTION-SEALED-BYTES'))).toEqual([]);
    await store.closeReport(report.id, 'withdrawn', '2026-01-06T00:00:00.000Z');
    expect((await store.getReport('r_e'))!.answerSealed).toBeNull();
    expect((await store.listLinks(report.id))[0]!.status).toBe('withdrawn');
    expect(await handle.cellsContaining(Buffer.from('ANSWER-SEALED-BYTES'))).toEqual([]);
  });

  it('keeps platform settings, templates, operators and sessions', async () => {
    const { store, platformId } = await withCase();
    expect(await store.getPlatformNoticeSettings(platformId)).toEqual({ platformId, domains: [], noticeEmail: null, deadlineHours: null });
    await store.setPlatformNoticeSettings({ platformId, domains: ['a.example'], noticeEmail: 'n@a.example', deadlineHours: 12 });
    expect(await store.listPlatformNoticeSettings()).toEqual([{ platformId, domains: ['a.example'], noticeEmail: 'n@a.example', deadlineHours: 12 }]);
    await store.saveTemplate({ key: 'removed', language: 'fr', title: 'T', body: 'B', updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'alice' });
    await store.saveTemplate({ key: 'removed', language: 'fr', title: 'T2', body: 'B2', updatedAt: '2026-01-02T00:00:00.000Z', updatedBy: 'bob' });
    expect(await store.listTemplates()).toEqual([{ key: 'removed', language: 'fr', title: 'T2', body: 'B2', updatedAt: '2026-01-02T00:00:00.000Z', updatedBy: 'bob' }]);
    const alice = await store.createOperator({ name: 'alice', passwordHash: 'scrypt$x', totpSealed: 'v1:t', at: '2026-01-01T00:00:00.000Z' });
    expect(await codeOf(store.createOperator({ name: 'alice', passwordHash: 'y', totpSealed: 'z', at: '2026-01-01T00:00:00.000Z' }))).toBe('CONFLICT');
    await store.updateOperator(alice.id, { failedLogins: 3, totpLastStep: 99 });
    expect(await store.getOperatorByName('alice')).toMatchObject({ failedLogins: 3, totpLastStep: 99, disabledAt: null });
    expect(await store.acceptTotpStep(alice.id, 99)).toBe(false);
    expect(await store.acceptTotpStep(alice.id, 100)).toBe(true);
    expect(await store.getOperatorByName('alice')).toMatchObject({ failedLogins: 0, totpLastStep: 100 });
    await store.recordLoginFailure(alice.id, 2, '2026-01-01T00:15:00.000Z');
    expect(await store.getOperatorByName('alice')).toMatchObject({ failedLogins: 1, lockedUntil: null });
    await store.recordLoginFailure(alice.id, 2, '2026-01-01T00:15:00.000Z');
    expect(await store.getOperatorByName('alice')).toMatchObject({ failedLogins: 0, lockedUntil: '2026-01-01T00:15:00.000Z' });
    await store.createSession({ tokenHash: 'h1', operatorId: alice.id, csrfToken: 'c', createdAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T12:00:00.000Z' });
    await store.createSession({ tokenHash: 'h2', operatorId: alice.id, csrfToken: 'c', createdAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-01T05:00:00.000Z', expiresAt: '2026-01-01T12:00:00.000Z' });
    await store.touchSession('h1', '2026-01-01T01:00:00.000Z');
    expect((await store.getSession('h1'))!.lastSeenAt).toBe('2026-01-01T01:00:00.000Z');
    expect(await store.deleteExpiredSessions('2026-01-01T06:00:00.000Z', '2026-01-01T02:00:00.000Z')).toBe(1);
    expect(await store.getSession('h1')).toBeUndefined();
    await store.deleteOperatorSessions(alice.id);
    expect(await store.getSession('h2')).toBeUndefined();
  });

  it('leases due webhook deliveries to one claimer at a time and logs attempts', async () => {
    const { store, platformId } = await withCase();
    await store.setWebhookEndpoint(platformId, 'https://hooks.example/x', 'v1:secret');
    const d = await store.enqueueDelivery({ ref: 'wh_1', platformId, eventType: 'test', body: '{"a":1}', at: '2026-01-01T00:00:00.000Z' });
    expect((await store.claimDueDeliveries('2026-01-01T00:00:01.000Z', '2026-01-01T00:01:00.000Z', 10)).map((x) => x.ref)).toEqual(['wh_1']);
    expect(await store.claimDueDeliveries('2026-01-01T00:00:02.000Z', '2026-01-01T00:01:00.000Z', 10)).toEqual([]);
    await store.recordAttempt(d.id, { at: '2026-01-01T00:00:03.000Z', statusCode: 500, error: null, durationMs: 5 }, { status: 'pending', nextAttemptAt: '2026-01-01T00:00:10.000Z' });
    expect(await store.nextDueAt()).toBe('2026-01-01T00:00:10.000Z');
    expect(await store.claimDueDeliveries('2026-01-01T00:00:05.000Z', '2026-01-01T00:01:00.000Z', 10)).toEqual([]);
    expect((await store.claimDueDeliveries('2026-01-01T00:00:11.000Z', '2026-01-01T00:02:00.000Z', 10)).map((x) => x.attempts)).toEqual([1]);
    await store.recordAttempt(d.id, { at: '2026-01-01T00:00:12.000Z', statusCode: 204, error: null, durationMs: 5 }, { status: 'delivered' });
    expect(await store.getDelivery('wh_1')).toMatchObject({ status: 'delivered', attempts: 2, lastError: null });
    expect((await store.listAttempts(d.id)).map((a) => a.statusCode)).toEqual([500, 204]);
    expect(await store.nextDueAt()).toBeUndefined();
  });

  it('gives each due delivery to one replica only, when several claim at once', async () => {
    const { store, openAnother, platformId } = await withCase();
    const replicas = [store, await openAnother(), await openAnother()];
    await store.setWebhookEndpoint(platformId, 'https://hooks.example/x', 'v1:secret');
    const refs: string[] = [];
    for (let i = 0; i < 60; i++) {
      const d = await store.enqueueDelivery({ ref: `wh_many${i}`, platformId, eventType: 'test', body: `{"n":${i}}`, at: '2026-01-01T00:00:00.000Z' });
      refs.push(d.ref);
    }
    // Every replica claims in small batches, all at the same time, until the queue is dry.
    const claimedBy = await Promise.all(
      replicas.map(async (replica) => {
        const mine: string[] = [];
        for (;;) {
          const batch = await replica.claimDueDeliveries('2026-01-01T00:00:01.000Z', '2026-01-01T00:01:00.000Z', 3);
          if (batch.length === 0) return mine;
          expect(batch.length).toBeLessThanOrEqual(3);
          mine.push(...batch.map((d) => d.ref));
        }
      }),
    );
    const all = claimedBy.flat();
    expect(all.length).toBe(new Set(all).size);
    expect(all.sort()).toEqual(refs.sort());
    // A lease that ran out (its replica died mid-attempt) is claimed again, once.
    const again = await Promise.all(replicas.map((r) => r.claimDueDeliveries('2026-01-01T00:01:01.000Z', '2026-01-01T00:02:00.000Z', 100)));
    expect(again.flat().length).toBe(60);
    expect(new Set(again.flat().map((d) => d.ref)).size).toBe(60);
  });
});
