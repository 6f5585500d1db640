import { WORDS_PER_CODE, scanWords, toWords, writeWords } from '../hashing/hamming.js';
import { HASH_BYTES } from '../hashing/types.js';
import { type HashIndex, type Match, checkId, checkLimit, checkRadius, compareMatches } from './types.js';

const INITIAL_CAPACITY = 1024;

/**
 * A linear scan over packed 32-bit words: 8 XOR+popcount per stored code.
 * Compact (32 bytes per code + id) and obviously correct: it is the test oracle for the
 * multi-index hash and the baseline of its benchmark.
 */
export class LinearScanIndex implements HashIndex {
  private words = new Uint32Array(INITIAL_CAPACITY * WORDS_PER_CODE);
  private ids = new Uint32Array(INITIAL_CAPACITY);
  private readonly slotOf = new Map<number, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(id: number, code: Uint8Array): void {
    checkId(id);
    if (code.length !== HASH_BYTES) throw new RangeError(`code must be ${HASH_BYTES} bytes, got ${code.length}`);
    if (this.slotOf.has(id)) throw new Error(`id ${id} is already indexed`);
    if (this.count === this.ids.length) this.grow();
    writeWords(code, this.words, this.count * WORDS_PER_CODE);
    this.ids[this.count] = id;
    this.slotOf.set(id, this.count);
    this.count++;
  }

  remove(id: number): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    // Keep the array dense: move the last code into the freed slot.
    const last = this.count - 1;
    if (slot !== last) {
      this.words.copyWithin(slot * WORDS_PER_CODE, last * WORDS_PER_CODE, (last + 1) * WORDS_PER_CODE);
      const movedId = this.ids[last]!;
      this.ids[slot] = movedId;
      this.slotOf.set(movedId, slot);
    }
    this.slotOf.delete(id);
    this.count--;
    return true;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  search(code: Uint8Array, radius: number, limit?: number): Match[] {
    checkRadius(radius);
    checkLimit(limit);
    const hits: number[] = [];
    const distances: number[] = [];
    scanWords(this.words, this.count, toWords(code), radius, hits, distances);
    // The oracle stays obvious: every match, sorted, then cut.
    const out = hits.map((i, k) => ({ id: this.ids[i]!, distance: distances[k]! })).sort(compareMatches);
    if (limit !== undefined && out.length > limit) out.length = limit;
    return out;
  }

  searchBatch(codes: readonly Uint8Array[], radius: number, limit?: number): Match[][] {
    return codes.map((c) => this.search(c, radius, limit));
  }

  memoryBytes(): number {
    // Typed arrays plus roughly 40 bytes per Map entry for id -> slot.
    return this.words.byteLength + this.ids.byteLength + this.count * 40;
  }

  private grow(): void {
    const capacity = this.ids.length * 2;
    const words = new Uint32Array(capacity * WORDS_PER_CODE);
    words.set(this.words);
    const ids = new Uint32Array(capacity);
    ids.set(this.ids);
    this.words = words;
    this.ids = ids;
  }
}
