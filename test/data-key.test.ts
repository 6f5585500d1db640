import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataCipher, DataKeyError, loadOrCreateDataKey } from '../src/service/data-key.js';

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
