import { HASH_BYTES, HASH_HEX_LENGTH } from './types.js';
import { HashFormatError } from './errors.js';

const HEX_256 = /^[0-9a-f]{64}$/;

/** Parses 64 lowercase hex characters into 32 bytes; anything else is a HashFormatError. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string') throw new HashFormatError('hash value must be a string of 64 hex characters');
  if (!HEX_256.test(hex)) {
    const why =
      hex.length !== HASH_HEX_LENGTH
        ? `has ${hex.length} characters`
        : /[A-F]/.test(hex)
          ? 'has uppercase letters'
          : 'has characters other than 0-9 and a-f';
    throw new HashFormatError(`hash value must be exactly ${HASH_HEX_LENGTH} lowercase hex characters; it ${why}`);
  }
  const bytes = new Uint8Array(HASH_BYTES);
  for (let i = 0; i < HASH_BYTES; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i]!];
  return out;
}

/** Packs a bit array (most significant bit first, as hex reads) into bytes. */
export function bitsToBytes(bits: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i]) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return bytes;
}
