import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The operator's data key: encrypts, at rest, what must be readable again but must never
 * sit in the database in the clear (a victim's description and contact, the hotline's
 * answer to her, platforms' webhook secrets, operators' TOTP secrets). AES-256-GCM, with
 * the row and field bound in as associated data so a ciphertext cannot be moved to
 * another row. The key lives outside the database: a file or an environment variable the
 * operator holds; a stolen database alone reveals nothing of it.
 *
 * Key rotation: the key file may hold several keys, one per line; the first seals, all
 * open (each ciphertext names its key by a short fingerprint).
 */

export const DATA_KEY_FILE = 'data.key';
const VERSION = 'v1';

export class DataKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataKeyError';
  }
}

interface Key {
  id: string;
  bytes: Buffer;
}

function parseKey(text: string, where: string): Key {
  const trimmed = text.trim();
  const bytes = Buffer.from(trimmed, /^[0-9a-f]{64}$/i.test(trimmed) ? 'hex' : 'base64url');
  if (bytes.length !== 32) {
    throw new DataKeyError(`${where} must hold a 32-byte key as 64 hex characters or 43 base64url characters`);
  }
  return { id: createHash('sha256').update('rempart-data-key:').update(bytes).digest('hex').slice(0, 8), bytes };
}

export class DataCipher {
  private readonly keys: Key[];

  constructor(keys: readonly string[], where = 'data key') {
    if (keys.length === 0) throw new DataKeyError(`${where} holds no key`);
    this.keys = keys.map((key, i) => parseKey(key, `${where} (key ${i + 1})`));
  }

  /** A fresh random key, as the key file stores it. */
  static newKey(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Fingerprint of the sealing key (safe to log or store). */
  get keyId(): string {
    return this.keys[0]!.id;
  }

  /** Whether a key with this fingerprint is configured (it can open what that key sealed). */
  holds(keyId: string): boolean {
    return this.keys.some((k) => k.id === keyId);
  }

  /** `v1:<key id>:<iv>:<ciphertext+tag>`; `context` names the row and field. */
  seal(plaintext: string, context: string): string {
    const key = this.keys[0]!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}:${key.id}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  open(sealed: string, context: string): string {
    const [version, keyId, iv, body] = sealed.split(':');
    if (version !== VERSION || !keyId || !iv || !body) throw new DataKeyError('sealed value is malformed');
    const key = this.keys.find((k) => k.id === keyId);
    if (!key) {
      throw new DataKeyError(`sealed value was made with data key ${keyId}, which is not in the configured key file`);
    }
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length < 16) throw new DataKeyError('sealed value is truncated');
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
    } catch {
      throw new DataKeyError(`sealed value does not open with data key ${keyId} for ${context} (tampered or moved)`);
    }
  }

  sealOptional(plaintext: string | null | undefined, context: string): string | null {
    return plaintext == null || plaintext === '' ? null : this.seal(plaintext, context);
  }

  openOptional(sealed: string | null, context: string): string | null {
    return sealed === null ? null : this.open(sealed, context);
  }
}

/**
 * The data key from configuration (REMPART_DATA_KEY, or the file REMPART_DATA_KEY_FILE),
 * else `<dataDir>/data.key`, created on first start (0600) like the pepper. Production
 * should keep the key file off the data volume, so that a copy of the data directory
 * (a backup, a stolen disk) does not carry its key.
 */
export function loadOrCreateDataKey(dataDir: string, configured: { key?: string; file?: string } = {}): DataCipher {
  if (configured.key !== undefined) return new DataCipher([configured.key], 'REMPART_DATA_KEY');
  if (configured.file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(configured.file, 'utf8');
    } catch (error) {
      throw new DataKeyError(`cannot read the data key file ${configured.file}: ${(error as Error).message}`);
    }
    return new DataCipher(keyLines(text), configured.file);
  }
  const file = path.join(dataDir, DATA_KEY_FILE);
  try {
    return new DataCipher(keyLines(fs.readFileSync(file, 'utf8')), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${DataCipher.newKey()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return new DataCipher(keyLines(fs.readFileSync(file, 'utf8')), file);
}

function keyLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
