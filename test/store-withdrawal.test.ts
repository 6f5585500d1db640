import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { RempartError } from '../src/errors.js';
import type { NewHash } from '../src/store/types.js';
import { openTestStore, pdq, victim } from './store-helpers.js';

/** Random values: a chance match against unrelated bytes in the file is negligible. */
function randomHashes(n: number): NewHash[] {
  return Array.from({ length: n }, () => ({ algorithm: 'pdq', bytes: new Uint8Array(randomBytes(32)), quality: 90 }));
}

/** Every table's every cell, read through a separate raw connection. */
function cellsContaining(file: string, needle: Uint8Array): string[] {
  const raw = new Database(file, { readonly: true });
  const hits: string[] = [];
  const tables = raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
  for (const table of tables) {
    for (const row of raw.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]) {
      for (const [column, value] of Object.entries(row)) {
        if (Buffer.isBuffer(value) && value.includes(Buffer.from(needle))) hits.push(`${table}.${column}`);
        if (typeof value === 'string' && value.includes(Buffer.from(needle).toString('hex'))) hits.push(`${table}.${column}`);
      }
    }
  }
  raw.close();
  return hits;
}

function fileBytesContain(file: string, needle: Uint8Array): string[] {
  return [file, `${file}-wal`].filter((f) => fs.existsSync(f) && fs.readFileSync(f).includes(Buffer.from(needle)));
}

