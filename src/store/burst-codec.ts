/**
 * How the recent-submissions role stores a submission's sample (JSON text `[[algorithm,
 * hex], …]`, the same on both backends). Apart from ./burst.ts because the web client
 * type-checks the store's role types without Node's (Buffer).
 */
import type { SubmittedHash } from './burst.js';

export const encodeSubmittedHashes = (hashes: readonly SubmittedHash[]): string =>
  JSON.stringify(hashes.map((h) => [h.algorithm, Buffer.from(h.bytes).toString('hex')]));

export const decodeSubmittedHashes = (text: string): SubmittedHash[] =>
  (JSON.parse(text) as [string, string][]).map(([algorithm, hex]) => ({ algorithm, bytes: Uint8Array.from(Buffer.from(hex, 'hex')) }));
