/**
 * What one evaluation run compares. A "hasher" is what a worker runs on a variant's
 * bytes; an "evaluated algorithm" is how its hashes are matched (PDQ is hashed once and
 * matched twice: on its own hash, and with dihedral matching over all 8).
 */
import { DIHEDRAL_NAMES } from '../hashing/types.js';

export interface EvaluatedAlgorithm {
  /** Name in results and reports. */
  readonly name: string;
  /** The hasher whose output it matches. */
  readonly hasher: HasherName;
  readonly bits: number;
  /** Registered side holds 8 dihedral hashes; the distance is the minimum over them. */
  readonly dihedral: boolean;
  /** An outside reference (npm package), not part of Rempart. */
  readonly reference: boolean;
  /** Rempart algorithm whose defaultThreshold this evaluation sets. */
  readonly rempartAlgorithm?: string;
  readonly description: string;
}

export const HASHER_NAMES = ['blockhash', 'pdq', 'sharp-phash', 'imghash-64', 'imghash-256'] as const;
export type HasherName = (typeof HASHER_NAMES)[number];

export const EVALUATED_ALGORITHMS: readonly EvaluatedAlgorithm[] = [
  {
    name: 'blockhash',
    hasher: 'blockhash',
    bits: 256,
    dihedral: false,
    reference: false,
    rempartAlgorithm: 'blockhash',
    description: "Rempart's blockhash (bmvbhash, 16×16 blocks), through the service's decode path",
  },
  {
    name: 'pdq',
    hasher: 'pdq',
    bits: 256,
    dihedral: false,
    reference: false,
    rempartAlgorithm: 'pdq',
    description: "Rempart's PDQ, own hash only",
  },
  {
    name: 'pdq-dihedral',
    hasher: 'pdq',
    bits: 256,
    dihedral: true,
    reference: false,
    description: "Rempart's PDQ, minimum distance over the 8 rotations/mirrors of the registered image",
  },
  {
    name: 'sharp-phash',
    hasher: 'sharp-phash',
    bits: 64,
    dihedral: false,
    reference: true,
    description: 'npm sharp-phash 2.2 (DCT pHash, 64 bits)',
  },
  {
    name: 'imghash-64',
    hasher: 'imghash-64',
    bits: 64,
    dihedral: false,
    reference: true,
    description: 'npm imghash 1.1 (blockhash, 8×8 = 64 bits, its default)',
  },
  {
    name: 'imghash-256',
    hasher: 'imghash-256',
    bits: 256,
    dihedral: false,
    reference: true,
    description: 'npm imghash 1.1 at 16×16 = 256 bits (same width as Rempart)',
  },
];

/** Order in which a dihedral hasher returns its hashes: own hash first, as DIHEDRAL_NAMES. */
export const DIHEDRAL_ORDER = DIHEDRAL_NAMES;

export function getEvaluatedAlgorithm(name: string): EvaluatedAlgorithm {
  const found = EVALUATED_ALGORITHMS.find((a) => a.name === name);
  if (!found) throw new RangeError(`unknown algorithm "${name}"; known: ${EVALUATED_ALGORITHMS.map((a) => a.name).join(', ')}`);
  return found;
}
