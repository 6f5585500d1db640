import { WORDS_PER_CODE, popcount32, writeWords } from '../hashing/hamming.js';
import { HASH_BYTES } from '../hashing/types.js';
import { IdSlotTable } from './mih/id-table.js';
import { type QueryPlan, planQuery } from './mih/plan.js';
import { MAX_SUBSTRING_BITS, type SubstringLayout, makeLayout, substringKey } from './mih/substrings.js';
import { type HashIndex, type Match, checkId, checkRadius, compareMatches } from './types.js';

/**
 * Exact Hamming range search by multi-index hashing (Norouzi, Punjani & Fleet, 2014).
 *
 * Layout, chosen for query speed at ≤ 120 bytes per code (see bench/results/index.md):
 * - `words`: every code as 8 uint32 words, slot after slot, kept dense by moving the last
 *   code into a removed slot; `ids`: slot → id; `idTable`: id → slot (4-byte open addressing).
 * - m substring tables over disjoint b-bit substrings (b ≈ log2 N + 1, so ~½ code per
 *   bucket, capped at 22 bits so 10M codes stay under 120 bytes each; measured faster
 *   than the paper's b ≈ log2 N because a bucket visit costs a dependent cache miss).
 *   Each table is a bucket directory `heads[j]` (2^b uint32: first slot + 1) and
 *   a singly linked list through `next` (one uint32 per code per table, interleaved so one
 *   insert writes one cache line). Inserting is O(m); removing unlinks from m buckets
 *   (O(m · bucket size)) and leaves no tombstone, so queries never slow down over time.
 *   A linked list costs about the cache misses of a CSR array at ≤ 2 codes per bucket but
 *   needs no delta tier or merge.
 * - Queries probe, per table, every bucket within t_j bits of the query's substring and
 *   credit each code found with a "gain"; only codes whose gain proves they may lie within
 *   the radius have their full distance computed (see mih/plan.ts). Gains live in a small
 *   open-addressing table stamped with a per-query generation (no clearing, no Set).
 * - The layout retunes itself (one relink, amortised like array growth) when the index
 *   outgrows the size it was laid out for; pass `expectedSize` to start at the right size.
 * Results equal a linear scan: the filter only skips codes the pigeonhole bound excludes,
 * and large radii (or skewed buckets, detected while probing) fall back to a linear scan.
 */
export interface MihOptions {
  /** Number of codes expected: picks the substring length. Default 100,000. */
  expectedSize?: number;
  /** Fixed substring length in bits (disables retuning). */
  substringBits?: number;
  /** Number of substring tables (default ⌊256 / substringBits⌋). */
  substrings?: number;
  /** Use the tables whenever a plan is feasible, never the cheaper scan (tests). */
  alwaysProbe?: boolean;
}

const DEFAULT_EXPECTED_SIZE = 100_000;
const MIN_AUTO_BITS = 8;
/** 11 tables × 2^22 heads × 4 bytes = 18 bytes per code at 10M; 2^23 would pass 120 B/code. */
const MAX_AUTO_BITS = 22;
const GROWTH = 1.5;
/** Candidate gains saturate here; also marks a candidate already verified. */
const DONE = 255;

/** Substring length for N codes: about half a code per bucket (see the header). */
export function chooseSubstringBits(size: number): number {
  const bits = Math.round(Math.log2(Math.max(size, 2))) + 1;
  return Math.min(MAX_AUTO_BITS, Math.max(MIN_AUTO_BITS, bits));
}

export class MultiIndexHashIndex implements HashIndex {
  private layout: SubstringLayout;
  private heads: Uint32Array[];
  private next: Uint32Array;
  private words: Uint32Array;
  private ids: Uint32Array;
  private readonly idTable: IdSlotTable;
  private count = 0;
  private capacity: number;
  private layoutSize: number;
  private readonly fixedLayout: boolean;
  private readonly alwaysProbe: boolean;
  private readonly counters = { probed: 0, scanned: 0, abandoned: 0 };
  private plans = new Map<number, QueryPlan>();
  private plannedSize = 0;

