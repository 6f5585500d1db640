import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Actor, NewHash, Store } from '../src/store/types.js';

export const victim: Actor = { kind: 'victim', id: 'RMP-TEST-0001' };
export const operator: Actor = { kind: 'operator', id: 'ops' };
export const platformActor: Actor = { kind: 'platform', id: 'example-platform' };

const openStores: Store[] = [];
const tempDirs: string[] = [];

afterEach(() => {
  for (const store of openStores.splice(0)) store.close();
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-store-'));
  tempDirs.push(dir);
  return dir;
}

/** A clock that advances one second per reading, from a fixed start. */
export function steppingClock(start = Date.UTC(2025, 0, 1)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

export function openTestStore(file = path.join(tempDir(), 'rempart.sqlite'), options: { readonly?: boolean; now?: () => Date } = {}) {
  const store = openSqliteStore({ path: file, ...options });
  openStores.push(store);
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
