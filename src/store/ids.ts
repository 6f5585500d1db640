import { randomBytes } from 'node:crypto';

/** Random bytes behind a hash ref: 128 bits, so refs never collide and reveal nothing. */
const HASH_REF_RANDOM_BYTES = 16;
export const HASH_REF_PREFIX = 'h_';

/**
 * A new opaque public id for a stored hash: "h_" + 22 base64url characters.
 * Random rather than derived from the id or the value, so platforms learn neither
 * the registration order nor anything about the hash from it.
 */
export function newHashRef(): string {
  return HASH_REF_PREFIX + randomBytes(HASH_REF_RANDOM_BYTES).toString('base64url');
}
