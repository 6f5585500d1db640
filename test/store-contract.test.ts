/**
 * The store contract: what every backend must do, run unchanged against each one in
 * test/helpers/store-backends.ts. Backend-specific checks (files, pragmas, WAL bytes,
 * connection settings) live in the backend's own test file.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NewHash, StoredHash } from '../src/store/types.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { addHashes, codeOf, collect, hashBytes, operator, pdq, platformActor, register, steppingClock, victim } from './store-helpers.js';

/** Random values: a chance match against unrelated bytes in the database is negligible. */
function randomHashes(n: number): NewHash[] {
  return Array.from({ length: n }, () => ({ algorithm: 'pdq', bytes: new Uint8Array(randomBytes(32)), quality: 90 }));
}

/** Rows of packed pages back as (id, algorithm, bytes), in page order. */
function unpack(pages: { groups: { algorithm: string; ids: Uint32Array; words: Uint32Array }[] }[]) {
  return pages.flatMap((page) =>
    page.groups.flatMap((g) =>
      [...g.ids].map((id, i) => {
        const bytes = new Uint8Array(32);
        const view = new DataView(bytes.buffer);
        for (let k = 0; k < 8; k++) view.setUint32(4 * k, g.words[i * 8 + k]!);
        return { id, algorithm: g.algorithm, bytes };
      }),
    ),
  );
}

