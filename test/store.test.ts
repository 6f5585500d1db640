import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { RempartError } from '../src/errors.js';
import { defaultDatabasePath, inIdOrder, openConnection, openSqliteStore, reorderBatch } from '../src/store/sqlite.js';
import { hashBytes, openTestStore, operator, pdq, platformActor, steppingClock, tempDir, victim } from './store-helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof RempartError ? error.code : `not a RempartError: ${String(error)}`;
  }
  return undefined;
}

describe('opening', () => {
  it('puts the database at <dataDir>/rempart.sqlite, creating missing directories privately', () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const file = defaultDatabasePath(dataDir);
    expect(file).toBe(path.join(dataDir, 'rempart.sqlite'));
    openTestStore(file);
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
    expect(fs.statSync(dataDir).mode & 0o077).toBe(0);
  });

  it('uses WAL journaling', () => {
    const { file } = openTestStore();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('configures each connection for durability, integrity and erasure', () => {
    const db = openConnection(path.join(tempDir(), 'rempart.sqlite'));
    const pragma = (name: string) => db.pragma(name, { simple: true });
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(2); // FULL
    expect(pragma('foreign_keys')).toBe(1);
    expect(pragma('secure_delete')).toBe(1);
    expect(pragma('busy_timeout')).toBeGreaterThanOrEqual(1000);
    db.close();
  });

  it('keeps everything across close and reopen', () => {
    const { store, file } = openTestStore();
    const created = store.createCase({ number: 'RMP-A', secretHash: 's1', hashes: [pdq(1), pdq(2)] }, victim);
    store.addPlatform({ name: 'p', keyId: 'k1', keyHash: 'kh' }, operator);
    store.setSetting('pepper.fingerprint', 'abc');
    store.close();

    const reopened = openTestStore(file).store;
    expect(reopened.getCaseByNumber('RMP-A')).toMatchObject({ id: created.case.id, hashCount: 2, secretHash: 's1' });
    expect([...reopened.iterateHashes()]).toEqual(created.hashes);
    expect(reopened.getPlatformByKeyId('k1')?.name).toBe('p');
    expect(reopened.getSetting('pepper.fingerprint')).toBe('abc');
    expect(reopened.lastSeq()).toBe(2);
    expect(reopened.listAudit()).toHaveLength(2);
  });

  it('read-only mode reads but refuses writes', () => {
    const { store, file } = openTestStore();
    store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    const ro = openTestStore(file, { readonly: true }).store;
    expect(ro.countHashes()).toBe(1);
    expect(() => ro.setSetting('a', 'b')).toThrow(/readonly/i);
  });

  it('read-only mode does not create a missing database', () => {
    const file = path.join(tempDir(), 'missing.sqlite');
    expect(() => openSqliteStore({ path: file, readonly: true })).toThrow();
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('cases', () => {
  it('createCase stores the case, its hashes, an add change per hash and one audit entry', () => {
    const { store } = openTestStore(undefined, { now: () => new Date('2025-03-04T05:06:07.000Z') });
    const { case: c, hashes } = store.createCase(
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

    expect(store.getCaseByNumber('RMP-7K2Q-9XDA')).toEqual({ ...c, secretHash: 'scrypt$abc' });
    expect(store.getCaseByNumber('RMP-NOPE')).toBeUndefined();
    expect(store.changesAfter(0, 10)).toEqual([
      { seq: 1, op: 'add', ref: hashes[0]!.ref, algorithm: 'pdq', bytes: hashBytes(1), quality: 80, at: c.createdAt },
      { seq: 2, op: 'add', ref: hashes[1]!.ref, algorithm: 'phash', bytes: hashBytes(2), quality: null, at: c.createdAt },
    ]);
    const audit = store.listAudit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: victim, action: 'case.create', target: 'RMP-7K2Q-9XDA', detail: { hashes: 2 } });
  });

  it('a case number collision is a CONFLICT and writes nothing', () => {
    const { store } = openTestStore();
    store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    expect(() => store.createCase({ number: 'RMP-A', secretHash: 't', hashes: [pdq(2)] }, victim)).toThrow(
      /case number RMP-A is already taken/,
    );
    expect(codeOf(() => store.createCase({ number: 'RMP-A', secretHash: 't', hashes: [] }, victim))).toBe('CONFLICT');
    expect(store.countHashes()).toBe(1);
    expect(store.lastSeq()).toBe(1);
    expect(store.getCaseByNumber('RMP-A')?.secretHash).toBe('s');
  });

  it('a bad hash in the middle of a batch rolls back the whole case', () => {
    const { store } = openTestStore();
    const bad = { algorithm: 'pdq', bytes: new Uint8Array(31) };
    expect(codeOf(() => store.createCase({ number: 'RMP-X', secretHash: 's', hashes: [pdq(1), pdq(2), bad, pdq(4)] }, victim))).toBe(
      'HASH_FORMAT',
    );
    expect(store.getCaseByNumber('RMP-X')).toBeUndefined();
    expect(store.countHashes()).toBe(0);
    expect(store.changesAfter(0, 100)).toEqual([]);
    expect(store.lastSeq()).toBe(0);
    expect(store.listAudit()).toEqual([]);
    // The number is free again: nothing of the failed attempt survived.
    expect(store.createCase({ number: 'RMP-X', secretHash: 's', hashes: [pdq(1)] }, victim).hashes).toHaveLength(1);
  });

  it('rejects an out-of-range quality and an empty algorithm with BAD_REQUEST', () => {
    const { store } = openTestStore();
    expect(codeOf(() => store.createCase({ number: 'A', secretHash: 's', hashes: [pdq(1, 101)] }, victim))).toBe('BAD_REQUEST');
    expect(codeOf(() => store.createCase({ number: 'A', secretHash: 's', hashes: [pdq(1, 50.5)] }, victim))).toBe('BAD_REQUEST');
    expect(codeOf(() => store.createCase({ number: 'A', secretHash: 's', hashes: [{ algorithm: '', bytes: hashBytes(1) }] }, victim))).toBe(
      'BAD_REQUEST',
    );
    expect(store.getCaseByNumber('A')).toBeUndefined();
  });

  it('addHashes appends to an active case with add changes and an audit entry', () => {
    const { store } = openTestStore();
    const { case: c } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    const added = store.addHashes(c.id, [pdq(2), pdq(3)], victim);
    expect(added.map((h) => h.caseId)).toEqual([c.id, c.id]);
    expect(store.getCaseByNumber('RMP-A')?.hashCount).toBe(3);
    expect(store.changesAfter(1, 10).map((ch) => [ch.seq, ch.op, ch.ref])).toEqual([
      [2, 'add', added[0]!.ref],
      [3, 'add', added[1]!.ref],
    ]);
    expect(store.listAudit().map((a) => [a.action, a.detail])).toEqual([
      ['case.create', { hashes: 1 }],
      ['case.add_hashes', { hashes: 2 }],
    ]);
  });

  it('addHashes rolls back on a bad hash, refuses unknown and withdrawn cases', () => {
    const { store } = openTestStore();
    const { case: c } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    expect(codeOf(() => store.addHashes(c.id, [pdq(2), { algorithm: 'pdq', bytes: new Uint8Array(33) }], victim))).toBe('HASH_FORMAT');
    expect(store.countHashes()).toBe(1);
    expect(store.lastSeq()).toBe(1);

    expect(codeOf(() => store.addHashes(9999, [pdq(2)], victim))).toBe('NOT_FOUND');
    store.withdrawCase(c.id, victim);
    expect(codeOf(() => store.addHashes(c.id, [pdq(2)], victim))).toBe('CASE_WITHDRAWN');
    expect(store.countHashes()).toBe(0);
  });

  it('recordMatches counts each occurrence, ignoring ids that no longer exist', () => {
    const { store } = openTestStore();
    const a = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2)] }, victim);
    const b = store.createCase({ number: 'RMP-B', secretHash: 's', hashes: [pdq(3)] }, victim);
    const gone = store.createCase({ number: 'RMP-C', secretHash: 's', hashes: [pdq(4)] }, victim);
    store.withdrawCase(gone.case.id, victim);
    const [a1, a2] = a.hashes;
    const [b1] = b.hashes;

    store.recordMatches([a1!.id, a2!.id, a1!.id, b1!.id, gone.hashes[0]!.id, 123456], platformActor);
    expect(store.getCaseByNumber('RMP-A')?.matchCount).toBe(3);
    expect(store.getCaseByNumber('RMP-B')?.matchCount).toBe(1);
    expect(store.getCaseByNumber('RMP-C')?.matchCount).toBe(0);
    store.recordMatches([b1!.id], platformActor);
    expect(store.getCaseByNumber('RMP-B')?.matchCount).toBe(2);

    const matchAudit = store.listAudit().filter((e) => e.action === 'case.match');
    expect(matchAudit[0]).toMatchObject({ actor: platformActor, detail: { cases: ['RMP-A', 'RMP-B'], hashes: 6 } });
    store.recordMatches([], platformActor);
    store.recordMatches([gone.hashes[0]!.id], platformActor);
    expect(store.listAudit().filter((e) => e.action === 'case.match')).toHaveLength(2);
  });
});

