/**
 * Matching profiles: what is registered for one image and how an upload is searched.
 * A profile names the hash space its codes live in (an algorithm of the registry, so
 * the index, store and sync feed treat its codes like any other of that algorithm), the
 * decode size it needs, how it derives the registered set and the query set, the quality
 * rule for derived hashes, and a threshold per kind of pair. Adding a profile is one
 * module exporting a MatchingProfile and one line in PROFILES.
 */
import type { Pixels } from '../types.js';
import { lumaOf } from './luma-image.js';
import { DEFAULT_DERIVE_RULES, bothSets, querySet, registeredSet, type DeriveRules, type DerivedHash, type Role } from './derive.js';
import type { DecisionRules } from './decision.js';

export type { DerivedHash, Role } from './derive.js';

/**
 * Pairs are matched under one of three thresholds: the whole picture against the whole
 * picture ('full': today's PDQ matching, at PDQ's own threshold), region against region,
 * and every other pair with a whole picture or window in it ('whole').
 */
export type PairKind = 'full' | 'whole' | 'region';

export interface MatchingProfile {
  readonly name: string;
  /** Registry algorithm whose 256-bit space the derived codes live in. */
  readonly algorithm: string;
  readonly bits: 256;
  /** Longest side the image is decoded to before deriving (the shared decode). */
  readonly decodeSide: number;
  readonly description: string;
  /** Derived hashes below this quality are neither registered nor queried (the full hash follows the case policy). */
  readonly minQuality: number;
  /** Inclusive Hamming thresholds per kind of pair, set by `rempart eval-profile` (see docs/matching.md). */
  readonly thresholds: Readonly<Record<PairKind, number>>;
  /** How the sets are derived (trim, windows, regions, quality and graphic gates). */
  readonly rules: DeriveRules;
  /** When the pairs found within the thresholds make a match (decision.ts): region pairs, near-blank uploads. */
  readonly decision: DecisionRules;
  register(pixels: Pixels): DerivedHash[];
  /** `rules`: other derivation rules than the profile's (evaluation: sets without the graphic gate). */
  query(pixels: Pixels, rules?: DeriveRules): DerivedHash[];
  /** Both, sharing the work (equal to calling each). */
  both(pixels: Pixels, rules?: DeriveRules): { registered: DerivedHash[]; query: DerivedHash[] };
}

/** Roles a matching profile derives beside the whole picture. */
export const DERIVED_ROLES: readonly Role[] = ['trimmed', 'window', 'region', 'tilt'];

/**
 * Whether a registered hash was derived by a matching profile (trimmed content, a window, a
 * region): such a hash is matched under the profile's own thresholds and is not meant to be
 * matched alone by a client that knows only the algorithm's threshold (the StopNCII feed).
 */
export const isDerivedRole = (role: string): boolean => (DERIVED_ROLES as readonly string[]).includes(role);

/** The kind of a (query hash, registered hash) pair. */
export function pairKind(query: Role, registered: Role): PairKind {
  if (query === 'full' && registered === 'full') return 'full';
  return query === 'region' && registered === 'region' ? 'region' : 'whole';
}

export function thresholdFor(profile: MatchingProfile, query: Role, registered: Role): number {
  return profile.thresholds[pairKind(query, registered)];
}

function pdqProfile(rules: DeriveRules): MatchingProfile {
  return {
    name: 'pdq-regions',
    algorithm: 'pdq',
    bits: 256,
    decodeSide: 1024,
    description:
      'PDQ of the whole picture, of its trimmed content, of centred windows and of content-anchored regions (also boxed ' +
      "upright, along the content's own orientation); queries add the trimmed content, a window between registered scales, " +
      'the upright windows of a tilted copy and their own regions',
    minQuality: rules.minQuality,
    // 'full' is PDQ's default (unchanged matching of the whole picture); the others are set by `rempart eval-profile` (docs/matching.md).
    thresholds: { full: 31, whole: 31, region: 31 },
    rules,
    // Chosen by `rempart eval-profile` on its tune half: the distances are the thresholds policy (the closest
    // impostor of that kind less 25 %), the agreement tolerances the tightest that keep recall (docs/matching.md).
    decision: { singleRegion: 14, agreeScale: 0.08, agreeOffset: 0.05, uploadFloor: true, graphicWhole: 22, otherWhole: 'legacy' },
    register: (pixels) => registeredSet(lumaOf(pixels), rules),
    query: (pixels, own = rules) => querySet(lumaOf(pixels), own),
    both: (pixels, own = rules) => bothSets(lumaOf(pixels), own),
  };
}

export const PDQ_REGIONS: MatchingProfile = pdqProfile(DEFAULT_DERIVE_RULES);

/**
 * The profile the service uses unless asked otherwise (`?profile=none` turns it off): POST
 * /v1/hash returns its registered set and the item to register, POST /v1/match/image
 * searches with its query set.
 */
export const DEFAULT_PROFILE = 'pdq-regions';
/** The profile query value that turns derived matching off (today's whole-picture matching only). */
export const NO_PROFILE = 'none';

/** Every profile the engine knows (one line per profile). */
const PROFILES: readonly MatchingProfile[] = [PDQ_REGIONS];

export function listProfiles(): readonly MatchingProfile[] {
  return PROFILES;
}

export function getProfile(name: string): MatchingProfile {
  const found = PROFILES.find((p) => p.name === name);
  if (!found) throw new RangeError(`unknown matching profile "${name}" (known: ${PROFILES.map((p) => p.name).join(', ')})`);
  return found;
}
