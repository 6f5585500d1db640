/**
 * The exact file hash of a video: MD5 of its bytes, as StopNCII (VideoMD5) and HMA use it,
 * for byte-identical re-uploads. It is not a perceptual hash: it is matched by equality
 * (the index keeps it in a hash map, never in the Hamming index), not by distance.
 *
 * Stored like every hash value, in 32 bytes: the 16 bytes of the digest then 16 zero bytes,
 * so the store, the change log and the index pages keep one value width. On the wire it is
 * always its own 32 hex characters.
 */
import { bytesToHex } from '../codec.js';
import { HashFormatError } from '../errors.js';
import { HASH_BYTES } from '../types.js';

export const VIDEO_MD5 = 'video-md5';
export const MD5_BYTES = 16;
/** Algorithms matched by equality of their digest, not by Hamming distance. */
export const EXACT_ALGORITHMS: ReadonlySet<string> = new Set([VIDEO_MD5]);

const MD5_HEX = /^[0-9a-f]{32}$/;

/** 32 lowercase hex characters → the 32-byte stored value. */
export function md5ToStored(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !MD5_HEX.test(hex)) {
    throw new HashFormatError('md5 must be exactly 32 lowercase hex characters (the MD5 of the file)');
  }
  const out = new Uint8Array(HASH_BYTES);
  for (let i = 0; i < MD5_BYTES; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A stored value as its algorithm writes it on the wire (an MD5 without its padding). */
export function wireValue(algorithm: string, stored: Uint8Array): string {
  return EXACT_ALGORITHMS.has(algorithm) ? bytesToHex(stored.subarray(0, MD5_BYTES)) : bytesToHex(stored);
}