  // Per-query scratch, reused so a query allocates only its result.
  private readonly query = new Uint32Array(WORDS_PER_CODE);
  private candSlot = new Uint32Array(1024);
  private candGain = new Uint8Array(1024);
  private candStamp = new Uint32Array(1024);
  private candShift = 22;
  private candUsed = 0;
  private generation = 0;
  private outIds: number[] = [];
  private outDistances: number[] = [];

  constructor(options: MihOptions = {}) {
    const expected = options.expectedSize ?? DEFAULT_EXPECTED_SIZE;
    if (!Number.isInteger(expected) || expected < 0) throw new RangeError(`expectedSize must be a non-negative integer, got ${expected}`);
    const bits = options.substringBits ?? chooseSubstringBits(expected);
    this.layout = makeLayout(options.substrings ?? Math.floor(256 / bits), bits);
    this.fixedLayout = options.substringBits !== undefined || options.substrings !== undefined;
    this.alwaysProbe = options.alwaysProbe ?? false;
    this.layoutSize = Math.max(expected, 1);
    this.capacity = Math.max(expected, 16);
    this.words = new Uint32Array(this.capacity * WORDS_PER_CODE);
    this.ids = new Uint32Array(this.capacity);
    this.next = new Uint32Array(this.capacity * this.layout.count);
    this.heads = this.newHeads();
    this.idTable = new IdSlotTable(expected);
  }

  get size(): number {
    return this.count;
  }

  /** Substring tables and their length in bits (for reports). */
  get shape(): { substrings: number; substringBits: number } {
    return { substrings: this.layout.count, substringBits: this.layout.bits[0]! };
  }

  /** How queries were answered so far: by the tables, by a scan, or abandoned for a scan. */
  get stats(): { probed: number; scanned: number; abandoned: number } {
    return { ...this.counters };
  }

  add(id: number, code: Uint8Array): void {
    checkId(id);
    checkCode(code);
    if (this.idTable.get(id, this.ids) >= 0) throw new Error(`id ${id} is already indexed`);
    if (this.count === this.capacity) this.grow(this.count + 1);
    const slot = this.count;
    writeWords(code, this.words, slot * WORDS_PER_CODE);
    this.ids[slot] = id;
    this.idTable.insert(id, slot, this.ids);
    this.link(slot);
    this.count++;
    this.maybeRetune();
  }