describe('withdrawCase', () => {
  it('deletes the hashes, replaces their add entries by remove entries, marks the case and audits', () => {
    const { store } = openTestStore();
    const keep = store.createCase({ number: 'RMP-KEEP', secretHash: 's', hashes: [pdq(1)] }, victim);
    const gone = store.createCase({ number: 'RMP-GONE', secretHash: 's', hashes: [pdq(2), pdq(3)] }, victim);
    store.addHashes(keep.case.id, [pdq(4)], victim);
    const seqBefore = store.lastSeq();

    const removed = store.withdrawCase(gone.case.id, victim);
    expect(removed).toEqual(gone.hashes.map((h) => h.id));
    expect(store.countHashes()).toBe(2);
    expect([...store.iterateHashes()].map((h) => h.caseId)).toEqual([keep.case.id, keep.case.id]);
    expect(store.refsOf(removed).size).toBe(0);

    const c = store.getCaseByNumber('RMP-GONE')!;
    expect(c.status).toBe('withdrawn');
    expect(c.withdrawnAt).not.toBeNull();
    expect(c.hashCount).toBe(0);

    const log = store.changesAfter(0, 100);
    expect(log.map((ch) => [ch.seq, ch.op, ch.ref])).toEqual([
      [1, 'add', keep.hashes[0]!.ref],
      [4, 'add', log[1]!.ref],
      [5, 'remove', gone.hashes[0]!.ref],
      [6, 'remove', gone.hashes[1]!.ref],
    ]);
    expect(log[2]).toEqual({ seq: 5, op: 'remove', ref: gone.hashes[0]!.ref, algorithm: 'pdq', at: c.withdrawnAt });
    expect(store.lastSeq()).toBe(seqBefore + 2);
    expect(store.changesAfter(seqBefore, 10).map((ch) => ch.op)).toEqual(['remove', 'remove']);
    expect(store.listAudit().at(-1)).toMatchObject({ action: 'case.withdraw', target: 'RMP-GONE', detail: { hashes: 2 } });
  });

  it('is idempotent and refuses an unknown case', () => {
    const { store } = openTestStore();
    const { case: c } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1)] }, victim);
    expect(store.withdrawCase(c.id, victim)).toHaveLength(1);
    const seq = store.lastSeq();
    expect(store.withdrawCase(c.id, victim)).toEqual([]);
    expect(store.lastSeq()).toBe(seq);
    const empty = store.createCase({ number: 'RMP-EMPTY', secretHash: 's', hashes: [] }, victim);
    expect(store.withdrawCase(empty.case.id, victim)).toEqual([]);
    expect(store.getCaseByNumber('RMP-EMPTY')?.status).toBe('withdrawn');
    expect(() => store.withdrawCase(424242, victim)).toThrow(RempartError);
    expect(() => store.withdrawCase(424242, victim)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('keeps seq and hash ids monotonic even when the newest entries are erased', () => {
    const { store, file } = openTestStore();
    const a = store.createCase({ number: 'RMP-A', secretHash: 's', hashes: [pdq(1), pdq(2)] }, victim);
    store.withdrawCase(a.case.id, victim); // erases seq 1-2, appends 3-4
    const b = store.createCase({ number: 'RMP-B', secretHash: 's', hashes: [pdq(1)] }, victim);
    expect(store.changesAfter(0, 10).map((ch) => [ch.seq, ch.op])).toEqual([
      [3, 'remove'],
      [4, 'remove'],
      [5, 'add'],
    ]);
    // A stale id from before the withdrawal must never name another victim's hash.
    expect(b.hashes[0]!.id).toBeGreaterThan(a.hashes[1]!.id);

    store.withdrawCase(b.case.id, victim);
    store.close();
    const reopened = openTestStore(file).store;
    expect(reopened.lastSeq()).toBe(6);
    const c = reopened.createCase({ number: 'RMP-C', secretHash: 's', hashes: [pdq(9)] }, victim);
    expect(reopened.lastSeq()).toBe(7);
    expect(c.hashes[0]!.id).toBeGreaterThan(b.hashes[0]!.id);
  });

  it('commits even while another connection holds a read, and erases the WAL as soon as it is gone', async () => {
    const { store, file } = openTestStore();
    const hashes = randomHashes(3);
    const { case: c } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes }, victim);
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM hashes').get(); // pins a snapshot holding the values

    expect(store.withdrawCase(c.id, victim)).toHaveLength(3);
    expect(store.countHashes()).toBe(0);
    // The reader may still read the values, so they cannot leave the WAL yet: that is known, not hidden.
    expect(store.erasureStatus()).toMatchObject({ pending: true, lastError: null });
    expect(await store.erasureSettled(50)).toBe(false);
    expect(fileBytesContain(file, hashes[0]!.bytes)).toContain(`${file}-wal`);

    const settled = store.erasureSettled(5_000);
    reader.exec('COMMIT');
    reader.close();
    // Erased while the store stays open (a running server), not only once it closes.
    expect(await settled).toBe(true);
    expect(store.erasureStatus()).toMatchObject({ pending: false, pendingSince: null });
    for (const h of hashes) expect(fileBytesContain(file, h.bytes)).toEqual([]);
    store.close();
    for (const h of hashes) expect(fileBytesContain(file, h.bytes)).toEqual([]);
  });

  it('leaves no trace of the withdrawn values in any table', () => {
    const { store, file } = openTestStore();
    const hashes = randomHashes(5);
    const kept = randomHashes(1);
    const { case: c } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes }, victim);
    store.createCase({ number: 'RMP-B', secretHash: 's', hashes: kept }, victim);
    // Control: the search does find values that are present.
    expect(cellsContaining(file, hashes[0]!.bytes)).toEqual(['hashes.value', 'changes.value']);

    store.withdrawCase(c.id, victim);
    for (const h of hashes) expect(cellsContaining(file, h.bytes)).toEqual([]);
    expect(cellsContaining(file, kept[0]!.bytes)).toEqual(['hashes.value', 'changes.value']);
  });

  it('overwrites the withdrawn values in the database and WAL files', () => {
    const { store, file } = openTestStore();
    // Enough rows to span several pages, so freed pages and partly freed pages both occur.
    const hashes = randomHashes(600);
    const { case: c } = store.createCase({ number: 'RMP-A', secretHash: 's', hashes }, victim);
    const kept = randomHashes(3);
    store.createCase({ number: 'RMP-B', secretHash: 's', hashes: kept }, victim);
    // Control: before the withdrawal, the raw bytes are found on disk.
    expect(fileBytesContain(file, hashes[0]!.bytes)).not.toEqual([]);

    store.withdrawCase(c.id, victim);
    for (const h of [hashes[0]!, hashes[299]!, hashes[599]!]) expect(fileBytesContain(file, h.bytes)).toEqual([]);
    const leaked = hashes.filter((h) => fileBytesContain(file, h.bytes).length > 0).length;
    expect(leaked).toBe(0);
    expect(fileBytesContain(file, kept[0]!.bytes)).not.toEqual([]);

    store.close();
    for (const h of hashes.slice(0, 50)) expect(fileBytesContain(file, h.bytes)).toEqual([]);
  });
});
