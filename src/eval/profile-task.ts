/**
 * Worker task of `rempart eval-profile` (piscina name PROFILE_TASK): one corpus file in,
 * the matching profile's registered set and query sets out, packed as 32-bit words.
 * Photos are altered by every transformation (in this worker's memory only); distractors
 * are taken as they are. The service's decode path is used, as for a real upload.
 */
import { DIHEDRAL_NAMES } from '../hashing/types.js';
import { writeWords } from '../hashing/hamming.js';
import { getProfile, type DerivedHash, type Role } from '../hashing/profile/profile.js';
import { decodeToPixels } from '../pipeline/decode.js';
import { hashImageBytes } from '../pipeline/hash-image.js';
import { DEFAULT_LIMITS } from '../pipeline/limits.js';
import { applyTransformation, encodeLossless, getTransformation, loadWorkingCopy } from './transforms.js';

export const PROFILE_TASK = 'profileImage';

export const ROLES: readonly Role[] = ['full', 'trimmed', 'window', 'region', 'tilt'];

/** A set of derived hashes: codes back to back (8 words each), the role of each code. */
export interface PackedSet {
  words: Uint32Array;
  roles: Uint8Array;
  /** Derived hashes in the set (a query's whole-picture hash brings 8 dihedral codes). */
  hashes: number;
}

export interface ProfileTask {
  kind: 'photo' | 'distractor';
  bytes: Uint8Array;
  profile: string;
  /** Photos only: transformations applied to the working copy. */
  transformations: string[];
  maxSide: number;
}

export interface ProfileResult {
  width: number;
  height: number;
  registered: PackedSet;
  /** Query sets: index 0 is the image itself, then one per transformation (photos). */
  queries: (PackedSet | null)[];
  /** Today's matching, same run: the service's PDQ of the registered image, and each query's 8 dihedral PDQ hashes. */
  baseline: { registered: Uint32Array; queries: (Uint32Array | null)[] };
  /** Deriving both sets of the image itself, and each variant's query set (decode excluded). */
  ms: { register: number; query: number[] };
  errors: string[];
}

export function packSet(set: readonly DerivedHash[]): PackedSet {
  const codes = set.reduce((n, h) => n + h.hashes.length, 0);
  const words = new Uint32Array(8 * codes);
  const roles = new Uint8Array(codes);
  let k = 0;
  for (const h of set) {
    for (const code of h.hashes) {
      writeWords(code, words, 8 * k);
      roles[k++] = ROLES.indexOf(h.role);
    }
  }
  return { words, roles, hashes: set.length };
}

async function baselineCodes(bytes: Uint8Array): Promise<Uint32Array> {
  const { hashes } = await hashImageBytes(bytes, { algorithms: ['pdq'], dihedral: true }, DEFAULT_LIMITS);
  const h = hashes[0]!;
  const hex = [h.value, ...DIHEDRAL_NAMES.slice(1).map((d) => h.dihedral?.[d as Exclude<typeof d, 'original'>] ?? h.value)];
  const words = new Uint32Array(8 * hex.length);
  hex.forEach((x, i) => {
    for (let k = 0; k < 8; k++) words[8 * i + k] = parseInt(x.slice(8 * k, 8 * k + 8), 16) >>> 0;
  });
  return words;
}

export async function profileImage(task: ProfileTask): Promise<ProfileResult> {
  const profile = getProfile(task.profile);
  const decode = async (bytes: Uint8Array) => (await decodeToPixels(bytes, DEFAULT_LIMITS, { fitInside: profile.decodeSide })).pixels;
  const errors: string[] = [];
  let original: Uint8Array = task.bytes;
  let working: Awaited<ReturnType<typeof loadWorkingCopy>> | undefined;
  if (task.kind === 'photo') {
    working = await loadWorkingCopy(task.bytes, task.maxSide);
    original = await encodeLossless(working);
  }
  const pixels = await decode(original);
  let started = performance.now();
  const both = profile.both(pixels);
  const registerMs = performance.now() - started;
  const registered = packSet(both.registered);
  const queries: (PackedSet | null)[] = [packSet(both.query)];
  const queryMs: number[] = [];
  // Today's matching is measured on photos only (distractors are impostors, compared by the profile).
  const ownBaseline = working ? await baselineCodes(original) : new Uint32Array(64);
  const baseline: ProfileResult['baseline'] = { registered: ownBaseline.slice(0, 8), queries: [ownBaseline] };
  if (working) {
    for (const name of task.transformations) {
      try {
        const bytes = (await applyTransformation(working, getTransformation(name))).bytes;
        const variant = await decode(bytes);
        started = performance.now();
        queries.push(packSet(profile.query(variant)));
        queryMs.push(performance.now() - started);
        baseline.queries.push(await baselineCodes(bytes));
      } catch (error) {
        errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        queries.push(null);
        baseline.queries.push(null);
      }
    }
  }
  return { width: pixels.width, height: pixels.height, registered, queries, baseline, ms: { register: registerMs, query: queryMs }, errors };
}
