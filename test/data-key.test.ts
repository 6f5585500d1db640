import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { DataCipher, DataKeyError, loadOrCreateDataKey } from '../src/service/data-key.js';
import { Rempart } from '../src/service/rempart.js';
import { sharedPostgres } from './helpers/postgres.js';

describe('data key', () => {
  it('seals and opens, binds the context, and detects tampering', () => {
    const cipher = new DataCipher([DataCipher.newKey()]);
    const sealed = cipher.seal('Elle a 17 ans, contact@example.org', 'report:1:description');
    expect(sealed).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain('contact');
    expect(cipher.open(sealed, 'report:1:description')).toBe('Elle a 17 ans, contact@example.org');
    // Two seals of one text differ (random IV).
    expect(cipher.seal('x', 'c')).not.toBe(cipher.seal('x', 'c'));
    expect(() => cipher.open(sealed, 'report:2:description')).toThrow(DataKeyError);
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() => cipher.open([...parts.slice(0, 3), body.toString('base64url')].join(':'), 'report:1:description')).toThrow(
      /tampered or moved/,
    );
    expect(cipher.sealOptional('', 'c')).toBeNull();
    expect(cipher.openOptional(null, 'c')).toBeNull();
  });

  it('rotates: the first key seals, older keys still open', () => {
    const oldKey = DataCipher.newKey();
    const sealedWithOld = new DataCipher([oldKey]).seal('ancien', 'ctx');
    const rotated = new DataCipher([DataCipher.newKey(), oldKey]);
    expect(rotated.open(sealedWithOld, 'ctx')).toBe('ancien');
    expect(rotated.seal('nouveau', 'ctx').split(':')[1]).toBe(rotated.keyId);
    expect(() => new DataCipher([DataCipher.newKey()]).open(sealedWithOld, 'ctx')).toThrow(/not in the configured key file/);
  });

  it('creates a private key file on first start, reuses it, and checks configured keys', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-key-'));
    const first = loadOrCreateDataKey(dir);
    const file = path.join(dir, 'data.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateDataKey(dir).keyId).toBe(first.keyId);
    expect(() => loadOrCreateDataKey(dir, { key: 'short' })).toThrow(/32-byte key/);
    expect(() => loadOrCreateDataKey(dir, { file: path.join(dir, 'missing') })).toThrow(/cannot read the data key file/);
    const hex = 'ab'.repeat(32);
    fs.writeFileSync(path.join(dir, 'other.key'), `# rotated 2026-11\n${hex}\n`);
    expect(loadOrCreateDataKey(dir, { file: path.join(dir, 'other.key') }).keyId).toBe(new DataCipher([hex]).keyId);
  });
});

describe('one data key for every process on a database', () => {
  const pepper = 'a shared pepper for the replicas of this test';

  async function open(dataDir: string, database: string, dataKeyFile?: string) {
    const config = resolveConfig({ dataDir, database, pepper, ...(dataKeyFile ? { dataKeyFile } : {}), hashThreads: '1' });
    const rempart = await Rempart.open(config);
    await rempart.close();
  }

  it('refuses a replica whose data key is not the one the database seals with, and follows a rotation', async () => {
    const database = sharedPostgres().schemaUrl('data_key');
    const first = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-replica-a-'));
    await open(first, database);
    // A second replica with a data directory of its own makes a key of its own: refused, clearly.
    const stray = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-replica-b-'));
    await expect(open(stray, database)).rejects.toThrow(/data key does not match this database.*same key/);
    // With the first replica's key file, it starts.
    const shared = path.join(first, 'data.key');
    await open(stray, database, shared);
    // Rotation: a new key first, the old one kept to open what it sealed.
    const oldKey = fs.readFileSync(shared, 'utf8').trim();
    const rotated = path.join(first, 'rotated.key');
    fs.writeFileSync(rotated, `${DataCipher.newKey()}\n${oldKey}\n`);
    await open(first, database, rotated);
    // From then on a replica with only the old key is refused (it could not open the new seals).
    await expect(open(stray, database, shared)).rejects.toThrow(/data key does not match/);
    await open(stray, database, rotated);
  });
});
