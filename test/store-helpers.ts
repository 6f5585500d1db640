import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import type { Actor, NewHash, NewItem, Store } from '../src/store/types.js';

export const victim: Actor = { kind: 'victim', id: 'RMP-TEST-0001' };
export const operator: Actor = { kind: 'operator', id: 'ops' };
export const platformActor: Actor = { kind: 'platform', id: 'example-platform' };

const openStores: Store[] = [];
const tempDirs: string[] = [];

afterEach(async () => {
  for (const store of openStores.splice(0)) await store.close();
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-store-'));
  tempDirs.push(dir);
  return dir;
}

/** Closes the store after the current test. */
export function closeAfterTest<S extends Store>(store: S): S {
  openStores.push(store);
  return store;
}

/** A clock that advances one second per reading, from a fixed start. */
export function steppingClock(start = Date.UTC(2025, 0, 1)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

/** A SQLite store in a fresh temp dir (or at `file`), closed after the test. */
export function openTestStore(file = path.join(tempDir(), 'rempart.sqlite'), options: { readonly?: boolean; now?: () => Date } = {}) {
  const store = closeAfterTest(openSqliteStore({ path: file, ...options }));
  return { store, file };
}

/** 32 deterministic bytes that differ for each seed. */
export function hashBytes(seed: number): Uint8Array {
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = (seed * 31 + i * 7 + (seed >>> (i % 24))) & 0xff;
  new DataView(bytes.buffer).setUint32(0, seed);
  return bytes;
}

export function pdq(seed: number, quality: number | null = 90): NewHash {
  return { algorithm: 'pdq', bytes: hashBytes(seed), quality };
}

/** The code of a RempartError a promise rejects with (or a description of what else happened). */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return (error as Error).name === 'RempartError' ? String(code) : `not a RempartError: ${String(error)}`;
  }
  return undefined;
}

/** Every item of an async iterable, in order. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The hashes as items of one hash each (what the API does with a flat list of hashes). */
export function oneItemEach(hashes: readonly NewHash[]): NewItem[] {
  return hashes.map((hash) => ({ kind: 'image', hashes: [hash] }));
}

/** createCase with one item per hash; also returns the hashes, flat. */
export async function register(
  store: Pick<Store, 'createCase'>,
  input: { number: string; secretHash: string; hashes: NewHash[] },
  actor: Actor,
) {
  const created = await store.createCase({ number: input.number, secretHash: input.secretHash, items: oneItemEach(input.hashes) }, actor);
  return { ...created, hashes: created.items.flatMap((item) => item.hashes) };
}

/** addItems with one item per hash; resolves to the hashes, flat. */
export async function addHashes(store: Pick<Store, 'addItems'>, caseId: number, hashes: NewHash[], actor: Actor) {
  return (await store.addItems(caseId, oneItemEach(hashes), actor)).flatMap((item) => item.hashes);
}
