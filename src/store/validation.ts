/**
 * Checks every backend applies to what it is asked to store, with messages naming the
 * offending item and hash (the API passes them on as 400s).
 */
import { RempartError } from '../errors.js';
import type { NewHash, NewItem } from './types.js';

export const HASH_BYTES = 32;
/** A role tag: lowercase letters, digits, '-' and '_', 1 to 32 characters. */
export const HASH_ROLE_PATTERN = /^[a-z0-9_-]{1,32}$/;
export const DEFAULT_HASH_ROLE = 'full';
/** Serialised size limit of a hash's detail: a region box or a frame time, not a payload. */
export const MAX_DETAIL_BYTES = 1024;
export const ITEM_KINDS = ['image', 'video'] as const;

export function checkNewItems(items: readonly NewItem[]): void {
  if (!Array.isArray(items)) throw new RempartError('BAD_REQUEST', 'items must be an array');
  items.forEach((item, i) => {
    if (!ITEM_KINDS.includes(item.kind)) {
      throw new RempartError('BAD_REQUEST', `items[${i}].kind must be one of ${ITEM_KINDS.join(', ')}, got ${String(item.kind)}`);
    }
    const hashes: readonly NewHash[] = item.hashes;
    if (!Array.isArray(hashes) || hashes.length === 0) {
      throw new RempartError('BAD_REQUEST', `items[${i}] needs at least one hash`);
    }
    hashes.forEach((hash, h) => checkNewHash(hash, `items[${i}].hashes[${h}]`));
  });
}

export function checkNewHash(hash: NewHash, where: string): void {
  if (typeof hash.algorithm !== 'string' || hash.algorithm.length === 0) {
    throw new RempartError('BAD_REQUEST', `${where}.algorithm must be a non-empty string`);
  }
  if (!(hash.bytes instanceof Uint8Array) || hash.bytes.byteLength !== HASH_BYTES) {
    const got = hash.bytes instanceof Uint8Array ? `${hash.bytes.byteLength} bytes` : typeof hash.bytes;
    throw new RempartError('HASH_FORMAT', `${where}.bytes must be ${HASH_BYTES} bytes, got ${got}`);
  }
  const quality = hash.quality;
  if (quality != null && !(Number.isInteger(quality) && quality >= 0 && quality <= 100)) {
    throw new RempartError('BAD_REQUEST', `${where}.quality must be an integer 0..100, got ${quality}`);
  }
  if (hash.role !== undefined && !(typeof hash.role === 'string' && HASH_ROLE_PATTERN.test(hash.role))) {
    throw new RempartError('BAD_REQUEST', `${where}.role must be 1-32 lowercase letters, digits, '-' or '_', got ${JSON.stringify(hash.role)}`);
  }
  if (hash.detail != null) {
    const detail = hash.detail;
    if (typeof detail !== 'object' || Array.isArray(detail)) {
      throw new RempartError('BAD_REQUEST', `${where}.detail must be a JSON object`);
    }
    const size = Buffer.byteLength(JSON.stringify(detail));
    if (size > MAX_DETAIL_BYTES) {
      throw new RempartError('BAD_REQUEST', `${where}.detail must serialise to at most ${MAX_DETAIL_BYTES} bytes, got ${size}`);
    }
  }
}

/** The detail as stored: JSON text, or null. */
export function detailText(detail: Record<string, unknown> | null | undefined): string | null {
  return detail == null ? null : JSON.stringify(detail);
}
