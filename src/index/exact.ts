import { bytesToHex } from '../hashing/codec.js';
import { checkId, type HashIndex, type Match } from './types.js';

/**
 * The index of an exact digest (a video's MD5): equal values only, whatever the radius.
 * A hash map from value to ids; O(1) per query.
 */
export class ExactIndex implements HashIndex {
  private readonly byValue = new Map<string, Set<number>>();
  private readonly valueOf = new Map<number, string>();

  get size(): number {
    return this.valueOf.size;
  }

  add(id: number, code: Uint8Array): void {
    checkId(id);
    if (this.valueOf.has(id)) throw new Error(`id ${id} is already indexed`);
    const key = bytesToHex(code);
    this.valueOf.set(id, key);
    let ids = this.byValue.get(key);
    if (!ids) this.byValue.set(key, (ids = new Set()));
    ids.add(id);
  }

  remove(id: number): boolean {
    const key = this.valueOf.get(id);
    if (key === undefined) return false;
    this.valueOf.delete(id);
    const ids = this.byValue.get(key)!;
    ids.delete(id);
    if (ids.size === 0) this.byValue.delete(key);
    return true;
  }

  has(id: number): boolean {
    return this.valueOf.has(id);
  }

  search(code: Uint8Array): Match[] {
    const ids = this.byValue.get(bytesToHex(code));
    return ids ? [...ids].sort((a, b) => a - b).map((id) => ({ id, distance: 0 })) : [];
  }

  searchBatch(codes: readonly Uint8Array[]): Match[][] {
    return codes.map((code) => this.search(code));
  }

  memoryBytes(): number {
    return this.valueOf.size * 200;
  }
}
