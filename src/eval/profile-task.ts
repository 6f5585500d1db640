/**
 * Worker task of `rempart eval-profile` (piscina name PROFILE_TASK): one corpus file in,
 * the matching profile's registered set and query sets out, packed as 32-bit words.
 * Photos are altered by every transformation (in this worker's memory only); distractors
 * are taken as they are. The service's decode and hashing path is used, as for a real
 * upload: the 'full' entry of each set is the service's own PDQ hash of the picture (with
 * its 8 dihedral codes on the query side), exactly what the service registers and
 * searches, so the profile matches everything today's matching does.
 */
import { DIHEDRAL_NAMES, type ComputedHash } from '../hashing/types.js';
import { writeWords } from '../hashing/hamming.js';
import { hexToBytes } from '../hashing/codec.js';
import { getProfile, type DerivedHash, type Role } from '../hashing/profile/profile.js';
import { NO_GRAPHIC_GATE } from '../hashing/profile/derive.js';
import type { Texture } from '../hashing/profile/texture.js';
import { decodeToPixels } from '../pipeline/decode.js';
import { hashImageBytes } from '../pipeline/hash-image.js';
import { DEFAULT_LIMITS } from '../pipeline/limits.js';
import { applyTransformation, encodeLossless, getTransformation, loadWorkingCopy } from './transforms.js';

export const PROFILE_TASK = 'profileImage';
/** Worker task name of the blockhash side pass (blockhashImage). */
export const BLOCKHASH_TASK = 'blockhashImage';

export const ROLES: readonly Role[] = ['full', 'trimmed', 'window', 'region', 'tilt'];

/** A set of derived hashes: codes back to back (8 words each), the role and PDQ quality of each code. */
export interface PackedSet {
  words: Uint32Array;
  roles: Uint8Array;
  /** PDQ quality (0..100) of the hash each code comes from (dihedral codes share their hash's). */
  quality: Uint8Array;
  /** Texture of the hashed box (texture.ts), per code, in 1/250ths: share exactly flat, share on 8 grey levels. */
  flat: Uint8Array;
  levels: Uint8Array;
  /** Hashed box per code, [x0, y0, x1, y1] in fractions of the picture. */
  boxes: Float32Array;
  /** Derived hashes in the set (a query's whole-picture hash brings 8 dihedral codes). */
  hashes: number;
}

/** Texture shares as stored in a PackedSet (1/250ths: exact for the gate's two-decimal rules). */
export const TEXTURE_SCALE = 250;

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
  /** Deriving both sets of the image itself (after decode), and each variant's hashes and query set (decode included). */
  ms: { register: number; query: number[] };
  errors: string[];
  /** The service's blockhash codes of the same pictures (the runner's side pass; absent when it was not run). */
  blockhash?: BlockhashCodes;
}

interface Entry {
  role: Role;
  codes: Uint8Array[];
  quality: number;
  texture: Texture;
  box: DerivedHash['box'];
}

const share = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * TEXTURE_SCALE);

function pack(entries: readonly Entry[]): PackedSet {
  const codes = entries.reduce((n, e) => n + e.codes.length, 0);
  const words = new Uint32Array(8 * codes);
  const roles = new Uint8Array(codes);
  const quality = new Uint8Array(codes);
  const flat = new Uint8Array(codes);
  const levels = new Uint8Array(codes);
  const boxes = new Float32Array(4 * codes);
  let k = 0;
  for (const e of entries) {
    for (const code of e.codes) {
      writeWords(code, words, 8 * k);
      quality[k] = e.quality;
      flat[k] = share(e.texture.flat);
      levels[k] = share(e.texture.levels);
      boxes.set([e.box.x0, e.box.y0, e.box.x1, e.box.y1], 4 * k);
      roles[k++] = ROLES.indexOf(e.role);
    }
  }
  return { words, roles, quality, flat, levels, boxes, hashes: entries.length };
}

const entryOf = (h: DerivedHash): Entry => ({ role: h.role, codes: h.hashes, quality: h.quality, texture: h.texture, box: h.box });

export function packSet(set: readonly DerivedHash[]): PackedSet {
  return pack(set.map(entryOf));
}

/**
 * The service's PDQ hash of the picture as a 'full' entry: its own code, or its 8 dihedral
 * codes, with the texture of the whole picture from the profile's own 'full' entry.
 */
function serviceFull(pdq: ComputedHash, dihedral: boolean, set: readonly DerivedHash[]): Entry {
  const hex = dihedral ? [pdq.value, ...DIHEDRAL_NAMES.slice(1).map((d) => pdq.dihedral![d as Exclude<typeof d, 'original'>]!)] : [pdq.value];
  const whole = set.find((h) => h.role === 'full')!;
  return { role: 'full', codes: hex.map(hexToBytes), quality: pdq.quality ?? 0, texture: whole.texture, box: whole.box };
}

