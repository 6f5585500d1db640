/**
 * The delta tier: recent inserts, O(m) each: per table a small directory (`dirs[j]`, indexed by the low
 * bits of the substring key) of chains through `next`. Entry e (0-based) is slot
 * `slots[e]`; chains hold e + 1 (0 ends a chain); `next` is table-major (table j's links
 * at [j · capacity, (j + 1) · capacity)), so a batch of links streams. The index merges the
 * tier into the static one before `used` passes `capacity`.
 * The directory may be coarser than the key: a chain can hold codes of other buckets,
 * which queries verify like any other candidate.
 */
import { WORDS_PER_CODE } from '../../hashing/hamming.js';
import { EMPTY } from './slots.js';
import { type SubstringLayout, substringKey } from './substrings.js';

const MIN_CAPACITY = 1 << 10;
const MAX_CAPACITY = 1 << 19;
/** A delta of about N/16 codes: merges (O(N) each) then cost O(16) per insert, amortised. */
const INDEX_SIZE_PER_DELTA_ENTRY = 16;

/** Delta capacity for an index laid out for `size` codes: N/16 rounded up to a power of two, within bounds. */
export function defaultDeltaCapacity(size: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < size / INDEX_SIZE_PER_DELTA_ENTRY && capacity < MAX_CAPACITY) capacity *= 2;
  return capacity;
}

export class DeltaTier {
  /** Entries before a merge is due. */
  capacity = 0;
  dirMask = 0;
  dirs: Uint32Array[] = [];
  next: Uint32Array = new Uint32Array(0);
  slots: Uint32Array = new Uint32Array(0);
  /** Entries used since the last merge (removed ones included). */
  used = 0;
  /** Entries still holding a code. */
  live = 0;
  private layout: SubstringLayout;

  constructor(layout: SubstringLayout, capacity: number) {
    this.layout = layout;
    this.reset(layout, capacity);
  }

  /** Empty directories for `layout`, sized for `capacity` entries. */
  reset(layout: SubstringLayout, capacity: number): void {
    this.layout = layout;
    this.capacity = capacity;
    let dirBits = 1;
    while (2 ** dirBits < 2 * capacity && dirBits < layout.bits[0]!) dirBits++;
    this.dirMask = 2 ** dirBits - 1;
    this.dirs = Array.from(layout.bits, () => new Uint32Array(2 ** dirBits));
    this.next = new Uint32Array(capacity * layout.count);
    this.slots = new Uint32Array(capacity);
    this.used = 0;
    this.live = 0;
  }

  get full(): boolean {
    return this.used >= this.capacity;
  }

  get room(): number {
    return this.capacity - this.used;
  }

  link(words: Uint32Array, slot: number): void {
    this.checkRoom(1);
    const { layout, dirs, next, dirMask } = this;
    const m = layout.count;
    const stride = this.capacity;
    const e = this.used++;
    this.slots[e] = slot;
    for (let j = 0; j < m; j++) {
      const dir = dirs[j]!;
      const h = substringKey(layout, j, words, slot * WORDS_PER_CODE) & dirMask;
      next[j * stride + e] = dir[h]!;
      dir[h] = e + 1;
    }
    this.live++;
  }

  /** `link` for many slots, table by table: one directory is hot in cache at a time. */
  linkBatch(words: Uint32Array, slots: Uint32Array): void {
    const n = slots.length;
    this.checkRoom(n);
    const { layout, dirs, next, dirMask } = this;
    const m = layout.count;
    const stride = this.capacity;
    const first = this.used;
    this.slots.set(slots, first);
    for (let j = 0; j < m; j++) {
      const dir = dirs[j]!;
      for (let i = 0, e = first; i < n; i++, e++) {
        const h = substringKey(layout, j, words, slots[i]! * WORDS_PER_CODE) & dirMask;
        next[j * stride + e] = dir[h]!;
        dir[h] = e + 1;
      }
    }
    this.used += n;
    this.live += n;
  }

  unlink(words: Uint32Array, slot: number): void {
    const { layout, dirs, next, slots, dirMask } = this;
    const m = layout.count;
    const stride = this.capacity;
    const o = slot * WORDS_PER_CODE;
    // Find the slot's entry through table 0's chain.
    let e = dirs[0]![substringKey(layout, 0, words, o) & dirMask]!;
    while (slots[e - 1] !== slot) e = next[e - 1]!;
    for (let j = 0; j < m; j++) {
      const dir = dirs[j]!;
      const h = substringKey(layout, j, words, o) & dirMask;
      const after = next[j * stride + e - 1]!;
      if (dir[h] === e) {
        dir[h] = after;
        continue;
      }
      let prev = dir[h]!;
      while (next[j * stride + prev - 1] !== e) prev = next[j * stride + prev - 1]!;
      next[j * stride + prev - 1] = after;
    }
    slots[e - 1] = EMPTY;
    this.live--;
  }

  /** Appends the live entries' slots to `out` from `at`; returns the position after them. */
  collect(out: Uint32Array, at: number): number {
    const { slots, used } = this;
    for (let e = 0; e < used; e++) if (slots[e] !== EMPTY) out[at++] = slots[e]!;
    return at;
  }

  /** Forgets every entry (after a merge moved them to the static tier). */
  clear(): void {
    for (const dir of this.dirs) dir.fill(0);
    this.used = 0;
    this.live = 0;
  }

  get byteLength(): number {
    let bytes = this.next.byteLength + this.slots.byteLength;
    for (const dir of this.dirs) bytes += dir.byteLength;
    return bytes;
  }

  /** The index merges before the tier overflows; a write past the arrays would be lost silently. */
  private checkRoom(n: number): void {
    if (this.used + n > this.capacity) throw new Error(`delta tier: ${n} more entries do not fit (${this.used} of ${this.capacity} used)`);
  }
}