describe.each(STORE_BACKENDS)('store contract: $backend', (backend) => {
  describe('opening', () => {
    it('names its backend and where its data lives', async () => {
      const { store } = await backend.open();
      expect(store.backend).toBe(backend.backend);
      expect(store.location.length).toBeGreaterThan(0);
      expect(store.location).not.toMatch(/:[^:@/]+@/); // never a password
    });

    it('keeps everything across close and reopen', async () => {
      const handle = await backend.open();
      const { store } = handle;
      const created = await register(store, { number: 'RMP-A', secretHash: 's1', hashes: [pdq(1), pdq(2)] }, victim);
      await store.addPlatform({ name: 'p', keyId: 'k1', keyHash: 'kh' }, operator);
      await store.setSetting('pepper.fingerprint', 'abc');

      const reopened = await handle.reopen();
      expect(await reopened.getCaseByNumber('RMP-A')).toMatchObject({ id: created.case.id, hashCount: 2, secretHash: 's1' });
      expect(await collect(reopened.hashes())).toEqual(created.hashes);
      expect((await reopened.getPlatformByKeyId('k1'))?.name).toBe('p');
      expect(await reopened.getSetting('pepper.fingerprint')).toBe('abc');
      expect(await reopened.lastSeq()).toBe(2);
      expect(await reopened.listAudit()).toHaveLength(2);
    });

    it('close is idempotent', async () => {
      const { store } = await backend.open();
      await store.close();
      await store.close();
    });
  });

  describe('cases', () => {
    it('createCase stores the case, its hashes, an add change per hash and one audit entry', async () => {
      const { store } = await backend.open({ now: () => new Date('2025-03-04T05:06:07.000Z') });
      const { case: c, hashes } = await register(store, 
        { number: 'RMP-7K2Q-9XDA', secretHash: 'scrypt$abc', hashes: [pdq(1, 80), { algorithm: 'phash', bytes: hashBytes(2) }] },
        victim,
      );
      expect(c).toEqual({
        id: c.id,
        number: 'RMP-7K2Q-9XDA',
        status: 'active',
        createdAt: '2025-03-04T05:06:07.000Z',
        withdrawnAt: null,
        hashCount: 2,
        matchCount: 0,
      });
      expect(hashes.map((h) => [h.caseId, h.algorithm, h.quality, h.createdAt])).toEqual([
        [c.id, 'pdq', 80, '2025-03-04T05:06:07.000Z'],
        [c.id, 'phash', null, '2025-03-04T05:06:07.000Z'],
      ]);
      expect(hashes[0]!.bytes).toEqual(hashBytes(1));
      expect(hashes[1]!.id).toBeGreaterThan(hashes[0]!.id);
      for (const h of hashes) expect(h.ref).toMatch(/^h_[A-Za-z0-9_-]{22}$/);
      expect(new Set(hashes.map((h) => h.ref)).size).toBe(2);

      expect(await store.getCaseByNumber('RMP-7K2Q-9XDA')).toEqual({ ...c, secretHash: 'scrypt$abc' });
      expect(await store.getCaseByNumber('RMP-NOPE')).toBeUndefined();
      const logged = (h: StoredHash) => ({ hashId: h.id, ref: h.ref, itemRef: h.itemRef, role: 'full', detail: null, algorithm: h.algorithm });
      expect(await store.changesAfter(0, 10)).toEqual([
        { seq: 1, op: 'add', ...logged(hashes[0]!), bytes: hashBytes(1), quality: 80, at: c.createdAt },
        { seq: 2, op: 'add', ...logged(hashes[1]!), bytes: hashBytes(2), quality: null, at: c.createdAt },
      ]);
      const audit = await store.listAudit();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: victim, action: 'case.create', target: 'RMP-7K2Q-9XDA', detail: { items: 2, hashes: 2 } });
    });

    it('a case number collision is a CONFLICT and writes nothing', async () => {
      const { store } = await backend.open();
      await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
      await expect(register(store, { number: 'RMP-A', secretHash: 't', hashes: [pdq(2)] }, victim)).rejects.toThrow(
        /case number RMP-A is already taken/,
      );
      expect(await codeOf(register(store, { number: 'RMP-A', secretHash: 't', hashes: [] }, victim))).toBe('CONFLICT');
      expect(await store.countHashes()).toBe(1);
      expect(await store.lastSeq()).toBe(1);
      expect((await store.getCaseByNumber('RMP-A'))?.secretHash).toBe('s');
    });

    it('a bad hash in the middle of a batch rolls back the whole case', async () => {
      const { store } = await backend.open();
      const bad = { algorithm: 'pdq', bytes: new Uint8Array(31) };
      expect(await codeOf(register(store, { number: 'RMP-X', secretHash: 's', hashes: [pdq(1), pdq(2), bad, pdq(4)] }, victim))).toBe(
        'HASH_FORMAT',
      );
      expect(await store.getCaseByNumber('RMP-X')).toBeUndefined();
      expect(await store.countHashes()).toBe(0);
      expect(await store.changesAfter(0, 100)).toEqual([]);
      expect(await store.lastSeq()).toBe(0);
      expect(await store.listAudit()).toEqual([]);
      // The number is free again: nothing of the failed attempt survived.
      expect((await register(store, { number: 'RMP-X', secretHash: 's', hashes: [pdq(1)] }, victim)).hashes).toHaveLength(1);
      expect(await store.lastSeq()).toBe(1);
    });

    it('rejects an out-of-range quality and an empty algorithm with BAD_REQUEST', async () => {
      const { store } = await backend.open();
      expect(await codeOf(register(store, { number: 'A', secretHash: 's', hashes: [pdq(1, 101)] }, victim))).toBe('BAD_REQUEST');
      expect(await codeOf(register(store, { number: 'A', secretHash: 's', hashes: [pdq(1, 50.5)] }, victim))).toBe('BAD_REQUEST');
      expect(await codeOf(register(store, { number: 'A', secretHash: 's', hashes: [{ algorithm: '', bytes: hashBytes(1) }] }, victim))).toBe(
        'BAD_REQUEST',
      );
      expect(await store.getCaseByNumber('A')).toBeUndefined();
    });

    it('addHashes appends to an active case with add changes and an audit entry', async () => {
      const { store } = await backend.open();
      const { case: c } = await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
      const added = await addHashes(store, c.id, [pdq(2), pdq(3)], victim);
      expect(added.map((h) => h.caseId)).toEqual([c.id, c.id]);
      expect((await store.getCaseByNumber('RMP-A'))?.hashCount).toBe(3);
      expect((await store.changesAfter(1, 10)).map((ch) => [ch.seq, ch.op, ch.ref])).toEqual([
        [2, 'add', added[0]!.ref],
        [3, 'add', added[1]!.ref],
      ]);
      expect((await store.listAudit()).map((a) => [a.action, a.detail])).toEqual([
        ['case.create', { items: 1, hashes: 1 }],
        ['case.add_items', { items: 2, hashes: 2 }],
      ]);
    });

    it('addHashes rolls back on a bad hash, refuses unknown and withdrawn cases', async () => {
      const { store } = await backend.open();
      const { case: c } = await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
      expect(await codeOf(addHashes(store, c.id, [pdq(2), { algorithm: 'pdq', bytes: new Uint8Array(33) }], victim))).toBe('HASH_FORMAT');
      expect(await store.countHashes()).toBe(1);
      expect(await store.lastSeq()).toBe(1);

      expect(await codeOf(addHashes(store, 9999, [pdq(2)], victim))).toBe('NOT_FOUND');
      await store.withdrawCase(c.id, victim);
      expect(await codeOf(addHashes(store, c.id, [pdq(2)], victim))).toBe('CASE_WITHDRAWN');
      expect(await store.countHashes()).toBe(0);
    });

    it('recordMatches counts each occurrence, ignoring ids that no longer exist', async () => {
      const { store } = await backend.open();
      const a = await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2)] }, victim);
      const b = await register(store, { number: 'RMP-B', secretHash: 's', hashes: [pdq(3)] }, victim);
      const gone = await register(store, { number: 'RMP-C', secretHash: 's', hashes: [pdq(4)] }, victim);
      await store.withdrawCase(gone.case.id, victim);
      const [a1, a2] = a.hashes;
      const [b1] = b.hashes;

      await store.recordMatches([a1!.id, a2!.id, a1!.id, b1!.id, gone.hashes[0]!.id, 123456], platformActor);
      expect((await store.getCaseByNumber('RMP-A'))?.matchCount).toBe(3);
      expect((await store.getCaseByNumber('RMP-B'))?.matchCount).toBe(1);
      expect((await store.getCaseByNumber('RMP-C'))?.matchCount).toBe(0);
      await store.recordMatches([b1!.id], platformActor);
      expect((await store.getCaseByNumber('RMP-B'))?.matchCount).toBe(2);

      const matchAudit = (await store.listAudit()).filter((e) => e.action === 'case.match');
      expect(matchAudit[0]).toMatchObject({ actor: platformActor, detail: { cases: ['RMP-A', 'RMP-B'], hashes: 6 } });
      await store.recordMatches([], platformActor);
      await store.recordMatches([gone.hashes[0]!.id], platformActor);
      expect((await store.listAudit()).filter((e) => e.action === 'case.match')).toHaveLength(2);
    });

    it('match counters add up when two stores on one database record at once', async () => {
      const handle = await backend.open();
      const other = await handle.openAnother();
      const { hashes } = await register(handle.store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
      const id = hashes[0]!.id;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? handle.store : other).recordMatches([id, id], platformActor)),
      );
      expect((await other.getCaseByNumber('RMP-A'))?.matchCount).toBe(40);
    });
  });

  describe('items', () => {
    const region = { x: 0.1, y: 0.2, w: 0.5, h: 0.5 };
    const photo = () => ({
      kind: 'image' as const,
      hashes: [
        { ...pdq(1, 80) },
        { ...pdq(2, 70), role: 'trimmed' },
        { ...pdq(3, 60), role: 'region', detail: { box: region } },
      ],
    });
    const clip = () => ({
      kind: 'video' as const,
      hashes: [0, 1.5, 3].map((t, i) => ({ ...pdq(10 + i), role: 'frame', detail: { t } })),
    });

    it('stores items with their hashes, roles and details, and logs each hash with its item and role', async () => {
      const { store } = await backend.open({ now: () => new Date('2025-06-01T00:00:00.000Z') });
      const { case: c, items } = await store.createCase({ number: 'RMP-ITEMS', secretHash: 's', items: [photo(), clip()] }, victim);
      expect(c.hashCount).toBe(6);
      expect(items.map((i) => [i.kind, i.caseId, i.createdAt, i.hashes.length])).toEqual([
        ['image', c.id, '2025-06-01T00:00:00.000Z', 3],
        ['video', c.id, '2025-06-01T00:00:00.000Z', 3],
      ]);
      for (const item of items) {
        expect(item.ref).toMatch(/^i_[A-Za-z0-9_-]{22}$/);
        for (const h of item.hashes) expect([h.itemId, h.itemRef, h.caseId]).toEqual([item.id, item.ref, c.id]);
      }
      expect(items[1]!.id).toBeGreaterThan(items[0]!.id);
      const [full, trimmed, part] = items[0]!.hashes;
      expect([full!.role, full!.detail, trimmed!.role, part!.role, part!.detail]).toEqual(['full', null, 'trimmed', 'region', { box: region }]);
      expect(items[1]!.hashes.map((h) => h.detail)).toEqual([{ t: 0 }, { t: 1.5 }, { t: 3 }]);

      // Every read path gives the same hashes back.
      const stored = items.flatMap((i) => i.hashes);
      expect(await collect(store.hashes())).toEqual(stored);
      const facts = await store.hashFacts([part!.id, items[1]!.hashes[1]!.id, 424242]);
      expect([...facts.keys()].sort((a, b) => a - b)).toEqual([part!.id, items[1]!.hashes[1]!.id]);
      expect(facts.get(part!.id)).toEqual({
        id: part!.id,
        ref: part!.ref,
        itemId: items[0]!.id,
        itemRef: items[0]!.ref,
        role: 'region',
        detail: { box: region },
        algorithm: 'pdq',
      });
      expect(await store.hashFacts([])).toEqual(new Map());

      const log = await store.changesAfter(0, 100);
      expect(log.map((ch) => [ch.seq, ch.op, ch.hashId, ch.itemRef, ch.role])).toEqual(
        stored.map((h, i) => [i + 1, 'add', h.id, h.itemRef, h.role]),
      );
      expect(log[2]).toMatchObject({ ref: part!.ref, detail: { box: region }, bytes: hashBytes(3), quality: 60 });
      expect((await store.listAudit()).at(-1)).toMatchObject({ action: 'case.create', detail: { items: 2, hashes: 6 } });
    });

    it('registeredWith says which hashes were registered in a case that also holds a hash of an algorithm', async () => {
      const { store } = await backend.open();
      const blockhash = (n: number) => ({ algorithm: 'blockhash', bytes: hashBytes(n) });
      // One item with both; a flat registration's two items (one per hash); an older client's blockhash alone.
      const both = await store.createCase({ number: 'RMP-BOTH', secretHash: 's', items: [{ kind: 'image', hashes: [blockhash(20), pdq(21, 80)] }] }, victim);
      const flat = await store.createCase({ number: 'RMP-FLAT', secretHash: 's', items: [{ kind: 'image', hashes: [blockhash(22)] }, { kind: 'image', hashes: [pdq(23, 80)] }] }, victim);
      const legacy = await store.createCase({ number: 'RMP-LEGACY', secretHash: 's', items: [{ kind: 'image', hashes: [blockhash(24)] }] }, victim);
      const [a, b, c] = [both, flat, legacy].map((r) => r.items[0]!.hashes[0]!.id);
      expect(await store.registeredWith([a!, b!, c!, 424242], 'pdq')).toEqual(new Set([a, b]));
      expect(await store.registeredWith([a!, b!, c!], 'blockhash')).toEqual(new Set([a, b, c]));
      expect(await store.registeredWith([], 'pdq')).toEqual(new Set());
    });

    it('addItems appends items to an active case', async () => {
      const { store } = await backend.open();
      const { case: c } = await store.createCase({ number: 'RMP-A', secretHash: 's', items: [photo()] }, victim);
      const added = await store.addItems(c.id, [clip()], victim);
      expect(added.map((i) => [i.kind, i.hashes.length])).toEqual([['video', 3]]);
      expect((await store.getCaseByNumber('RMP-A'))?.hashCount).toBe(6);
      expect((await store.listAudit()).at(-1)).toMatchObject({ action: 'case.add_items', detail: { items: 1, hashes: 3 } });
      expect(await codeOf(store.addItems(c.id, [], victim))).toBeUndefined();
    });

    it('withdrawal removes every item and logs a removal per hash naming its hash id, item and role', async () => {
      const { store } = await backend.open();
      const { case: c, items } = await store.createCase({ number: 'RMP-A', secretHash: 's', items: [photo(), clip()] }, victim);
      const kept = await store.createCase({ number: 'RMP-B', secretHash: 's', items: [photo()] }, victim);
      const gone = items.flatMap((i) => i.hashes);
      expect(await store.withdrawCase(c.id, victim)).toEqual(gone.map((h) => h.id));
      expect(await store.hashFacts(gone.map((h) => h.id))).toEqual(new Map());
      expect((await collect(store.hashes())).map((h) => h.itemRef)).toEqual(kept.items[0]!.hashes.map(() => kept.items[0]!.ref));
      const removals = (await store.changesAfter(9, 100)).filter((ch) => ch.op === 'remove');
      expect(removals.map((ch) => [ch.hashId, ch.ref, ch.itemRef, ch.role, ch.algorithm])).toEqual(
        gone.map((h) => [h.id, h.ref, h.itemRef, h.role, 'pdq']),
      );
      // A new item of another case never takes a withdrawn item's id.
      const next = await store.createCase({ number: 'RMP-C', secretHash: 's', items: [photo()] }, victim);
      expect(next.items[0]!.id).toBeGreaterThan(Math.max(...items.map((i) => i.id), kept.items[0]!.id));
    });

    it('refuses malformed items with BAD_REQUEST naming the item and hash, and writes nothing', async () => {
      const { store } = await backend.open();
      const attempt = (items: unknown) => store.createCase({ number: 'RMP-BAD', secretHash: 's', items: items as never }, victim);
      const cases: [unknown, RegExp][] = [
        [[{ kind: 'image', hashes: [] }], /items\[0\] needs at least one hash/],
        [[photo(), { kind: 'audio', hashes: [pdq(9)] }], /items\[1\]\.kind must be one of image, video/],
        [[{ kind: 'image', hashes: [pdq(1), { ...pdq(2), role: 'Region!' }] }], /items\[0\]\.hashes\[1\]\.role/],
        [[{ kind: 'image', hashes: [{ ...pdq(1), role: '' }] }], /role/],
        [[{ kind: 'image', hashes: [{ ...pdq(1), detail: [1, 2] }] }], /detail must be a JSON object/],
        [[{ kind: 'image', hashes: [{ ...pdq(1), detail: { pad: 'x'.repeat(2000) } }] }], /detail must serialise to at most 1024 bytes/],
      ];
      for (const [items, message] of cases) {
        await expect(attempt(items)).rejects.toThrow(message);
        expect(await codeOf(attempt(items))).toBe('BAD_REQUEST');
      }
      expect(await store.getCaseByNumber('RMP-BAD')).toBeUndefined();
      expect(await store.lastSeq()).toBe(0);
    });
  });

  describe('hashes and the change log', () => {
    it('hashes() streams 30k rows in id order, across pages, leaving the store free for writes', async () => {
      const { store } = await backend.open();
      const n = 30_000;
      const { case: c, hashes } = await register(store, 
        { number: 'RMP-BIG', secretHash: 's', hashes: Array.from({ length: n }, (_, i) => pdq(i)) },
        victim,
      );
      expect(await store.countHashes()).toBe(n);

      let count = 0;
      let previousId = 0;
      for await (const h of store.hashes()) {
        expect(h.id).toBeGreaterThan(previousId);
        previousId = h.id;
        if (count % 9973 === 0) {
          expect(h).toEqual(hashes[count]);
          expect(h.bytes).toBeInstanceOf(Uint8Array);
          expect(Buffer.isBuffer(h.bytes)).toBe(false);
        }
        // A write in the middle of the stream must not fail or wait for the stream.
        if (count === 15_000) await addHashes(store, c.id, [pdq(n + 1)], victim);
        count++;
      }
      expect(count).toBe(n + 1);
      expect((await collect(store.hashes({ afterId: hashes[n - 2]!.id }))).map((h) => h.bytes)).toEqual([hashBytes(n - 1), hashBytes(n + 1)]);
    });

    it('keeps values of any byte pattern intact through every read path', async () => {
      const { store } = await backend.open();
      const patterns = [
        new Uint8Array(32),
        new Uint8Array(32).fill(0xff),
        Uint8Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 0xc3 : 0x28)), // invalid UTF-8
        Uint8Array.from({ length: 32 }, (_, i) => (i === 16 ? 0 : 0x41)), // NUL inside text-like bytes
        Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 11) & 0xff),
      ];
      const { case: c } = await register(store, 
        { number: 'RMP-A', secretHash: 's', hashes: patterns.map((bytes) => ({ algorithm: 'pdq', bytes })) },
        victim,
      );
      // A gap in the ids, so pages do not rely on contiguous ids.
      const other = await register(store, { number: 'RMP-B', secretHash: 's', hashes: [pdq(1)] }, victim);
      await store.withdrawCase(other.case.id, victim);
      await addHashes(store, c.id, [{ algorithm: 'blockhash', bytes: patterns[2]! }], victim);

      const expected = [...patterns, patterns[2]!];
      expect((await collect(store.hashes())).map((h) => h.bytes)).toEqual(expected);
      const pages = await collect(store.indexPages({ pageSize: 2 }));
      expect(pages.map((p) => p.rows)).toEqual([2, 2, 2]);
      expect(unpack(pages).map((r) => r.bytes)).toEqual(expected);
      expect((await store.changesAfter(0, 100)).flatMap((ch) => (ch.op === 'add' ? [ch.bytes] : []))).toEqual(expected);
    });

    it('indexPages yields ids and codes grouped by algorithm, in id order, with or without read-ahead', async () => {
      const { store } = await backend.open();
      expect(await collect(store.indexPages())).toEqual([]);
      const a = await register(store, { number: 'RMP-A', secretHash: 's', hashes: Array.from({ length: 20 }, (_, i) => pdq(i)) }, victim);
      await addHashes(store, a.case.id, [{ algorithm: 'blockhash', bytes: hashBytes(100) }], victim);
      const all = await collect(store.hashes());

      for (const readAhead of [0, 2]) {
        const pages = await collect(store.indexPages({ pageSize: 10, readAhead }));
        expect(pages.map((p) => p.rows)).toEqual([10, 10, 1]);
        expect(pages.map((p) => p.lastId)).toEqual([all[9]!.id, all[19]!.id, all[20]!.id]);
        expect(unpack(pages)).toEqual(all.map((h) => ({ id: h.id, algorithm: h.algorithm, bytes: h.bytes })));
        for (const page of pages) for (const g of page.groups) expect(g.words.length).toBe(g.ids.length * 8);
        // An exact multiple of the page size ends without an empty page.
        expect((await collect(store.indexPages({ pageSize: 7, readAhead }))).map((p) => p.rows)).toEqual([7, 7, 7]);
        expect(unpack(await collect(store.indexPages({ afterId: all[18]!.id, readAhead }))).map((r) => r.id)).toEqual([
          all[19]!.id,
          all[20]!.id,
        ]);
      }
      expect(await codeOf(collect(store.indexPages({ pageSize: 0 })))).toBe('BAD_REQUEST');
    });

    it('refsOf looks up many ids at once and leaves out missing ones', async () => {
      const { store } = await backend.open();
      const { hashes } = await register(store, 
        { number: 'RMP-A', secretHash: 's', hashes: Array.from({ length: 40_000 }, (_, i) => pdq(i)) },
        victim,
      );
      const ids = [...hashes.map((h) => h.id), hashes[0]!.id, 999_999_999];
      const refs = await store.refsOf(ids);
      expect(refs.size).toBe(40_000);
      expect(refs.get(hashes[12_345]!.id)).toBe(hashes[12_345]!.ref);
      expect(refs.has(999_999_999)).toBe(false);
      expect((await store.refsOf([])).size).toBe(0);
    });

    it('changesAfter pages oldest first and validates its limit', async () => {
      const { store } = await backend.open();
      expect(await store.lastSeq()).toBe(0);
      await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2), pdq(3), pdq(4), pdq(5)] }, victim);
      expect((await store.changesAfter(0, 2)).map((c) => c.seq)).toEqual([1, 2]);
      expect((await store.changesAfter(2, 2)).map((c) => c.seq)).toEqual([3, 4]);
      expect((await store.changesAfter(4, 2)).map((c) => c.seq)).toEqual([5]);
      expect(await store.changesAfter(5, 2)).toEqual([]);
      expect(await store.lastSeq()).toBe(5);
      expect(await codeOf(store.changesAfter(0, 0))).toBe('BAD_REQUEST');
      expect(await codeOf(store.changesAfter(0, 1.5))).toBe('BAD_REQUEST');
    });

    it('a reader paging the change log while others write sees every change once, in order', async () => {
      const handle = await backend.open();
      const writers = [handle.store, await handle.openAnother(), await handle.openAnother()];
      const reader = await handle.openAnother();
      const seen: number[] = [];
      let cursor = 0;
      let writing = true;
      const read = async () => {
        while (writing || cursor < (await reader.lastSeq())) {
          const page = await reader.changesAfter(cursor, 7);
          for (const change of page) seen.push(change.seq);
          if (page.length > 0) cursor = page.at(-1)!.seq;
          else await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const reading = read();
      await Promise.all(
        writers.map(async (writer, w) => {
          for (let i = 0; i < 15; i++) {
            await register(writer, { number: `RMP-W${w}-${i}`, secretHash: 's', hashes: [pdq(w * 1000 + 2 * i), pdq(w * 1000 + 2 * i + 1)] }, victim);
          }
        }),
      );
      writing = false;
      await reading;
      expect(seen).toEqual(Array.from({ length: 90 }, (_, i) => i + 1));
    });
  });

  describe('withdrawal', () => {
    it('deletes the hashes, replaces their add entries by remove entries, marks the case and audits', async () => {
      const { store } = await backend.open();
      const keep = await register(store, { number: 'RMP-KEEP', secretHash: 's', hashes: [pdq(1)] }, victim);
      const gone = await register(store, { number: 'RMP-GONE', secretHash: 's', hashes: [pdq(2), pdq(3)] }, victim);
      await addHashes(store, keep.case.id, [pdq(4)], victim);
      const seqBefore = await store.lastSeq();

      const removed = await store.withdrawCase(gone.case.id, victim);
      expect(removed).toEqual(gone.hashes.map((h) => h.id));
      expect(await store.countHashes()).toBe(2);
      expect((await collect(store.hashes())).map((h) => h.caseId)).toEqual([keep.case.id, keep.case.id]);
      expect((await store.refsOf(removed)).size).toBe(0);

      const c = (await store.getCaseByNumber('RMP-GONE'))!;
      expect(c.status).toBe('withdrawn');
      expect(c.withdrawnAt).not.toBeNull();
      expect(c.hashCount).toBe(0);

      const log = await store.changesAfter(0, 100);
      expect(log.map((ch) => [ch.seq, ch.op, ch.ref])).toEqual([
        [1, 'add', keep.hashes[0]!.ref],
        [4, 'add', log[1]!.ref],
        [5, 'remove', gone.hashes[0]!.ref],
        [6, 'remove', gone.hashes[1]!.ref],
      ]);
      const first = gone.hashes[0]!;
      expect(log[2]).toEqual({
        seq: 5,
        op: 'remove',
        hashId: first.id,
        ref: first.ref,
        itemRef: first.itemRef,
        role: 'full',
        algorithm: 'pdq',
        at: c.withdrawnAt,
      });
      expect(await store.lastSeq()).toBe(seqBefore + 2);
      expect((await store.changesAfter(seqBefore, 10)).map((ch) => ch.op)).toEqual(['remove', 'remove']);
      expect((await store.listAudit()).at(-1)).toMatchObject({ action: 'case.withdraw', target: 'RMP-GONE', detail: { hashes: 2 } });
    });

    it('is idempotent and refuses an unknown case', async () => {
      const { store } = await backend.open();
      const { case: c } = await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
      expect(await store.withdrawCase(c.id, victim)).toHaveLength(1);
      const seq = await store.lastSeq();
      expect(await store.withdrawCase(c.id, victim)).toEqual([]);
      expect(await store.lastSeq()).toBe(seq);
      const empty = await register(store, { number: 'RMP-EMPTY', secretHash: 's', hashes: [] }, victim);
      expect(await store.withdrawCase(empty.case.id, victim)).toEqual([]);
      expect((await store.getCaseByNumber('RMP-EMPTY'))?.status).toBe('withdrawn');
      expect(await codeOf(store.withdrawCase(424242, victim))).toBe('NOT_FOUND');
    });

    it('two stores withdrawing the same case at once remove its hashes once', async () => {
      const handle = await backend.open();
      const other = await handle.openAnother();
      const { case: c } = await register(handle.store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2)] }, victim);
      const results = await Promise.all([handle.store.withdrawCase(c.id, victim), other.withdrawCase(c.id, victim)]);
      expect(results.map((r) => r.length).sort()).toEqual([0, 2]);
      expect((await other.changesAfter(2, 10)).map((ch) => ch.op)).toEqual(['remove', 'remove']);
    });

    it('keeps seq and hash ids monotonic even when the newest entries are erased', async () => {
      const handle = await backend.open();
      const { store } = handle;
      const a = await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2)] }, victim);
      await store.withdrawCase(a.case.id, victim); // erases seq 1-2, appends 3-4
      const b = await register(store, { number: 'RMP-B', secretHash: 's', hashes: [pdq(1)] }, victim);
      expect((await store.changesAfter(0, 10)).map((ch) => [ch.seq, ch.op])).toEqual([
        [3, 'remove'],
        [4, 'remove'],
        [5, 'add'],
      ]);
      // A stale id from before the withdrawal must never name another victim's hash.
      expect(b.hashes[0]!.id).toBeGreaterThan(a.hashes[1]!.id);

      await store.withdrawCase(b.case.id, victim);
      const reopened = await handle.reopen();
      expect(await reopened.lastSeq()).toBe(6);
      const c = await register(reopened, { number: 'RMP-C', secretHash: 's', hashes: [pdq(9)] }, victim);
      expect(await reopened.lastSeq()).toBe(7);
      expect(c.hashes[0]!.id).toBeGreaterThan(b.hashes[0]!.id);
    });

    it('leaves no trace of the withdrawn values in any table', async () => {
      const handle = await backend.open();
      const { store } = handle;
      const hashes = randomHashes(5);
      const kept = randomHashes(1);
      const { case: c } = await register(store, { number: 'RMP-A', secretHash: 's', hashes }, victim);
      await register(store, { number: 'RMP-B', secretHash: 's', hashes: kept }, victim);
      // Control: the search does find values that are present.
      expect((await handle.cellsContaining(hashes[0]!.bytes)).sort()).toEqual(['changes.value', 'hashes.value']);

      await store.withdrawCase(c.id, victim);
      for (const h of hashes) expect(await handle.cellsContaining(h.bytes)).toEqual([]);
      expect((await handle.cellsContaining(kept[0]!.bytes)).sort()).toEqual(['changes.value', 'hashes.value']);
    });
  });

  describe('platforms', () => {
    it('adds, finds, lists and revokes platforms, auditing each change', async () => {
      const { store } = await backend.open({ now: steppingClock() });
      const p = await store.addPlatform({ name: 'photos-example', keyId: 'rk_abc', keyHash: 'hmac$1' }, operator);
      expect(p).toEqual({ id: p.id, name: 'photos-example', keyId: 'rk_abc', createdAt: p.createdAt, revokedAt: null });
      expect(p.createdAt).toMatch(/^2025-01-01T00:00:\d\d\.000Z$/);
      expect(await store.getPlatformByKeyId('rk_abc')).toEqual({ ...p, keyHash: 'hmac$1' });
      expect(await store.getPlatformByKeyId('rk_zzz')).toBeUndefined();
      await store.addPlatform({ name: 'video-example', keyId: 'rk_def', keyHash: 'hmac$2' }, operator);
      expect((await store.listPlatforms()).map((x) => x.name)).toEqual(['photos-example', 'video-example']);

      expect(await store.revokePlatform('photos-example', operator)).toBe(true);
      const revokedAt = (await store.getPlatformByKeyId('rk_abc'))?.revokedAt;
      expect(revokedAt).toMatch(/^2025-01-01T00:00:\d\d\.000Z$/);
      expect(revokedAt! > p.createdAt).toBe(true);
      expect(await store.revokePlatform('photos-example', operator)).toBe(false);
      expect(await store.revokePlatform('nobody', operator)).toBe(false);
      expect((await store.listAudit()).map((e) => [e.action, e.target])).toEqual([
        ['platform.add', 'photos-example'],
        ['platform.add', 'video-example'],
        ['platform.revoke', 'photos-example'],
      ]);
    });

    it('rotates the key of an active platform only, auditing it', async () => {
      const { store } = await backend.open();
      const p = await store.addPlatform({ name: 'p', keyId: 'k1', keyHash: 'h1' }, operator);
      const rotated = await store.rotatePlatformKey('p', { keyId: 'k2', keyHash: 'h2' }, operator);
      expect(rotated).toEqual({ ...p, keyId: 'k2' });
      expect(await store.getPlatformByKeyId('k1')).toBeUndefined();
      expect(await store.getPlatformByKeyId('k2')).toEqual({ ...p, keyId: 'k2', keyHash: 'h2' });
      expect(await store.rotatePlatformKey('nobody', { keyId: 'k3', keyHash: 'h3' }, operator)).toBeUndefined();
      await store.addPlatform({ name: 'q', keyId: 'k4', keyHash: 'h4' }, operator);
      expect(await codeOf(store.rotatePlatformKey('p', { keyId: 'k4', keyHash: 'h5' }, operator))).toBe('CONFLICT');
      await store.revokePlatform('p', operator);
      expect(await store.rotatePlatformKey('p', { keyId: 'k6', keyHash: 'h6' }, operator)).toBeUndefined();
      expect((await store.listAudit()).map((e) => e.action)).toEqual(['platform.add', 'platform.rotate', 'platform.add', 'platform.revoke']);
    });

    it('refuses a duplicate name or key id with CONFLICT', async () => {
      const { store } = await backend.open();
      await store.addPlatform({ name: 'p', keyId: 'k1', keyHash: 'h' }, operator);
      await expect(store.addPlatform({ name: 'p', keyId: 'k2', keyHash: 'h' }, operator)).rejects.toThrow(
        /platform named "p" already exists/,
      );
      expect(await codeOf(store.addPlatform({ name: 'q', keyId: 'k1', keyHash: 'h' }, operator))).toBe('CONFLICT');
      expect(await store.listPlatforms()).toHaveLength(1);
      expect(await store.listAudit()).toHaveLength(1);
    });
  });

  describe('rate-limit counts', () => {
    it('count requests per key in a fixed window that starts with the first request', async () => {
      const { store } = await backend.open();
      const counts = [];
      for (let i = 0; i < 3; i++) counts.push(await store.countRequest('route a', 60_000));
      expect(counts.map((c) => c.count)).toEqual([1, 2, 3]);
      for (const c of counts) expect(c.resetInMs).toBeGreaterThan(55_000);
      expect(counts[2]!.resetInMs).toBeLessThanOrEqual(60_000);
      expect((await store.countRequest('route b', 60_000)).count).toBe(1);
      // A short window ends, and the next request starts a new one.
      expect((await store.countRequest('short', 150)).count).toBe(1);
      expect((await store.countRequest('short', 150)).count).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await store.countRequest('short', 150)).count).toBe(1);
      expect((await store.countRequest('route a', 60_000)).count).toBe(4);
    });
  });

  describe('audit and settings', () => {
    it('stores audit entries with JSON detail and pages them by id', async () => {
      const { store } = await backend.open({ now: () => new Date('2025-01-01T00:00:01.000Z') });
      await store.audit(operator, 'service.start');
      await store.audit(operator, 'export', 'hashes', { format: 'csv', rows: 3, nested: { ok: true } });
      await store.audit({ kind: 'system', id: 'sync' }, 'tick', null, null);
      const all = await store.listAudit();
      expect(all).toEqual([
        { id: all[0]!.id, at: '2025-01-01T00:00:01.000Z', actor: operator, action: 'service.start', target: null, detail: null },
        {
          id: all[1]!.id,
          at: '2025-01-01T00:00:01.000Z',
          actor: operator,
          action: 'export',
          target: 'hashes',
          detail: { format: 'csv', rows: 3, nested: { ok: true } },
        },
        { id: all[2]!.id, at: '2025-01-01T00:00:01.000Z', actor: { kind: 'system', id: 'sync' }, action: 'tick', target: null, detail: null },
      ]);
      expect((await store.listAudit({ limit: 1 })).map((e) => e.action)).toEqual(['service.start']);
      expect((await store.listAudit({ afterId: all[0]!.id })).map((e) => e.action)).toEqual(['export', 'tick']);
    });

    it('gets and overwrites settings', async () => {
      const { store } = await backend.open();
      expect(await store.getSetting('k')).toBeUndefined();
      await store.setSetting('k', 'v1');
      await store.setSetting('k', 'v2');
      expect(await store.getSetting('k')).toBe('v2');
    });
  });
});
