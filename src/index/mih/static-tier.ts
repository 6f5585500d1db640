import { WORDS_PER_CODE } from '../../hashing/hamming.js';
import { type SortedPairs, offsetsFromSorted, radixSortPairs } from './radix.js';
import { EMPTY, GROWTH } from './slots.js';
import { type SubstringLayout, substringKey } from './substrings.js';

/**
 * The static tier of every substring table, in CSR form: `offsets[j]` (2^b + 1 uint32) and
 * `entries[j]` (slots sorted by bucket), so a probed bucket is one offset pair and one
 * contiguous run: independent accesses the CPU overlaps, where a linked list costs a
 * dependent miss per entry. A delete swaps the bucket's last live entry into the hole and
 * marks the end EMPTY (queries stop at EMPTY): O(bucket) contiguous reads, no list walk.
 * Inserts arrive in bulk (a rebuild, or a merge of the delta tier): sequential passes only.
 */
export class StaticTier {
  offsets: Uint32Array[] = [];
  entries: Uint32Array[] = [];
  /** Codes linked here. */
  live = 0;
  /** EMPTY places left by deletes since the last rebuild or merge. */
  holes = 0;
  private layout: SubstringLayout;

  constructor(layout: SubstringLayout) {
    this.layout = layout;
    this.reset(layout);
  }

  /** Empty tables for `layout`. */
  reset(layout: SubstringLayout): void {
    this.layout = layout;
    this.offsets = Array.from(layout.bits, (bits) => new Uint32Array(2 ** bits + 1));
    this.entries = Array.from(layout.bits, () => new Uint32Array(0));
    this.live = 0;
    this.holes = 0;
  }

  /** Swap-removes a slot from its bucket in every table; the bucket's last live place becomes EMPTY. */
  unlink(words: Uint32Array, slot: number): void {
    const { layout, offsets, entries } = this;
    const o = slot * WORDS_PER_CODE;
    for (let j = 0; j < layout.count; j++) {
      const off = offsets[j]!;
      const ent = entries[j]!;
      const key = substringKey(layout, j, words, o);
      const end = off[key + 1]!;
      let p = off[key]!;
      while (ent[p] !== slot) p++;
      let last = p;
      while (last + 1 < end && ent[last + 1] !== EMPTY) last++;
      ent[p] = ent[last]!;
      ent[last] = EMPTY;
    }
    this.live--;
    this.holes++;
  }

  /**
   * Builds the tables from `slots` (every live code): bulk loads into an empty index and
   * retuning. Per table: keys in slot order (a sequential read of the codes), a radix sort,
   * offsets in one pass. `plannedEntries`: room to keep for merges to come.
   */
  rebuild(words: Uint32Array, slots: Uint32Array, plannedEntries: number): void {
    const { layout } = this;
    const live = slots.length;
    const sortBySubstring = substringSorter(layout, words, slots);
    for (let j = 0; j < layout.count; j++) {
      const buckets = 1 << layout.bits[j]!;
      const sorted = sortBySubstring(j);
      let off = this.offsets[j]!;
      if (off.length !== buckets + 1) off = new Uint32Array(buckets + 1);
      offsetsFromSorted(sorted.keys, live, off, buckets);
      let ent = this.entries[j]!;
      if (ent.length < live) ent = new Uint32Array(entryCapacity(live, plannedEntries));
      ent.set(sorted.values.subarray(0, live));
      this.offsets[j] = off;
      this.entries[j] = ent;
    }
    this.live = live;
    this.holes = 0;
  }