const derivedEntries = (set: readonly DerivedHash[]): Entry[] => set.filter((h) => h.role !== 'full').map(entryOf);

export async function profileImage(task: ProfileTask): Promise<ProfileResult> {
  const profile = getProfile(task.profile);
  const errors: string[] = [];
  let original: Uint8Array = task.bytes;
  let working: Awaited<ReturnType<typeof loadWorkingCopy>> | undefined;
  if (task.kind === 'photo') {
    working = await loadWorkingCopy(task.bytes, task.maxSide);
    original = await encodeLossless(working);
  }
  // The service's PDQ of the original (registered as the item's 'full' hash), and the profile's derived sets,
  // without the graphic gate: every derived hash keeps its texture, and the analysis applies the gate (the same rule).
  const ungated = { ...profile.rules, graphic: NO_GRAPHIC_GATE };
  const own = (await hashImageBytes(original, { algorithms: [profile.algorithm], dihedral: true }, DEFAULT_LIMITS)).hashes[0]!;
  const pixels = (await decodeToPixels(original, DEFAULT_LIMITS, { fitInside: profile.decodeSide })).pixels;
  let started = performance.now();
  const both = profile.both(pixels, ungated);
  const registerMs = performance.now() - started;
  const registered = pack([serviceFull(own, false, both.registered), ...derivedEntries(both.registered)]);
  const queries: (PackedSet | null)[] = [pack([serviceFull(own, true, both.query), ...derivedEntries(both.query)])];
  const queryMs: number[] = [];
  const ownCodes = pack([serviceFull(own, true, both.query)]).words;
  const baseline: ProfileResult['baseline'] = { registered: ownCodes.slice(0, 8), queries: [ownCodes] };
  if (working) {
    for (const name of task.transformations) {
      try {
        const bytes = (await applyTransformation(working, getTransformation(name))).bytes;
        // As the service's POST /v1/match/image: the PDQ hash with dihedral codes, and the query set from the
        // shared decode (the decode plan does not depend on the request, so these are the same pixels).
        started = performance.now();
        const hashed = await hashImageBytes(bytes, { algorithms: [profile.algorithm], dihedral: true }, DEFAULT_LIMITS);
        const decoded = (await decodeToPixels(bytes, DEFAULT_LIMITS, { fitInside: profile.decodeSide })).pixels;
        const set = profile.query(decoded, ungated);
        queryMs.push(performance.now() - started);
        const full = serviceFull(hashed.hashes[0]!, true, set);
        queries.push(pack([full, ...derivedEntries(set)]));
        baseline.queries.push(pack([full]).words);
      } catch (error) {
        errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
        queries.push(null);
        baseline.queries.push(null);
      }
    }
  }
  return { width: pixels.width, height: pixels.height, registered, queries, baseline, ms: { register: registerMs, query: queryMs }, errors };
}

/**
 * The service's blockhash of one corpus file and of each of its variants: what
 * `POST /v1/match/image` also searches (every registered algorithm hashes the upload) and
 * what victims also register (`POST /v1/hash`). One code (8 words) per picture; blockhash
 * has no dihedral codes. Kept beside the profile's sets in a side cache of its own (the
 * runner's), so adding it did not force a re-hash of the profile's sets.
 */
export interface BlockhashCodes {
  /** The registered picture's code (photos: the lossless working copy, as profileImage registers it). */
  registered: Uint32Array;
  /** Index 0: the picture itself as an upload; then one per transformation (null: it failed). */
  queries: (Uint32Array | null)[];
}

const blockhashOf = async (bytes: Uint8Array): Promise<Uint32Array> => {
  const code = hexToBytes((await hashImageBytes(bytes, { algorithms: ['blockhash'], dihedral: false }, DEFAULT_LIMITS)).hashes[0]!.value);
  const words = new Uint32Array(8);
  writeWords(code, words, 0);
  return words;
};

/** The blockhash side pass of one corpus file: the same pictures as profileImage (same working copy, same transformations). */
export async function blockhashImage(task: ProfileTask): Promise<BlockhashCodes> {
  let original: Uint8Array = task.bytes;
  let working: Awaited<ReturnType<typeof loadWorkingCopy>> | undefined;
  if (task.kind === 'photo') {
    working = await loadWorkingCopy(task.bytes, task.maxSide);
    original = await encodeLossless(working);
  }
  const registered = await blockhashOf(original);
  const queries: (Uint32Array | null)[] = [registered];
  if (working) {
    for (const name of task.transformations) {
      try {
        queries.push(await blockhashOf((await applyTransformation(working, getTransformation(name))).bytes));
      } catch {
        queries.push(null);
      }
    }
  }
  return { registered, queries };
}
