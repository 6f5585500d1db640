import { LinearScanIndex } from './linear.js';
import { type MihOptions, MultiIndexHashIndex } from './mih.js';
import type { HashIndex } from './types.js';

export type IndexKind = 'mih' | 'linear';
export const INDEX_KINDS: readonly IndexKind[] = ['mih', 'linear'];

export type CreateIndexOptions = MihOptions;

/**
 * The index the service builds per algorithm. 'mih' is the fast exact index; 'linear'
 * is the reference scan (tests, tiny deployments). Pass `expectedSize` (the store's row
 * count at start-up) so the multi-index tables start at the right size.
 */
export function createIndex(kind: IndexKind, options: CreateIndexOptions = {}): HashIndex {
  switch (kind) {
    case 'mih':
      return new MultiIndexHashIndex(options);
    case 'linear':
      return new LinearScanIndex();
    default:
      throw new RangeError(`index kind must be one of ${INDEX_KINDS.join(', ')}, got ${String(kind)}`);
  }
}
