import { createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/**
 * Case numbers, case secrets and platform API keys: how they are made and how they are
 * stored. Nothing here is ever stored in the clear: case secrets get a slow salted and
 * peppered hash (scrypt), API keys a fast peppered hash (HMAC-SHA-256: they are
 * 256-bit random, so brute force is hopeless and every platform request checks one).
 */

const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Crockford base32: no I, L, O, U, so numbers survive being read aloud or copied by hand. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomCrockford(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += CROCKFORD[bytes[i]! & 31];
  return out;
}

function groups(text: string, size: number): string {
  return text.match(new RegExp(`.{1,${size}}`, 'g'))!.join('-');
}

/** e.g. "RMP-7K2Q-9XDA" (40 random bits; uniqueness is enforced by the store). */
export function newCaseNumber(): string {
  return `RMP-${groups(randomCrockford(8), 4)}`;
}

export const CASE_NUMBER_PATTERN = '^RMP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$';

/** Letters a person may type for a Crockford digit: lowercase, and I, L, O for 1, 1, 0. */
const CROCKFORD_ALIASES: Record<string, string> = { I: '1', L: '1', O: '0' };

/**
 * The case number a victim meant, from what she typed: any case, surrounding or inner
 * spaces, missing or extra dashes, with or without the "RMP" prefix, and I, L, O read as
 * 1, 1, 0 (as Crockford base32 decodes them). Undefined when it cannot be one: anything
 * but 8 characters after the prefix, or a character no case number holds (U, punctuation).
 */
export function normaliseCaseNumber(input: string): string | undefined {
  let compact = input.toUpperCase().replace(/[\s_-]+/g, '');
  if (compact.startsWith('RMP')) compact = compact.slice(3);
  if (compact.length !== 8) return undefined;
  let digits = '';
  for (const c of compact) {
    const digit = CROCKFORD_ALIASES[c] ?? c;
    if (!CROCKFORD.includes(digit)) return undefined;
    digits += digit;
  }
  return `RMP-${groups(digits, 4)}`;
}

/** 26 Crockford characters = 130 random bits, grouped for copying: "X8D4-…". */
export function newCaseSecret(): string {
  return groups(randomCrockford(26), 4);
}

/** Accepts a secret typed with lowercase, spaces or missing dashes. */
export function normaliseCaseSecret(input: string): string {
  const compact = input.toUpperCase().replace(/[^0-9A-Z]/g, '');
  return groups(compact, 4);
}

export class Credentials {
  private readonly pepper: Buffer;

  constructor(
    pepper: string,
    private readonly secretCost = 15,
  ) {
    if (pepper.length < 32) throw new Error('pepper must be at least 32 characters');
    this.pepper = Buffer.from(pepper, 'utf8');
  }

  private peppered(value: string): Buffer {
    return createHmac('sha256', this.pepper).update(value, 'utf8').digest();
  }

  /** `scrypt$<logN>$<salt>$<hash>` of HMAC(pepper, secret). */
  async hashCaseSecret(secret: string): Promise<string> {
    const salt = randomBytes(16);
    const hash = await this.scrypt(this.peppered(normaliseCaseSecret(secret)), salt, this.secretCost);
    return `scrypt$${this.secretCost}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
  }

  async verifyCaseSecret(secret: string, stored: string): Promise<boolean> {
    const [scheme, cost, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !cost || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const actual = await this.scrypt(this.peppered(normaliseCaseSecret(secret)), Buffer.from(salt, 'base64url'), Number(cost));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** A new platform key: `rk_<keyId>_<secret>`; only keyId and the secret's hash are stored. */
  newApiKey(): { key: string; keyId: string; keyHash: string } {
    const keyId = randomBytes(6).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    return { key: `rk_${keyId}_${secret}`, keyId, keyHash: this.hashApiSecret(secret) };
  }

  /** Splits a presented key; undefined when it is not shaped like one of ours. */
  static parseApiKey(key: string): { keyId: string; secret: string } | undefined {
    const match = /^rk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
    return match ? { keyId: match[1]!, secret: match[2]! } : undefined;
  }

  hashApiSecret(secret: string): string {
    return this.peppered(`api-key:${secret}`).toString('hex');
  }

  verifyApiSecret(secret: string, storedHash: string): boolean {
    const actual = Buffer.from(this.hashApiSecret(secret), 'hex');
    const expected = Buffer.from(storedHash, 'hex');
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /**
   * A stable opaque name for a value that must not be stored as it is (a client address,
   * for rate limits shared through the database): not reversible without the pepper.
   */
  pseudonym(purpose: string, value: string): string {
    return this.peppered(`${purpose}:${value}`).toString('base64url').slice(0, 22);
  }

  /** Identifies the pepper without revealing it, to detect a data dir used with another pepper. */
  fingerprint(): string {
    return this.peppered('rempart-pepper-fingerprint').toString('hex').slice(0, 16);
  }

  private scrypt(password: Buffer, salt: Buffer, cost: number): Promise<Buffer> {
    const N = 2 ** cost;
    return scryptAsync(password, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
  }
}