describe('hashes and the change log', () => {
  it('iterateHashes streams 100k rows in id order, across pages, leaving the connection free for writes', () => {
    const { store } = openTestStore();
    const n = 100_000;
    const batch = Array.from({ length: n }, (_, i) => pdq(i));
    const { case: c, hashes } = store.createCase({ number: 'RMP-BIG', secretHash: 's', hashes: batch }, victim);
    expect(store.countHashes()).toBe(n);

    let count = 0;
    let previousId = 0;
    for (const h of store.iterateHashes()) {
      expect(h.id).toBeGreaterThan(previousId);
      previousId = h.id;
      if (count % 9973 === 0) {
        expect(h).toEqual(hashes[count]);
        expect(h.bytes).toBeInstanceOf(Uint8Array);
        expect(Buffer.isBuffer(h.bytes)).toBe(false);
      }
      // A write in the middle of the stream must not fail with "connection is busy".
      if (count === 15_000) store.addHashes(c.id, [pdq(n + 1)], victim);
      count++;
    }
    expect(count).toBe(n + 1);
  });

  it('keeps values of any byte pattern intact through every read path', () => {
    const { store } = openTestStore();
    const patterns = [
      new Uint8Array(32),
      new Uint8Array(32).fill(0xff),
      Uint8Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 0xc3 : 0x28)), // invalid UTF-8
      Uint8Array.from({ length: 32 }, (_, i) => (i === 16 ? 0 : 0x41)), // NUL inside text-like bytes
      Uint8Array.from({ length: 32 }, (_, i) => (i * 73 + 11) & 0xff),
    ];
    const { case: c } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: patterns.map((bytes) => ({ algorithm: 'pdq', bytes })) }, victim);
    // A gap in the ids, so pages do not rely on contiguous ids.
    const other = store.createCase({ number: 'RMP-B', secretHash: 's', hashes: [pdq(1)] }, victim);
    store.withdrawCase(other.case.id, victim);
    store.addHashes(c.id, [{ algorithm: 'blockhash', bytes: patterns[2]! }], victim);

    const expected = [...patterns, patterns[2]!];
    expect([...store.iterateHashes()].map((h) => h.bytes)).toEqual(expected);
    const batches = [...store.iterateHashBatches(2)];
    expect(batches.map((b) => b.ids.length)).toEqual([2, 2, 2]);
    const packed = batches.flatMap((b) => b.ids.map((_, i) => b.bytes.slice(i * 32, i * 32 + 32)));
    expect(packed).toEqual(expected);
    expect(store.changesAfter(0, 100).flatMap((ch) => (ch.op === 'add' ? [ch.bytes] : []))).toEqual(expected);
  });

  it('iterateHashBatches yields ids, algorithms and packed values in id order', () => {
    const { store } = openTestStore();
    expect([...store.iterateHashBatches()]).toEqual([]);
    const a = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: Array.from({ length: 20 }, (_, i) => pdq(i)) }, victim);
    store.addHashes(a.case.id, [{ algorithm: 'blockhash', bytes: hashBytes(100) }], victim);
    const all = [...store.iterateHashes()];

    const batches = [...store.iterateHashBatches(10)];
    expect(batches.map((b) => b.ids.length)).toEqual([10, 10, 1]);
    expect(batches.flatMap((b) => b.ids)).toEqual(all.map((h) => h.id));
    expect(batches.flatMap((b) => b.algorithms)).toEqual(all.map((h) => h.algorithm));
    for (const b of batches) expect(b.bytes.byteLength).toBe(b.ids.length * 32);
    expect(batches[2]!.bytes).toEqual(hashBytes(100));
    expect(Buffer.isBuffer(batches[0]!.bytes)).toBe(false);
    // An exact multiple of the batch size ends without an empty batch.
    expect([...store.iterateHashBatches(7)].map((b) => b.ids.length)).toEqual([7, 7, 7]);
    expect(codeOf(() => [...store.iterateHashBatches(0)])).toBe('BAD_REQUEST');
  });

  it('puts a page back in id order if SQLite ever hands its rows over out of order', () => {
    expect(inIdOrder([3, 5, 9])).toEqual([0, 1, 2]);
    expect(inIdOrder([9, 3, 5])).toEqual([1, 2, 0]);
    const bytes = new Uint8Array(96);
    bytes.set(hashBytes(9), 0);
    bytes.set(hashBytes(3), 32);
    bytes.set(hashBytes(5), 64);
    const sorted = reorderBatch({ ids: [9, 3, 5], algorithms: ['a9', 'a3', 'a5'], bytes });
    expect(sorted.ids).toEqual([3, 5, 9]);
    expect(sorted.algorithms).toEqual(['a3', 'a5', 'a9']);
    expect([0, 1, 2].map((i) => sorted.bytes.slice(i * 32, i * 32 + 32))).toEqual([hashBytes(3), hashBytes(5), hashBytes(9)]);
  });

  it('refsOf looks up many ids at once and leaves out missing ones', () => {
    const { store } = openTestStore();
    const { hashes } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: Array.from({ length: 40_000 }, (_, i) => pdq(i)) }, victim);
    const ids = [...hashes.map((h) => h.id), hashes[0]!.id, 999_999_999];
    const refs = store.refsOf(ids);
    expect(refs.size).toBe(40_000);
    expect(refs.get(hashes[12_345]!.id)).toBe(hashes[12_345]!.ref);
    expect(refs.has(999_999_999)).toBe(false);
    expect(store.refsOf([]).size).toBe(0);
  });

  it('changesAfter pages oldest first and validates its limit', () => {
    const { store } = openTestStore();
    expect(store.lastSeq()).toBe(0);
    store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2), pdq(3), pdq(4), pdq(5)] }, victim);
    expect(store.changesAfter(0, 2).map((c) => c.seq)).toEqual([1, 2]);
    expect(store.changesAfter(2, 2).map((c) => c.seq)).toEqual([3, 4]);
    expect(store.changesAfter(4, 2).map((c) => c.seq)).toEqual([5]);
    expect(store.changesAfter(5, 2)).toEqual([]);
    expect(store.lastSeq()).toBe(5);
    expect(codeOf(() => store.changesAfter(0, 0))).toBe('BAD_REQUEST');
    expect(codeOf(() => store.changesAfter(0, 1.5))).toBe('BAD_REQUEST');
  });
});

