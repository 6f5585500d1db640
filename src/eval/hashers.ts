/**
 * Runs each hasher on a variant's encoded bytes, in memory. Rempart's algorithms go
 * through the service's own decode-and-hash path (hashImageBytes), so what is measured
 * is what a platform query gets; the npm references take the same bytes as a Buffer.
 */
import phashModule from 'sharp-phash';
import imghash from 'imghash';
import { hashImageBytes } from '../pipeline/hash-image.js';
import { DEFAULT_LIMITS, type DecodeLimits } from '../pipeline/limits.js';
import { DIHEDRAL_NAMES } from '../hashing/types.js';
import type { HasherName } from './algorithms.js';

/**
 * sharp-phash is CommonJS with an ES-style `export default` in its typings: at run time
 * the default import is the function itself.
 */
const phash = phashModule as unknown as (image: Buffer) => Promise<string>;

/** A hasher's output: own hash first, then (PDQ) the 7 dihedral hashes; lowercase hex. */
export type HasherOutput = string[];

/** sharp-phash returns 64 characters of '0'/'1'; pack them as 16 hex characters. */
export function binaryToHex(bits: string): string {
  if (bits.length % 4 !== 0 || !/^[01]*$/.test(bits)) throw new RangeError('expected a string of 0/1 in groups of 4');
  let hex = '';
  for (let i = 0; i < bits.length; i += 4) hex += parseInt(bits.slice(i, i + 4), 2).toString(16);
  return hex;
}

async function rempart(name: 'blockhash' | 'pdq', bytes: Uint8Array, limits: DecodeLimits): Promise<HasherOutput> {
  const result = await hashImageBytes(bytes, { algorithms: [name], dihedral: name === 'pdq' }, limits);
  const computed = result.hashes[0]!;
  if (name !== 'pdq') return [computed.value];
  const dihedral: Partial<Record<string, string>> = computed.dihedral ?? {};
  return [computed.value, ...DIHEDRAL_NAMES.slice(1).map((d) => dihedral[d] ?? computed.value)];
}

export async function runHasher(name: HasherName, bytes: Buffer, limits: DecodeLimits = DEFAULT_LIMITS): Promise<HasherOutput> {
  switch (name) {
    case 'blockhash':
    case 'pdq':
      return rempart(name, bytes, limits);
    case 'sharp-phash':
      return [binaryToHex(await phash(bytes))];
    case 'imghash-64':
      return [(await imghash.hash(bytes, 8, 'hex')).toLowerCase()];
    case 'imghash-256':
      return [(await imghash.hash(bytes, 16, 'hex')).toLowerCase()];
  }
}
