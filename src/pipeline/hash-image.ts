import { getAlgorithm } from '../hashing/registry.js';
import type { ComputedHash } from '../hashing/types.js';
import { decodeToPixels } from './decode.js';
import { groupByDecodeSize } from './decode-sizes.js';
import type { DecodeLimits } from './limits.js';

export interface ImageHashes {
  /** Size after EXIF orientation, before any pre-shrink. */
  width: number;
  height: number;
  format: string;
  hashes: ComputedHash[];
}

export interface HashRequest {
  /** Registered algorithm names, already validated. */
  algorithms: readonly string[];
  dihedral: boolean;
}

/**
 * Decodes once per distinct decode size (see decode-sizes.ts) and runs each algorithm
 * on the pixels of its own size, so an algorithm's hash never depends on which other
 * algorithms were requested. Hashes come back in the order requested.
 */
export async function hashImageBytes(
  bytes: Uint8Array,
  request: HashRequest,
  limits: DecodeLimits,
): Promise<ImageHashes> {
  const byName = new Map<string, ComputedHash>();
  let header: { width: number; height: number; format: string } | undefined;
  for (const [side, names] of groupByDecodeSize(request.algorithms)) {
    const decoded = await decodeToPixels(bytes, limits, side === undefined ? {} : { fitInside: side });
    header = { width: decoded.width, height: decoded.height, format: decoded.format };
    for (const name of names) {
      const algorithm = getAlgorithm(name);
      const dihedral = request.dihedral && algorithm.hasDihedral;
      byName.set(name, algorithm.hash(decoded.pixels, { dihedral }));
    }
  }
  if (!header) throw new Error('hashImageBytes needs at least one algorithm');
  return { ...header, hashes: request.algorithms.map((name) => byName.get(name)!) };
}
