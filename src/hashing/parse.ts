import type { HashAlgorithm, WireHash } from './types.js';
import { getAlgorithm } from './registry.js';
import { hexToBytes } from './codec.js';
import { HashFormatError } from './errors.js';

/** A validated hash: its algorithm object and its 32 bytes. */
export interface ParsedHash {
  algorithm: HashAlgorithm;
  bytes: Uint8Array;
  quality?: number;
}

/** Validates a wire hash; throws UnknownAlgorithmError or HashFormatError naming the problem. */
export function parseHash(input: WireHash): ParsedHash {
  const algorithm = getAlgorithm(input.algorithm);
  const bytes = hexToBytes(input.value);
  const parsed: ParsedHash = { algorithm, bytes };
  if (input.quality !== undefined) {
    if (!algorithm.hasQuality) throw new HashFormatError(`algorithm "${algorithm.name}" has no quality score`);
    if (!Number.isInteger(input.quality) || input.quality < 0 || input.quality > 100) {
      throw new HashFormatError('quality must be an integer from 0 to 100');
    }
    parsed.quality = input.quality;
  }
  return parsed;
}
