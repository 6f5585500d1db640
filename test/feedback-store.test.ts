import { describe, expect, it } from 'vitest';
import { VIDEO_MD5, md5ToStored } from '../src/hashing/video/digest.js';
import { EngineEvents } from '../src/service/events.js';
import { ExchangeProjector } from '../src/service/exchange.js';
import { FeedbackService } from '../src/service/feedback.js';
import type { Store } from '../src/store/types.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { hashBytes, operator, pdq, register, victim } from './store-helpers.js';

const T0 = 1_800_000_000;

/** Values (hex) of the exchange records modified at or after `since`, as a new reader gets them. */
async function movedSince(store: Store, platformId: number, since: number, now: number): Promise<string[]> {
  const page = await store.readExchangePage({
    startTimestamp: since,
    afterPosition: 0,
    sessionHigh: undefined,
    limit: 100,
    reader: { platformId, at: new Date(now * 1000).toISOString() },
    now: () => now,
  });
  return page.records.map((r) => Buffer.from(r.value).toString('hex')).sort();
}

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
    expect(first).toEqual({ recorded: [h1!.ref], unknown: ['h_unknown'], itemHashRefs: [h1!.ref] });
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

  it('moves every feed record of the item a report is about: a video’s frames with its MD5, an image’s whole-picture hash with a derived one', async () => {
    const { store } = await backend.open();
    const clock = { t: T0 };
    const projector = new ExchangeProjector(store, { tombstoneSeconds: 86_400, now: () => clock.t * 1000 });
    const feedback = new FeedbackService(store, projector, new EngineEvents(), { quarantineAfter: 0, maxBatch: 100 }, () => clock.t * 1000);
    const platform = await store.addPlatform({ name: 'P', keyId: 'fd', keyHash: 'h' }, operator);
    const md5 = md5ToStored('00112233445566778899aabbccddeeff');
    const created = await store.createCase(
      {
        number: 'RMP-FEED-0003',
        secretHash: 'x',
        items: [
          {
            kind: 'video',
            hashes: [
              { algorithm: VIDEO_MD5, bytes: md5, role: 'full' },
              { algorithm: 'pdq', bytes: hashBytes(11), quality: 90, role: 'frame', detail: { t: 0 } },
              { algorithm: 'pdq', bytes: hashBytes(12), quality: 90, role: 'frame', detail: { t: 0.4 } },
            ],
          },
          {
            kind: 'image',
            hashes: [
              { algorithm: 'pdq', bytes: hashBytes(13), quality: 90 },
              { algorithm: 'pdq', bytes: hashBytes(14), quality: 90, role: 'region', detail: { box: [0, 0, 0.5, 0.5] } },
            ],
          },
          { kind: 'image', hashes: [{ algorithm: 'pdq', bytes: hashBytes(15), quality: 90 }] },
        ],
      },
      victim,
    );
    await projector.catchUp();
    const hex = (seed: number) => Buffer.from(hashBytes(seed)).toString('hex');
    const [video, image] = created.items;

    // A report on the video's MD5 (what StopNCII's SubmitFeedback names): its frames' records move too.
    clock.t = T0 + 10;
    const result = await feedback.report(platform, [{ id: video!.hashes[0]!.ref, outcome: 'blocked' }]);
    expect(result.itemHashRefs.sort()).toEqual(video!.hashes.map((h) => h.ref).sort());
    expect(await movedSince(store, platform.id, T0 + 10, T0 + 10)).toEqual([Buffer.from(md5).toString('hex'), hex(11), hex(12)].sort());

    // A report on an image's region hash (a match may name it): the image's whole-picture record
    // moves (the region hash itself is in no StopNCII record); the other image's does not.
    clock.t = T0 + 20;
    await feedback.report(platform, [{ id: image!.hashes[1]!.ref, outcome: 'not_blocked' }]);
    expect(await movedSince(store, platform.id, T0 + 20, T0 + 20)).toEqual([hex(13)]);

    // By the item's own ref, the same.
    clock.t = T0 + 30;
    await feedback.report(platform, [{ id: video!.ref, outcome: 'pending_review' }]);
    expect(await movedSince(store, platform.id, T0 + 30, T0 + 30)).toEqual([Buffer.from(md5).toString('hex'), hex(11), hex(12)].sort());
  });
});