describe('platforms', () => {
  it('adds, finds, lists and revokes platforms, auditing each change', () => {
    const { store } = openTestStore(undefined, { now: steppingClock() });
    const p = store.addPlatform({ name: 'photos-example', keyId: 'rk_abc', keyHash: 'hmac$1' }, operator);
    expect(p).toEqual({ id: p.id, name: 'photos-example', keyId: 'rk_abc', createdAt: p.createdAt, revokedAt: null });
    expect(p.createdAt).toMatch(/^2025-01-01T00:00:\d\d\.000Z$/);
    expect(store.getPlatformByKeyId('rk_abc')).toEqual({ ...p, keyHash: 'hmac$1' });
    expect(store.getPlatformByKeyId('rk_zzz')).toBeUndefined();
    store.addPlatform({ name: 'video-example', keyId: 'rk_def', keyHash: 'hmac$2' }, operator);
    expect(store.listPlatforms().map((x) => x.name)).toEqual(['photos-example', 'video-example']);

    expect(store.revokePlatform('photos-example', operator)).toBe(true);
    const revokedAt = store.getPlatformByKeyId('rk_abc')?.revokedAt;
    expect(revokedAt).toMatch(/^2025-01-01T00:00:\d\d\.000Z$/);
    expect(revokedAt! > p.createdAt).toBe(true);
    expect(store.revokePlatform('photos-example', operator)).toBe(false);
    expect(store.revokePlatform('nobody', operator)).toBe(false);
    expect(store.listAudit().map((e) => [e.action, e.target])).toEqual([
      ['platform.add', 'photos-example'],
      ['platform.add', 'video-example'],
      ['platform.revoke', 'photos-example'],
    ]);
  });

  it('refuses a duplicate name or key id with CONFLICT', () => {
    const { store } = openTestStore();
    store.addPlatform({ name: 'p', keyId: 'k1', keyHash: 'h' }, operator);
    expect(() => store.addPlatform({ name: 'p', keyId: 'k2', keyHash: 'h' }, operator)).toThrow(/platform named "p" already exists/);
    expect(codeOf(() => store.addPlatform({ name: 'q', keyId: 'k1', keyHash: 'h' }, operator))).toBe('CONFLICT');
    expect(store.listPlatforms()).toHaveLength(1);
    expect(store.listAudit()).toHaveLength(1);
  });
});

describe('audit and settings', () => {
  it('stores audit entries with JSON detail and pages them by id', () => {
    const { store } = openTestStore(undefined, { now: () => new Date('2025-01-01T00:00:01.000Z') });
    store.audit(operator, 'service.start');
    store.audit(operator, 'export', 'hashes', { format: 'csv', rows: 3, nested: { ok: true } });
    store.audit({ kind: 'system', id: 'sync' }, 'tick', null, null);
    const all = store.listAudit();
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
    expect(store.listAudit({ limit: 1 }).map((e) => e.action)).toEqual(['service.start']);
    expect(store.listAudit({ afterId: all[0]!.id }).map((e) => e.action)).toEqual(['export', 'tick']);
  });

  it('gets and overwrites settings', () => {
    const { store } = openTestStore();
    expect(store.getSetting('k')).toBeUndefined();
    store.setSetting('k', 'v1');
    store.setSetting('k', 'v2');
    expect(store.getSetting('k')).toBe('v2');
  });
});