  /**
   * Merges `added` (slots in no table) into the tables, in place. Per table: radix-sort the
   * new entries by bucket; squeeze out the holes deletes left (a forward pass); then, from the
   * last bucket down, shift each run up by the number of new entries below it and splice the
   * new ones in (a backward pass, stopping at the lowest new bucket). Sequential work; no
   * fresh memory unless the entries must grow.
   */
  merge(words: Uint32Array, added: Uint32Array, plannedEntries: number): void {
    const { layout } = this;
    const n = added.length;
    const live = this.live + n;
    const sortBySubstring = substringSorter(layout, words, added);
    for (let j = 0; j < layout.count; j++) {
      const buckets = 1 << layout.bits[j]!;
      const sorted = sortBySubstring(j);
      const newKeys = sorted.keys;
      const newSlots = sorted.values;
      const off = this.offsets[j]!;
      let ent = this.entries[j]!;
      if (this.holes > 0) squeezeHoles(off, ent, buckets);
      if (off[buckets]! !== this.live) throw new Error(`index merge: table ${j} holds ${off[buckets]} entries, expected ${this.live}`);
      if (ent.length < live) {
        const grown = new Uint32Array(entryCapacity(live, plannedEntries));
        grown.set(ent.subarray(0, this.live));
        ent = grown;
        this.entries[j] = ent;
      }
      // Backward, one group of equal new keys k at a time (highest first): the old runs of
      // buckets k+1..prev all move up by the number of new entries with key ≤ k (one
      // memmove), their offsets grow by as much, and bucket k's new entries go right after
      // its old run. Stops at the lowest new key: nothing below it moves.
      let d = n - 1;
      let prev = buckets;
      let end = off[buckets]!;
      while (d >= 0) {
        const k = newKeys[d]!;
        let lo = d;
        while (lo > 0 && newKeys[lo - 1] === k) lo--;
        const shift = d + 1;
        const start = off[k + 1]!;
        if (end > start) ent.copyWithin(start + shift, start, end);
        for (let i = lo; i <= d; i++) ent[start + i] = newSlots[i]!;
        for (let b = k + 1; b <= prev; b++) off[b]! += shift;
        prev = k;
        end = start;
        d = lo - 1;
      }
    }
    this.live = live;
    this.holes = 0;
  }

  get byteLength(): number {
    let bytes = 0;
    for (let j = 0; j < this.layout.count; j++) bytes += this.offsets[j]!.byteLength + this.entries[j]!.byteLength;
    return bytes;
  }
}

/** Room for `live` entries: the planned size if it fits, else 1.5x (amortised growth). */
function entryCapacity(live: number, planned: number): number {
  return live <= planned ? planned : Math.ceil(live * GROWTH);
}

/**
 * Sorts `slots` by one table's substring key at a time (a sequential read of their codes,
 * then a radix sort), reusing the same four buffers for every table.
 */
function substringSorter(layout: SubstringLayout, words: Uint32Array, slots: Uint32Array): (table: number) => SortedPairs {
  const n = slots.length;
  const keys = new Uint32Array(n);
  const values = new Uint32Array(n);
  const scratchKeys = new Uint32Array(n);
  const scratchValues = new Uint32Array(n);
  return (table) => {
    for (let i = 0; i < n; i++) keys[i] = substringKey(layout, table, words, slots[i]! * WORDS_PER_CODE);
    values.set(slots);
    return radixSortPairs(keys, values, n, layout.bits[table]!, scratchKeys, scratchValues);
  };
}

/**
 * Drops the EMPTY places deletes left at bucket ends: live runs between holes move down (one
 * memmove per hole, holes found by the native indexOf), and each bucket's start drops by the
 * holes before it (one tight pass over the offsets). Forward, so nothing unread is overwritten.
 */
function squeezeHoles(off: Uint32Array, ent: Uint32Array, buckets: number): void {
  const total = off[buckets]!;
  const view = ent.subarray(0, total);
  let removed = 0;
  let adjusted = 0;
  let read = 0;
  let write = 0;
  for (let p = view.indexOf(EMPTY); p !== -1; p = view.indexOf(EMPTY, read)) {
    if (p > read && write !== read) ent.copyWithin(write, read, p);
    write += p - read;
    // The hole's bucket: the last one starting at or before p (offsets from `adjusted` on are unchanged).
    let lo = Math.max(adjusted - 1, 0);
    let hi = buckets - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (off[mid]! <= p) lo = mid;
      else hi = mid - 1;
    }
    for (let b = adjusted; b <= lo; b++) off[b]! -= removed;
    if (lo + 1 > adjusted) adjusted = lo + 1;
    removed++;
    read = p + 1;
  }
  if (total > read && write !== read) ent.copyWithin(write, read, total);
  for (let b = adjusted; b <= buckets; b++) off[b]! -= removed;
}
