/**
 * What only the SQLite backend does: its file, its connection settings, its worker-thread
 * page reader, and erasure down to the bytes of the database and WAL files. What every
 * backend does is in store-contract.test.ts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defaultDatabasePath, openConnection } from '../src/store/sqlite/connection.js';
import { inIdOrder, reorderBatch } from '../src/store/sqlite/hash-pages.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import type { NewHash } from '../src/store/types.js';
import { collect, hashBytes, openTestStore, pdq, register, tempDir, victim } from './store-helpers.js';

/** Random values: a chance match against unrelated bytes in the file is negligible. */
function randomHashes(n: number): NewHash[] {
  return Array.from({ length: n }, () => ({ algorithm: 'pdq', bytes: new Uint8Array(randomBytes(32)), quality: 90 }));
}

function fileBytesContain(file: string, needle: Uint8Array): string[] {
  return [file, `${file}-wal`].filter((f) => fs.existsSync(f) && fs.readFileSync(f).includes(Buffer.from(needle)));
}

/** Files holding the value's hex spelling (held submissions keep values as hex in JSON). */
function fileTextContains(file: string, needle: Uint8Array): string[] {
  const hex = Buffer.from(Buffer.from(needle).toString('hex'));
  return [file, `${file}-wal`].filter((f) => fs.existsSync(f) && fs.readFileSync(f).includes(hex));
}

describe('opening a SQLite store', () => {
  it('puts the database at <dataDir>/rempart.sqlite, creating missing directories privately', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const file = defaultDatabasePath(dataDir);
    expect(file).toBe(path.join(dataDir, 'rempart.sqlite'));
    const { store } = openTestStore(file);
    expect(store.location).toBe(file);
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

  it('read-only mode reads but refuses writes', async () => {
    const { store, file } = openTestStore();
    await register(store, { number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    const ro = openTestStore(file, { readonly: true }).store;
    expect(await ro.countHashes()).toBe(1);
    await expect(ro.setSetting('a', 'b')).rejects.toThrow(/readonly/i);
  });

  it('read-only mode does not create a missing database', () => {
    const file = path.join(tempDir(), 'missing.sqlite');
    expect(() => openSqliteStore({ path: file, readonly: true })).toThrow();
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('SQLite hash pages', () => {
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

  it('reads ahead on a worker thread and fails with its error instead of hanging', async () => {
    const { store, file } = openTestStore();
    await register(store, { number: 'RMP-A', secretHash: 's', hashes: Array.from({ length: 25 }, (_, i) => pdq(i)) }, victim);
    expect((await collect(store.indexPages({ pageSize: 10, readAhead: 1 }))).map((p) => p.rows)).toEqual([10, 10, 5]);
    // The reader thread opens the file by its path: once the file is gone, the read fails loudly.
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    await expect(collect(store.indexPages({ readAhead: 1 }))).rejects.toThrow(/unable to open|no such file|does not exist/i);
  });
});

describe('erasure in the SQLite files', () => {
  it('commits even while another connection holds a read, and erases the WAL as soon as it is gone', async () => {
    const { store, file } = openTestStore();
    const hashes = randomHashes(3);
    const { case: c } = await register(store, { number: 'RMP-A', secretHash: 's', hashes }, victim);
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM hashes').get(); // pins a snapshot holding the values

    expect(await store.withdrawCase(c.id, victim)).toHaveLength(3);
    expect(await store.countHashes()).toBe(0);
    // The reader may still read the values, so they cannot leave the WAL yet: that is known, not hidden.
    expect(await store.erasureStatus()).toMatchObject({ pending: true, lastError: null });
    expect(await store.erasureSettled(50)).toBe(false);
    expect(fileBytesContain(file, hashes[0]!.bytes)).toContain(`${file}-wal`);

    const settled = store.erasureSettled(5_000);
    reader.exec('COMMIT');
    reader.close();
    // Erased while the store stays open (a running server), not only once it closes.
    expect(await settled).toBe(true);
    expect(await store.erasureStatus()).toMatchObject({ pending: false, pendingSince: null });
    for (const h of hashes) expect(fileBytesContain(file, h.bytes)).toEqual([]);
    await store.close();
    for (const h of hashes) expect(fileBytesContain(file, h.bytes)).toEqual([]);
  });

  it('overwrites the withdrawn values in the database and WAL files', async () => {
    const { store, file } = openTestStore();
    // Enough rows to span several pages, so freed pages and partly freed pages both occur.
    const hashes = randomHashes(600);
    const { case: c } = await register(store, { number: 'RMP-A', secretHash: 's', hashes }, victim);
    const kept = randomHashes(3);
    await register(store, { number: 'RMP-B', secretHash: 's', hashes: kept }, victim);
    // Control: before the withdrawal, the raw bytes are found on disk.
    expect(fileBytesContain(file, hashes[0]!.bytes)).not.toEqual([]);

    await store.withdrawCase(c.id, victim);
    for (const h of [hashes[0]!, hashes[299]!, hashes[599]!]) expect(fileBytesContain(file, h.bytes)).toEqual([]);
    const leaked = hashes.filter((h) => fileBytesContain(file, h.bytes).length > 0).length;
    expect(leaked).toBe(0);
    expect(fileBytesContain(file, kept[0]!.bytes)).not.toEqual([]);

    await store.close();
    for (const h of hashes.slice(0, 50)) expect(fileBytesContain(file, h.bytes)).toEqual([]);
  });

  it('overwrites a rejected held submission’s values in the database and WAL files, as a withdrawal does', async () => {
    const { store, file } = openTestStore();
    const { case: c } = await register(store, { number: 'RMP-H', secretHash: 's', hashes: [] }, victim);
    const held = randomHashes(200);
    await store.holdItems({ ref: 'hold_x', caseId: c.id, reason: 'allow_list', detail: {}, items: [{ kind: 'image', hashes: held }] }, victim);
    expect(fileTextContains(file, held[0]!.bytes)).not.toEqual([]); // control

    await store.decideHeld('hold_x', 'rejected', { kind: 'operator', id: 'ops' });
    expect(await store.erasureSettled(10_000)).toBe(true);
    expect(held.filter((h) => fileTextContains(file, h.bytes).length > 0).length).toBe(0);
  });
});
