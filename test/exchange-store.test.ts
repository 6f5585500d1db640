import { describe, expect, it } from 'vitest';
import { ExchangeProjector } from '../src/service/exchange.js';
import type { Store } from '../src/store/types.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { operator, pdq, register, victim } from './store-helpers.js';

const DAY = 86_400;
const T0 = 1_800_000_000;

/** A projector on a hand-driven clock (seconds). */
function projectorOn(store: Store, clock: { t: number }, tombstoneSeconds = 30 * DAY) {
  return new ExchangeProjector(store, { tombstoneSeconds, now: () => clock.t * 1000 });
}

function read(store: Store, platformId: number, startTimestamp: number, clock: { t: number }, afterPosition = 0) {
  return store.readExchangePage({
    startTimestamp,
    afterPosition,
    sessionHigh: undefined,
    limit: 1000,
    reader: { platformId, at: new Date(clock.t * 1000).toISOString() },
    now: () => clock.t,
  });
}

describe.each(STORE_BACKENDS)('exchange projection: $backend', (backend) => {
  it('gives positions in change order and times that never decrease, even when the clock steps back', async () => {
    const { store } = await backend.open();
    const clock = { t: T0 };
    const projector = projectorOn(store, clock);
    await register(store, { number: 'RMP-AAAA-0001', secretHash: 'x', hashes: [pdq(1), pdq(2)] }, victim);
    await projector.catchUp();
    clock.t = T0 - 100; // NTP stepped the clock back
    await register(store, { number: 'RMP-AAAA-0002', secretHash: 'x', hashes: [pdq(3)] }, victim);
    await projector.catchUp();
    const platform = await store.addPlatform({ name: 'p', keyId: 'k1', keyHash: 'h' }, operator);
    const page = await read(store, platform.id, 0, clock);
    expect(page.records.map((r) => r.position)).toEqual([1, 2, 3]);
    expect(page.records.map((r) => r.modifiedAt)).toEqual([T0, T0, T0]);
    // A second catch-up applies nothing twice.
    expect(await projector.catchUp()).toBe(0);
  });

  it('resumes from its own cursor after the store is reopened', async () => {
    const handle = await backend.open();
    const store = handle.store;
    const clock = { t: T0 };
    await register(store, { number: 'RMP-AAAA-0003', secretHash: 'x', hashes: [pdq(4)] }, victim);
    expect(await projectorOn(store, clock).catchUp()).toBe(1);
    const reopened = await handle.reopen();
    await register(reopened, { number: 'RMP-AAAA-0004', secretHash: 'x', hashes: [pdq(5)] }, victim);
    expect(await projectorOn(reopened, clock).catchUp()).toBe(1);
    expect(await reopened.exchangeAppliedSeq()).toBe(await reopened.lastSeq());
  });

  it('keeps a tombstone for the window while a reader that saw the value has not acknowledged it, then erases it', async () => {
    const { store } = await backend.open();
    const clock = { t: T0 };
    const projector = projectorOn(store, clock);
    const reader = await store.addPlatform({ name: 'reader', keyId: 'k2', keyHash: 'h' }, operator);
    const created = await register(store, { number: 'RMP-AAAA-0005', secretHash: 'x', hashes: [pdq(6)] }, victim);
    await projector.catchUp();
    expect((await read(store, reader.id, 10, clock)).records).toHaveLength(1); // the reader saw it active

    clock.t += 60;
    await store.withdrawCase(created.case.id, victim);
    await projector.catchUp();
    clock.t += 29 * DAY;
    expect(await projector.purge()).toBe(0); // the reader never came back: kept within the window
    clock.t += DAY;
    expect(await projector.purge()).toBe(1); // the window is over
    const page = await read(store, reader.id, 10, clock);
    expect(page.records).toHaveLength(0);
  });

  it('erases at once a tombstone no reader can have seen, and ignores revoked readers', async () => {
    const { store } = await backend.open();
    const clock = { t: T0 };
    const projector = projectorOn(store, clock);
    const early = await store.addPlatform({ name: 'early', keyId: 'k3', keyHash: 'h' }, operator);
    const gone = await store.addPlatform({ name: 'gone', keyId: 'k4', keyHash: 'h' }, operator);
    await read(store, early.id, 10, clock); // read before anything existed: position 0

    const first = await register(store, { number: 'RMP-AAAA-0006', secretHash: 'x', hashes: [pdq(7)] }, victim);
    await projector.catchUp();
    clock.t += 5;
    await store.withdrawCase(first.case.id, victim);
    await projector.catchUp();
    expect(await projector.purge()).toBe(1); // nobody was served it

    const second = await register(store, { number: 'RMP-AAAA-0007', secretHash: 'x', hashes: [pdq(8)] }, victim);
    await projector.catchUp();
    await read(store, gone.id, 10, clock); // this reader saw it...
    await store.withdrawCase(second.case.id, victim);
    await projector.catchUp();
    expect(await projector.purge()).toBe(0);
    await store.revokePlatform('gone', operator); // ...but can no longer read
    expect(await projector.purge()).toBe(1);
  });

  it('reports an operator removal as Deleted and brings a record back to life when its value is registered again', async () => {
    const { store } = await backend.open();
    const clock = { t: T0 };
    const deleted = new Set<string>();
    const projector = new ExchangeProjector(store, {
      tombstoneSeconds: DAY,
      now: () => clock.t * 1000,
      removalStatus: (ref) => (deleted.has(ref) ? 'Deleted' : 'Withdrawn'),
    });
    const reader = await store.addPlatform({ name: 'reader2', keyId: 'k5', keyHash: 'h' }, operator);
    const a = await register(store, { number: 'RMP-AAAA-0008', secretHash: 'x', hashes: [pdq(9)] }, victim);
    await projector.catchUp();
    await read(store, reader.id, 10, clock);
    deleted.add(a.hashes[0]!.ref);
    await store.withdrawCase(a.case.id, operator);
    await projector.catchUp();
    // The reader comes back from its checkpoint (T0), so it may have seen the value: it is named.
    let page = await read(store, reader.id, T0, clock);
    expect(page.records.map((r) => [r.active, r.members.map((m) => m.status)])).toEqual([[false, ['Deleted']]]);

    await register(store, { number: 'RMP-AAAA-0009', secretHash: 'x', hashes: [pdq(9)] }, victim);
    await projector.catchUp();
    page = await read(store, reader.id, T0, clock);
    expect(page.records).toHaveLength(1);
    expect(page.records[0]!.active).toBe(true);
    expect(page.records[0]!.members.map((m) => m.status).sort()).toEqual(['Active', 'Deleted']);
    clock.t += 2 * DAY;
    expect(await projector.purge()).toBe(0); // active again: no longer a tombstone
  });
});
