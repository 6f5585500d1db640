import { randomBytes } from 'node:crypto';

/** Random bytes behind a public ref: 128 bits, so refs never collide and reveal nothing. */
const REF_RANDOM_BYTES = 16;
export const HASH_REF_PREFIX = 'h_';
export const ITEM_REF_PREFIX = 'i_';

/**
 * A new opaque public id for a stored hash: "h_" + 22 base64url characters.
 * Random rather than derived from the id or the value, so platforms learn neither
 * the registration order nor anything about the hash from it.
 */
export function newHashRef(): string {
  return HASH_REF_PREFIX + randomBytes(REF_RANDOM_BYTES).toString('base64url');
}

/** A new opaque public id for an item: "i_" + 22 base64url characters (random, as hash refs). */
export function newItemRef(): string {
  return ITEM_REF_PREFIX + randomBytes(REF_RANDOM_BYTES).toString('base64url');
}