  /**
   * Adds many codes at once: `words` holds 8 big-endian uint32 words per code (the layout
   * of `writeWords`). Start-up loading uses this; it links table by table, which keeps
   * each directory hot in cache. Throws, adding nothing, if an id is invalid or present.
   */
  addPacked(ids: Uint32Array, words: Uint32Array): void {
    const n = ids.length;
    if (words.length !== n * WORDS_PER_CODE) throw new RangeError(`words must hold ${n * WORDS_PER_CODE} values, got ${words.length}`);
    if (this.count + n > this.capacity) this.grow(this.count + n);
    const first = this.count;
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (this.idTable.get(id, this.ids) >= 0) {
        for (let k = i - 1; k >= 0; k--) this.idTable.delete(ids[k]!, this.ids);
        throw new Error(`id ${id} is already indexed`);
      }
      this.ids[first + i] = id;
      this.idTable.insert(id, first + i, this.ids);
    }
    this.words.set(words, first * WORDS_PER_CODE);
    this.count += n;
    if (!this.maybeRetune()) this.linkRange(first, this.count);
  }

  remove(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return false;
    const slot = this.idTable.get(id, this.ids);
    if (slot < 0) return false;
    this.unlink(slot);
    this.idTable.delete(id, this.ids);
    const last = this.count - 1;
    if (slot !== last) {
      // Keep slots dense: the last code takes the freed slot in every table and array.
      this.repoint(last, slot);
      this.words.copyWithin(slot * WORDS_PER_CODE, last * WORDS_PER_CODE, (last + 1) * WORDS_PER_CODE);
      const movedId = this.ids[last]!;
      this.ids[slot] = movedId;
      this.idTable.move(movedId, slot, this.ids);
    }
    this.count--;
    return true;
  }

  has(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return false;
    return this.idTable.get(id, this.ids) >= 0;
  }

  search(code: Uint8Array, radius: number): Match[] {
    checkRadius(radius);
    checkCode(code);
    return this.searchOne(code, radius);
  }

  /** Queries share the plan and scratch buffers; each query allocates only its result. */
  searchBatch(codes: readonly Uint8Array[], radius: number): Match[][] {
    checkRadius(radius);
    for (const code of codes) checkCode(code);
    const out: Match[][] = new Array(codes.length);
    for (let i = 0; i < codes.length; i++) out[i] = this.searchOne(codes[i]!, radius);
    return out;
  }

  memoryBytes(): number {
    let bytes = this.words.byteLength + this.ids.byteLength + this.next.byteLength + this.idTable.byteLength;
    for (const head of this.heads) bytes += head.byteLength;
    return bytes + this.candSlot.byteLength + this.candGain.byteLength + this.candStamp.byteLength;
  }

  private searchOne(code: Uint8Array, radius: number): Match[] {
    writeWords(code, this.query, 0);
    this.outIds.length = 0;
    this.outDistances.length = 0;
    const plan = this.planFor(radius);
    if (plan.linear) {
      this.counters.scanned++;
      this.scan(radius);
    } else if (this.probe(plan, radius)) {
      this.counters.probed++;
    } else {
      this.counters.abandoned++;
      this.scan(radius);
    }
    return this.results();
  }

  /** Probes the substring tables; returns false if it gave up for a linear scan. */
  private probe(plan: QueryPlan, radius: number): boolean {
    const { layout, heads, next, words, query } = this;
    const m = layout.count;
    const need = plan.need;
    const budget = plan.touchBudget;
    const q0 = query[0]!, q1 = query[1]!, q2 = query[2]!, q3 = query[3]!;
    const q4 = query[4]!, q5 = query[5]!, q6 = query[6]!, q7 = query[7]!;
    this.beginCandidates(plan.expectedTouches);
    let touches = 0;
    for (let j = 0; j < m; j++) {
      const found = plan.masks[j];
      if (!found) continue;
      const { masks, weights } = found;
      const head = heads[j]!;
      const key = substringKey(layout, j, query, 0);
      const gainBase = plan.maxFlip[j]! + 1;
      for (let k = 0; k < masks.length; k++) {
        let entry = head[key ^ masks[k]!]!;
        if (entry === 0) continue;
        const gain = gainBase - weights[k]!;
        do {
          const slot = entry - 1;
          touches++;
          if (this.credit(slot, gain, need)) {
            const o = slot * WORDS_PER_CODE;
            const d =
              popcount32(words[o]! ^ q0) +
              popcount32(words[o + 1]! ^ q1) +
              popcount32(words[o + 2]! ^ q2) +
              popcount32(words[o + 3]! ^ q3) +
              popcount32(words[o + 4]! ^ q4) +
              popcount32(words[o + 5]! ^ q5) +
              popcount32(words[o + 6]! ^ q6) +
              popcount32(words[o + 7]! ^ q7);
            if (d <= radius) {
              this.outIds.push(this.ids[slot]!);
              this.outDistances.push(d);
            }
          }
          entry = next[slot * m + j]!;
        } while (entry !== 0);
      }
      if (touches > budget) {
        // Skewed buckets (dense clusters): a scan is now cheaper than finishing.
        this.outIds.length = 0;
        this.outDistances.length = 0;
        return false;
      }
    }
    return true;
  }

  private scan(radius: number): void {
    const { words, query, ids, count } = this;
    const q0 = query[0]!, q1 = query[1]!, q2 = query[2]!, q3 = query[3]!;
    const q4 = query[4]!, q5 = query[5]!, q6 = query[6]!, q7 = query[7]!;
    for (let slot = 0, o = 0; slot < count; slot++, o += WORDS_PER_CODE) {
      const d =
        popcount32(words[o]! ^ q0) +
        popcount32(words[o + 1]! ^ q1) +
        popcount32(words[o + 2]! ^ q2) +
        popcount32(words[o + 3]! ^ q3) +
        popcount32(words[o + 4]! ^ q4) +
        popcount32(words[o + 5]! ^ q5) +
        popcount32(words[o + 6]! ^ q6) +
        popcount32(words[o + 7]! ^ q7);
      if (d <= radius) {
        this.outIds.push(ids[slot]!);
        this.outDistances.push(d);
      }
    }
  }

  private results(): Match[] {
    const n = this.outIds.length;
    const out: Match[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { id: this.outIds[i]!, distance: this.outDistances[i]! };
    return n > 1 ? out.sort(compareMatches) : out;
  }

  private planFor(radius: number): QueryPlan {
    // Costs depend on N: re-plan when the index has changed size by more than 2x.
    if (this.count > 2 * this.plannedSize || this.count < this.plannedSize / 2) {
      this.plans.clear();
      this.plannedSize = Math.max(this.count, 1);
    }
    let plan = this.plans.get(radius);
    if (!plan) {
      plan = planQuery(this.layout, this.plannedSize, radius, this.alwaysProbe);
      this.plans.set(radius, plan);
    }
    return plan;
  }

  // --- candidate gains: open addressing keyed by slot, valid when stamp === generation ---

  private beginCandidates(expected: number): void {
    let size = this.candSlot.length;
    while (size < 2 * expected && size < 1 << 24) size *= 2;
    if (size !== this.candSlot.length) this.resizeCandidates(size, false);
    this.candUsed = 0;
    this.generation = (this.generation + 1) >>> 0;
    if (this.generation === 0) {
      this.candStamp.fill(0);
      this.generation = 1;
    }
  }

  /** Adds `gain` to a candidate; true exactly once, when its total first reaches `need`. */
  private credit(slot: number, gain: number, need: number): boolean {
    const stamps = this.candStamp;
    const slots = this.candSlot;
    const mask = slots.length - 1;
    const generation = this.generation;
    for (let h = Math.imul(slot, 0x9e3779b1) >>> this.candShift; ; h = (h + 1) & mask) {
      if (stamps[h] !== generation) {
        stamps[h] = generation;
        slots[h] = slot;
        if (++this.candUsed * 2 > slots.length) {
          this.candGain[h] = gain >= need ? DONE : gain;
          this.resizeCandidates(slots.length * 2, true);
        } else this.candGain[h] = gain >= need ? DONE : gain;
        return gain >= need;
      }
      if (slots[h] === slot) {
        const before = this.candGain[h]!;
        if (before === DONE) return false;
        const total = before + gain;
        this.candGain[h] = total >= need ? DONE : total;
        return total >= need;
      }
    }
  }

  private resizeCandidates(size: number, keep: boolean): void {
    const { candSlot, candGain, candStamp, generation } = this;
    this.candSlot = new Uint32Array(size);
    this.candGain = new Uint8Array(size);
    this.candStamp = new Uint32Array(size);
    this.candShift = 32 - Math.log2(size);
    if (!keep) return;
    const mask = size - 1;
    for (let i = 0; i < candSlot.length; i++) {
      if (candStamp[i] !== generation) continue;
      let h = Math.imul(candSlot[i]!, 0x9e3779b1) >>> this.candShift;
      while (this.candStamp[h] === generation) h = (h + 1) & mask;
      this.candStamp[h] = generation;
      this.candSlot[h] = candSlot[i]!;
      this.candGain[h] = candGain[i]!;
    }
  }

  // --- substring tables ---

  private newHeads(): Uint32Array[] {
    return Array.from(this.layout.bits, (bits) => new Uint32Array(2 ** bits));
  }

  private link(slot: number): void {
    const { layout, heads, next, words } = this;
    const m = layout.count;
    for (let j = 0; j < m; j++) {
      const head = heads[j]!;
      const key = substringKey(layout, j, words, slot * WORDS_PER_CODE);
      next[slot * m + j] = head[key]!;
      head[key] = slot + 1;
    }
  }

  /** Links slots [from, to) table by table (bulk loading and relayout). */
  private linkRange(from: number, to: number): void {
    const { layout, heads, next, words } = this;
    const m = layout.count;
    for (let j = 0; j < m; j++) {
      const head = heads[j]!;
      for (let slot = from; slot < to; slot++) {
        const key = substringKey(layout, j, words, slot * WORDS_PER_CODE);
        next[slot * m + j] = head[key]!;
        head[key] = slot + 1;
      }
    }
  }

  private unlink(slot: number): void {
    const { layout, heads, next, words } = this;
    const m = layout.count;
    for (let j = 0; j < m; j++) {
      const head = heads[j]!;
      const key = substringKey(layout, j, words, slot * WORDS_PER_CODE);
      const after = next[slot * m + j]!;
      let entry = head[key]!;
      if (entry === slot + 1) {
        head[key] = after;
        continue;
      }
      while (next[(entry - 1) * m + j] !== slot + 1) entry = next[(entry - 1) * m + j]!;
      next[(entry - 1) * m + j] = after;
    }
  }

  /** Makes every list that reaches slot `from` reach slot `to` instead (same code). */
  private repoint(from: number, to: number): void {
    const { layout, heads, next, words } = this;
    const m = layout.count;
    for (let j = 0; j < m; j++) {
      const head = heads[j]!;
      const key = substringKey(layout, j, words, from * WORDS_PER_CODE);
      next[to * m + j] = next[from * m + j]!;
      let entry = head[key]!;
      if (entry === from + 1) {
        head[key] = to + 1;
        continue;
      }
      while (next[(entry - 1) * m + j] !== from + 1) entry = next[(entry - 1) * m + j]!;
      next[(entry - 1) * m + j] = to + 1;
    }
  }

  private grow(minimum: number): void {
    const capacity = Math.max(minimum, Math.ceil(this.capacity * GROWTH));
    const m = this.layout.count;
    const words = new Uint32Array(capacity * WORDS_PER_CODE);
    words.set(this.words.subarray(0, this.count * WORDS_PER_CODE));
    const ids = new Uint32Array(capacity);
    ids.set(this.ids.subarray(0, this.count));
    const next = new Uint32Array(capacity * m);
    next.set(this.next.subarray(0, this.count * m));
    this.words = words;
    this.ids = ids;
    this.next = next;
    this.capacity = capacity;
  }

  /** Re-lays the tables when N has doubled past the layout's size; true if it did. */
  private maybeRetune(): boolean {
    if (this.fixedLayout || this.count <= 2 * this.layoutSize) return false;
    this.layoutSize = this.count;
    const bits = chooseSubstringBits(this.count);
    if (bits === this.layout.bits[0]) return false;
    this.layout = makeLayout(Math.floor(256 / bits), Math.min(bits, MAX_SUBSTRING_BITS));
    this.heads = this.newHeads();
    this.next = new Uint32Array(this.capacity * this.layout.count);
    this.plans.clear();
    this.linkRange(0, this.count);
    return true;
  }
}

function checkCode(code: Uint8Array): void {
  if (code.length !== HASH_BYTES) throw new RangeError(`code must be ${HASH_BYTES} bytes, got ${code.length}`);
}
