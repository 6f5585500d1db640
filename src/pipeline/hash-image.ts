import { getAlgorithm } from '../hashing/registry.js';
import type { ComputedHash } from '../hashing/types.js';
import { decodeToPixels, shrinkPixels } from './decode.js';
import { planDecodes } from './decode-sizes.js';
import type { DecodeLimits } from './limits.js';
import { deriveSet, type WireDerivedSet } from '../hashing/profile/wire.js';
import { getProfile } from '../hashing/profile/profile.js';

export interface ImageHashes {
  /** Size after EXIF orientation, before any pre-shrink. */
  width: number;
  height: number;
  format: string;
  hashes: ComputedHash[];
  /** The matching profile's set (registered or query side), when asked for. */
  derived?: WireDerivedSet;
}

export interface HashRequest {
  /** Registered algorithm names, already validated. */
  algorithms: readonly string[];
  dihedral: boolean;
  /** Also derive a matching profile's set from the shared decode. */
  profile?: { name: string; side: WireDerivedSet['side'] };
}

/**
 * Decodes once (to fit SHARED_DECODE_SIDE, see decode-sizes.ts) and feeds each
 * algorithm pixels of its own size, resized in memory from that decode. The plan is the
 * same whatever else is requested, so an algorithm's hash never depends on the request.
 * Hashes come back in the order requested.
 */
export async function hashImageBytes(
  bytes: Uint8Array,
  request: HashRequest,
  limits: DecodeLimits,
): Promise<ImageHashes> {
  const byName = new Map<string, ComputedHash>();
  let header: { width: number; height: number; format: string } | undefined;
  let derived: WireDerivedSet | undefined;
  for (const plan of planDecodes(request.algorithms)) {
    const decoded = await decodeToPixels(bytes, limits, plan.decodeSide === undefined ? {} : { fitInside: plan.decodeSide });
    header = { width: decoded.width, height: decoded.height, format: decoded.format };
    // The profile derives from the shared decode, the same pixels every algorithm starts from.
    if (request.profile && plan.decodeSide === getProfile(request.profile.name).decodeSide) {
      derived = deriveSet(request.profile.name, request.profile.side, decoded.pixels);
    }
    for (const [side, names] of plan.groups) {
      const pixels = side === undefined || side === plan.decodeSide ? decoded.pixels : await shrinkPixels(decoded.pixels, side, limits);
      for (const name of names) {
        const algorithm = getAlgorithm(name);
        const dihedral = request.dihedral && algorithm.hasDihedral;
        byName.set(name, algorithm.hash(pixels, { dihedral }));
      }
    }
  }
  if (!header) throw new Error('hashImageBytes needs at least one algorithm');
  const out: ImageHashes = { ...header, hashes: request.algorithms.map((name) => byName.get(name)!) };
  if (request.profile) {
    if (!derived) throw new Error(`profile ${request.profile.name} needs a decode at ${getProfile(request.profile.name).decodeSide} px`);
    out.derived = derived;
  }
  return out;
}
