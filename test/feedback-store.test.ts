import { describe, expect, it } from 'vitest';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { operator, pdq, register, victim } from './store-helpers.js';

describe.each(STORE_BACKENDS)('feedback role: $backend', (backend) => {
  it('keeps each platform’s latest report per item, reached through a hash ref or the item ref', async () => {
    const { store } = await backend.open();
    const a = await store.addPlatform({ name: 'A', keyId: 'fa', keyHash: 'h' }, operator);
    const b = await store.addPlatform({ name: 'B', keyId: 'fb', keyHash: 'h' }, operator);
    const created = await register(store, { number: 'RMP-FEED-0001', secretHash: 'x', hashes: [pdq(1), pdq(2)] }, victim);
    const [h1, h2] = created.hashes;

    const first = await store.recordFeedback(a.id, [
      { ref: h1!.ref, value: 'Blocked', tags: ['ncii'] },
      { ref: 'h_unknown', value: 'Blocked', tags: [] },
    ], { kind: 'platform', id: 'A' });
    expect(first).toEqual({ recorded: [h1!.ref], unknown: ['h_unknown'] });
    // Through the item's own ref, B reports on the same image; A changes its mind on it.
    await store.recordFeedback(b.id, [{ ref: h1!.itemRef, value: 'NotBlocked', tags: [] }], { kind: 'platform', id: 'B' });
    await store.recordFeedback(a.id, [{ ref: h1!.ref, value: 'PendingReview', tags: ['queue'] }], { kind: 'platform', id: 'A' });
    await store.recordFeedback(a.id, [{ ref: h2!.ref, value: 'Blocked', tags: [] }], { kind: 'platform', id: 'A' });

    const onFirst = await store.feedbackOfRefs([h1!.ref]);
    expect(onFirst.map((e) => [e.ref, e.itemRef, e.platform, e.value, e.tags]).sort()).toEqual([
      [h1!.ref, h1!.itemRef, 'A', 'PendingReview', ['queue']],
      [h1!.ref, h1!.itemRef, 'B', 'NotBlocked', []],
    ]);
    expect(onFirst.every((e) => e.firstAt <= e.at)).toBe(true);
    expect((await store.feedbackOfCase(created.case.id)).length).toBe(3);
    expect(await store.countPlatformsReporting([h1!.ref, h2!.ref], 'NotBlocked')).toEqual(new Map([[h1!.ref, 1]]));
    expect(await store.countPlatformsBlocking(created.case.id)).toBe(1);

    // A revoked platform's reports no longer count.
    await store.revokePlatform('A', operator);
    expect(await store.countPlatformsBlocking(created.case.id)).toBe(0);
    const audit = await store.listAudit({ limit: 100 });
    expect(audit.filter((e) => e.action === 'feedback.record').length).toBe(4);
  });

  it('loses every report with the case when it is withdrawn', async () => {
    const { store } = await backend.open();
    const a = await store.addPlatform({ name: 'A', keyId: 'fc', keyHash: 'h' }, operator);
    const created = await register(store, { number: 'RMP-FEED-0002', secretHash: 'x', hashes: [pdq(3)] }, victim);
    await store.recordFeedback(a.id, [{ ref: created.hashes[0]!.ref, value: 'Blocked', tags: [] }], { kind: 'platform', id: 'A' });
    await store.withdrawCase(created.case.id, victim);
    expect(await store.feedbackOfCase(created.case.id)).toEqual([]);
    expect(await store.eraseFeedbackOfWithdrawnCases()).toBe(0);
  });
});
