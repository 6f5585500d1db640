import type { HashAlgorithm } from './types.js';
import { blockhash } from './blockhash.js';
import { pdq } from './pdq.js';
import { UnknownAlgorithmError } from './errors.js';

/**
 * Every algorithm the engine knows. Adding one = one module + one line here;
 * the API schemas, CLI, index and store all read this list.
 */
const ALGORITHMS: readonly HashAlgorithm[] = [blockhash, pdq];

const BY_NAME = new Map(ALGORITHMS.map((a) => [a.name, a]));

export const algorithmNames: readonly string[] = ALGORITHMS.map((a) => a.name);

export function listAlgorithms(): readonly HashAlgorithm[] {
  return ALGORITHMS;
}

export function getAlgorithm(name: string): HashAlgorithm {
  const algorithm = BY_NAME.get(name);
  if (!algorithm) throw new UnknownAlgorithmError(String(name), algorithmNames);
  return algorithm;
}
