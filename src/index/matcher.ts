import { readCode } from '../hashing/hamming.js';
import type { HashIndex, Match } from './types.js';

/** An index that can take many codes at once (the multi-index hash's bulk path). */
interface BulkIndex extends HashIndex {
  addPacked(ids: Uint32Array, words: Uint32Array, options: { skipPresent: true }): number;
  /** Folds recent inserts into the query-optimised layout (after a bulk load). */
  compact?(): void;
}

function isBulk(index: HashIndex): index is BulkIndex {
  return typeof (index as Partial<BulkIndex>).addPacked === 'function';
}

/** A match found through one of several query variants (e.g. PDQ's 8 dihedral hashes). */
export interface VariantMatch extends Match {
  /** Index of the query variant that came closest. */
  variant: number;
}

/**
 * One index per algorithm, behind the names the rest of the engine uses.
 * The service keeps it in step with the store: add after a committed registration,
 * remove after a committed withdrawal, full load at start-up.
 */
export class Matcher {
  private readonly indexes = new Map<string, HashIndex>();
  /** Ids removed since beginLoad(): a page read before their withdrawal must not restore them. */
  private removedDuringLoad: Set<number> | undefined;

  constructor(private readonly createIndex: (algorithm: string) => HashIndex) {}

  private indexFor(algorithm: string): HashIndex {
    let index = this.indexes.get(algorithm);
    if (!index) {
      index = this.createIndex(algorithm);
      this.indexes.set(algorithm, index);
    }
    return index;
  }

  add(algorithm: string, id: number, code: Uint8Array): void {
    this.indexFor(algorithm).add(id, code);
  }

  /** The index of one algorithm, if any code was added under it (reports, benchmarks). */
  indexOf(algorithm: string): HashIndex | undefined {
    return this.indexes.get(algorithm);
  }

  has(algorithm: string, id: number): boolean {
    return this.indexes.get(algorithm)?.has(id) ?? false;
  }

  /**
   * Adds codes in bulk, skipping ids already indexed (start-up loading races with live
   * registrations); returns how many were added. `words` holds 8 big-endian uint32 words per
   * code (see `writeWords`). Indexes without a bulk path take them one by one.
   */
  addPacked(algorithm: string, ids: Uint32Array, words: Uint32Array): number {
    const index = this.indexFor(algorithm);
    const added = isBulk(index) ? index.addPacked(ids, words, { skipPresent: true }) : this.addEach(index, ids, words);
    return added - this.removeAgain(index, ids);
  }

  /**
   * Until endLoad(), every removed id is remembered and taken out again if a later page
   * brings it back: the start-up loader reads pages ahead on another thread, so a page read
   * before a withdrawal committed can reach the index after it.
   */
  beginLoad(): void {
    this.removedDuringLoad = new Set();
  }

  endLoad(): void {
    this.removedDuringLoad = undefined;
  }

  /** Removes from `index` the ids withdrawn during the load that `ids` (ascending) just added. */
  private removeAgain(index: HashIndex, ids: Uint32Array): number {
    const removed = this.removedDuringLoad;
    if (!removed?.size || ids.length === 0) return 0;
    const first = ids[0]!;
    const last = ids[ids.length - 1]!;
    let count = 0;
    for (const id of removed) if (id >= first && id <= last && index.remove(id)) count++;
    return count;
  }

  /** Indexes without a bulk path take codes one by one. */
  private addEach(index: HashIndex, ids: Uint32Array, words: Uint32Array): number {
    const code = new Uint8Array(32);
    let added = 0;
    for (let i = 0; i < ids.length; i++) {
      if (index.has(ids[i]!)) continue;
      index.add(ids[i]!, readCode(words, i, code));
      added++;
    }
    return added;
  }

  /** Lets every index fold a bulk load into its query-optimised layout (end of start-up load). */
  compact(): void {
    for (const index of this.indexes.values()) if (isBulk(index)) index.compact?.();
  }

  /** Removes an id from whichever algorithm holds it. */
  remove(id: number): boolean {
    this.removedDuringLoad?.add(id);
    for (const index of this.indexes.values()) if (index.remove(id)) return true;
    return false;
  }

  /** Matches within `radius`, closest first; the `limit` closest when given. */
  search(algorithm: string, code: Uint8Array, radius: number, limit?: number): Match[] {
    return this.indexes.get(algorithm)?.search(code, radius, limit) ?? [];
  }

  searchBatch(algorithm: string, codes: readonly Uint8Array[], radius: number, limit?: number): Match[][] {
    const index = this.indexes.get(algorithm);
    return index ? index.searchBatch(codes, radius, limit) : codes.map(() => []);
  }

  /**
   * Searches every variant of one image and keeps, per stored id, the closest variant; the
   * `limit` closest ids when given (each variant's own `limit` closest are enough for that:
   * an id cut from every variant's list has `limit` others at least as close).
   */
  searchVariants(algorithm: string, variants: readonly Uint8Array[], radius: number, limit?: number): VariantMatch[] {
    const best = new Map<number, VariantMatch>();
    this.searchBatch(algorithm, variants, radius, limit).forEach((matches, variant) => {
      for (const m of matches) {
        const seen = best.get(m.id);
        if (!seen || m.distance < seen.distance) best.set(m.id, { ...m, variant });
      }
    });
    const out = [...best.values()].sort((a, b) => a.distance - b.distance || a.id - b.id);
    if (limit !== undefined && out.length > limit) out.length = limit;
    return out;
  }

  size(algorithm?: string): number {
    if (algorithm) return this.indexes.get(algorithm)?.size ?? 0;
    let total = 0;
    for (const index of this.indexes.values()) total += index.size;
    return total;
  }

  memoryBytes(): number {
    let total = 0;
    for (const index of this.indexes.values()) total += index.memoryBytes();
    return total;
  }
}
