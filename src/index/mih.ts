import { WORDS_PER_CODE, hammingWords, popcount32, writeWords } from '../hashing/hamming.js';
import { HASH_BYTES } from '../hashing/types.js';
import { IdSlotTable } from './mih/id-table.js';
import { type QueryPlan, planQuery } from './mih/plan.js';
import { type SortedPairs, offsetsFromSorted, radixSortPairs } from './mih/radix.js';
import { MAX_SUBSTRING_BITS, type SubstringLayout, makeLayout, substringKey } from './mih/substrings.js';
import { type HashIndex, type Match, checkId, checkRadius, compareMatches } from './types.js';

/**
 * Exact Hamming range search by multi-index hashing (Norouzi, Punjani & Fleet, 2014).
 *
 * Layout, chosen for query speed at ≤ 120 bytes per code (see bench/results/index.md):
 * - `words`: every code as 8 uint32 words in a slot; `ids`: slot → id; `idTable`: id → slot
 *   (4-byte open addressing); `state`: free / in the static tier / in the delta tier.
 *   Removed slots go on a free list (chained through `ids`) and are reused by inserts, so a
 *   code never moves and no table entry is ever rewritten because another code left.
 * - m substring tables over disjoint b-bit substrings (b ≈ log2 N + 1, capped at 22 bits
 *   so 10M codes stay under 120 bytes each). Each table has two tiers:
 *   - static (CSR): `offsets[j]` (2^b + 1 uint32) and `entries[j]` (slots sorted by bucket),
 *     so a probed bucket is one offset pair and one contiguous run: independent accesses
 *     the CPU overlaps, where a linked list costs a dependent miss per entry.
 *     A delete swaps the bucket's last live entry into the hole and marks the end EMPTY
 *     (queries stop at EMPTY): O(bucket) contiguous reads, no list walk, no tombstone search.
 *   - delta: recent inserts, in a small directory per table (`dir[j]`, indexed by the low
 *     bits of the key) with chains through `deltaNext`; O(m) per insert. When the delta is
 *     full it is merged into the static tier in one sequential pass per table (sort the
 *     delta by key, copy the old runs with the new entries spliced in): O(N·m) sequential
 *     work every Θ(N/16) inserts, amortised like array growth, never on the query path.
 * - Queries probe, per table, every bucket within t_j bits of the query's substring (see
 *   mih/plan.ts). With the minimum S = r + 1 every candidate's code is read at once (and a
 *   match found in several tables reported once); with slack, candidates earn gains in a
 *   small stamped open-addressing table and only those proven possible are read.
 * - The layout retunes itself (one rebuild, amortised like array growth) when the index
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
  /** Delta tier capacity before a merge (default: N/16, 1,024 to 524,288). */
  deltaCapacity?: number;
  /** Force the planner's slack (calibration and tests). */
  slack?: number;
  /** Bulk batches of at least this many codes are parked while the index fills (default 1,024). */
  parkMinimum?: number;
}

const DEFAULT_EXPECTED_SIZE = 100_000;
const MIN_AUTO_BITS = 8;
/** 11 tables × 2^22 offsets × 4 bytes = 18 bytes per code at 10M; 2^23 would pass 120 B/code. */
const MAX_AUTO_BITS = 22;
const GROWTH = 1.5;
/** Candidate gains saturate here; also marks a candidate already verified. */
const DONE = 255;
/** End of the live entries of a static bucket (left by deletes until the next merge). */
const EMPTY = 0xffffffff;
const MIN_DELTA = 1 << 10;
const MAX_DELTA = 1 << 19;
const FREE = 0;
const STATIC = 1;
const DELTA = 2;
/** Allocated, not yet linked into a tier (inside add / addPacked). */
const PENDING = 3;
/** Bulk batches at least this large are parked (not linked) while the index fills. */
const PENDING_MIN_BATCH = 1024;

/** Substring length for N codes: about half a code per bucket (see the header). */
export function chooseSubstringBits(size: number): number {
  const bits = Math.round(Math.log2(Math.max(size, 2))) + 1;
  return Math.min(MAX_AUTO_BITS, Math.max(MIN_AUTO_BITS, bits));
}

function defaultDeltaCapacity(size: number): number {
  let cap = MIN_DELTA;
  while (cap < size / 16 && cap < MAX_DELTA) cap *= 2;
  return cap;
}

export class MultiIndexHashIndex implements HashIndex {
  private layout: SubstringLayout;
  private words: Uint32Array;
  private ids: Uint32Array;
  private state: Uint8Array;
  private readonly idTable: IdSlotTable;
  /**
   * Every id present was added either by an ascending bulk batch (then it is ≤ bulkTop) or
   * otherwise (then it is ≥ otherMin): an ascending batch above bulkTop need only look up its
   * ids ≥ otherMin. Both bounds only move outwards (removals never matter: absent is absent).
   */
  private bulkTop = -1;
  private otherMin = Infinity;
  private count = 0;
  /** Slots ever used: [0, top) holds live and free slots. */
  private top = 0;
  /** First free slot + 1 (0: none); the free list is chained through `ids`. */
  private freeHead = 0;
  private capacity: number;
  private layoutSize: number;
  private readonly fixedLayout: boolean;
  private readonly alwaysProbe: boolean;
  private readonly fixedDelta: number | undefined;
  private readonly slack: number | undefined;
  private readonly parkMinimum: number;
  private readonly counters = { probed: 0, scanned: 0, abandoned: 0, merges: 0 };
  private plans = new Map<number, QueryPlan>();
  private plannedSize = 0;

  // Static tier.
  private offsets: Uint32Array[] = [];
  private entries: Uint32Array[] = [];
  private staticLive = 0;
  private staticHoles = 0;
  // Delta tier: entry e (0-based) is slot deltaSlot[e]; chains hold e + 1.
  private deltaCap = 0;
  private dirMask = 0;
  private dirs: Uint32Array[] = [];
  private deltaNext = new Uint32Array(0);
  private deltaSlot = new Uint32Array(0);
  private deltaUsed = 0;
  private deltaLive = 0;
  // Pending tier: bulk-loaded slots not yet in any table (start-up load), scanned by queries.
  private pending: Uint32Array = new Uint32Array(0);
  private pendingCount = 0;
  private warmSink = 0;

  // Per-query scratch, reused so a query allocates only its result.
  private readonly query = new Uint32Array(WORDS_PER_CODE);
  /** Candidate table: per entry [generation << 8 | gain, slot], one cache line per probe. */
  private cand = new Uint32Array(2 * 1024);
  private candShift = 22;
  private candUsed = 0;
  private generation = 0;
  private starts = new Uint32Array(256);
  private ends = new Uint32Array(256);
  private kept: Uint32Array = new Uint32Array(4096);
  private outSlots: number[] = [];
  private outDistances: number[] = [];

  constructor(options: MihOptions = {}) {
    const expected = options.expectedSize ?? DEFAULT_EXPECTED_SIZE;
    if (!Number.isInteger(expected) || expected < 0) throw new RangeError(`expectedSize must be a non-negative integer, got ${expected}`);
    if (options.deltaCapacity !== undefined && !(Number.isInteger(options.deltaCapacity) && options.deltaCapacity >= 1)) {
      throw new RangeError(`deltaCapacity must be a positive integer, got ${options.deltaCapacity}`);
    }
    const bits = options.substringBits ?? chooseSubstringBits(expected);
    this.layout = makeLayout(options.substrings ?? Math.floor(256 / bits), bits);
    this.fixedLayout = options.substringBits !== undefined || options.substrings !== undefined;
    this.alwaysProbe = options.alwaysProbe ?? false;
    this.fixedDelta = options.deltaCapacity;
    this.slack = options.slack;
    this.parkMinimum = options.parkMinimum ?? PENDING_MIN_BATCH;
    this.layoutSize = Math.max(expected, 1);
    this.capacity = Math.max(expected, 16);
    this.words = new Uint32Array(this.capacity * WORDS_PER_CODE);
    this.ids = new Uint32Array(this.capacity);
    this.state = new Uint8Array(this.capacity);
    this.idTable = new IdSlotTable(expected);
    this.resetTables();
  }

  get size(): number {
    return this.count;
  }

  /** Substring tables and their length in bits (for reports). */
  get shape(): { substrings: number; substringBits: number } {
    return { substrings: this.layout.count, substringBits: this.layout.bits[0]! };
  }

  /** How queries were answered so far (tables, scan, abandoned for a scan) and delta merges. */
  get stats(): { probed: number; scanned: number; abandoned: number } {
    const { probed, scanned, abandoned } = this.counters;
    return { probed, scanned, abandoned };
  }

  /** Tier sizes and merges so far (benchmarks, tests). */
  get tiers(): { staticLive: number; staticHoles: number; deltaLive: number; pending: number; deltaCapacity: number; merges: number } {
    const { staticLive, staticHoles, deltaLive, pendingCount: pending, deltaCap: deltaCapacity } = this;
    return { staticLive, staticHoles, deltaLive, pending, deltaCapacity, merges: this.counters.merges };
  }

  add(id: number, code: Uint8Array): void {
    checkId(id);
    checkCode(code);
    if (this.idTable.get(id, this.ids) >= 0) throw new Error(`id ${id} is already indexed`);
    // Fold first: a rebuild takes every allocated slot, and this one goes to the delta.
    if (this.deltaUsed >= this.deltaCap) this.fold();
    const slot = this.allocSlot();
    writeWords(code, this.words, slot * WORDS_PER_CODE);
    this.ids[slot] = id;
    this.idTable.insert(id, slot, this.ids);
    if (id < this.otherMin) this.otherMin = id;
    this.count++;
    if (this.maybeRetune()) return;
    this.linkDelta(slot);
  }

  /**
   * Adds many codes at once: `words` holds 8 big-endian uint32 words per code (the layout
   * of `writeWords`). Start-up loading uses this: a batch goes to the delta tier if it fits,
   * else straight into the static tier (one merge, or a rebuild when it is most of the index).
   * Throws, adding nothing, if an id is invalid or present (or repeated in the batch).
   */
  addPacked(ids: Uint32Array, words: Uint32Array): void;
  /** With `skipPresent`, ids already indexed are skipped instead (returns how many were added). */
  addPacked(ids: Uint32Array, words: Uint32Array, options: { skipPresent: true }): number;
  addPacked(ids: Uint32Array, words: Uint32Array, options?: { skipPresent?: boolean }): number | void {
    const skip = options?.skipPresent ?? false;
    const total = ids.length;
    if (words.length !== total * WORDS_PER_CODE) throw new RangeError(`words must hold ${total * WORDS_PER_CODE} values, got ${words.length}`);
    if (total === 0) return skip ? 0 : undefined;
    if (this.top + total > this.capacity && this.freeHead === 0) this.grow(this.top + total);
    const all = new Uint32Array(total);
    if (total >= 64) this.warmSink ^= this.idTable.warm(ids);
    // Ids strictly ascending and above every id added this way before (the store's pages, in
    // id order): only ids ≥ otherMin can be present, so the rest skip the id-table lookup
    // (its probe chain reads ids[] at random slots, a cache miss per step).
    const ascending = this.ascendingAbove(ids, this.bulkTop);
    const probeFrom = ascending ? this.otherMin : 0;
    let n = 0;
    for (let i = 0; i < total; i++) {
      const id = ids[i]!;
      if (id >= probeFrom && this.idTable.get(id, this.ids) >= 0) {
        if (skip) continue;
        for (let k = n - 1; k >= 0; k--) this.releaseSlot(all[k]!, this.ids[all[k]!]!);
        throw new Error(`id ${id} is already indexed`);
      }
      const slot = this.allocSlot();
      all[n++] = slot;
      this.ids[slot] = id;
      this.idTable.insert(id, slot, this.ids);
      const target = this.words;
      for (let k = 0, from = i * WORDS_PER_CODE, to = slot * WORDS_PER_CODE; k < WORDS_PER_CODE; k++) target[to + k] = words[from + k]!;
    }
    if (ascending) this.bulkTop = ids[total - 1]!;
    else for (let k = 0; k < n; k++) this.otherMin = Math.min(this.otherMin, this.ids[all[k]!]!);
    if (n > 0) this.linkPacked(n === total ? all : all.subarray(0, n));
    return skip ? n : undefined;
  }

  /** True if `ids` is strictly ascending and starts above `floor`. */
  private ascendingAbove(ids: Uint32Array, floor: number): boolean {
    let previous = floor;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id <= previous) return false;
      previous = id;
    }
    return true;
  }

  /** Puts freshly allocated slots into a tier (parked, delta or static). */
  private linkPacked(slots: Uint32Array): void {
    const n = slots.length;
    this.count += n;
    if (this.maybeRetune()) return;
    if (this.count < this.layoutSize && n >= this.parkMinimum) {
      // Filling towards the laid-out size (start-up load): park the batch; fold when the parked
      // codes reach 3x the static tier (sizes grow 4x per fold: each code is sorted once, and
      // the static tier is rewritten O(1) times in all), or the laid-out size is reached.
      this.park(slots);
      if (this.pendingCount >= Math.max(this.deltaCap, 3 * this.staticLive)) this.fold();
      return;
    }
    if (this.pendingCount > 0) {
      this.park(slots);
      this.fold();
      return;
    }
    const room = this.deltaCap - this.deltaUsed;
    if (this.staticLive === 0 && n > room) this.rebuild();
    else if (n <= room) this.linkDeltaBatch(slots);
    else if (n >= this.count / 2) this.rebuild();
    else this.merge(slots);
  }

  remove(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return false;
    const slot = this.idTable.get(id, this.ids);
    if (slot < 0) return false;
    const state = this.state[slot];
    if (state === STATIC) this.unlinkStatic(slot);
    else if (state === DELTA) this.unlinkDelta(slot);
    else this.unpark(slot);
    this.releaseSlot(slot, id);
    this.count--;
    // Holes only cost memory (queries stop at the first one in a bucket): compact now and then.
    if (this.staticHoles > Math.max(this.deltaCap, this.staticLive / 4)) this.fold();
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
    let bytes = this.words.byteLength + this.ids.byteLength + this.state.byteLength + this.idTable.byteLength;
    for (let j = 0; j < this.layout.count; j++) bytes += this.offsets[j]!.byteLength + this.entries[j]!.byteLength + this.dirs[j]!.byteLength;
    bytes += this.deltaNext.byteLength + this.deltaSlot.byteLength + this.pending.byteLength;
    return bytes + this.cand.byteLength;
  }

  /** Merges the delta tier into the static tier now (benchmarks; otherwise automatic). */
  compact(): void {
    if (this.deltaLive > 0 || this.staticHoles > 0 || this.pendingCount > 0) this.fold();
  }

  private searchOne(code: Uint8Array, radius: number): Match[] {
    writeWords(code, this.query, 0);
    this.outSlots.length = 0;
    this.outDistances.length = 0;
    const plan = this.planFor(radius);
    if (plan.linear) {
      this.counters.scanned++;
      this.scan(radius);
    } else if (this.probe(plan, radius)) {
      this.counters.probed++;
      if (this.pendingCount > 0) this.scanPending(radius);
    } else {
      this.counters.abandoned++;
      this.outSlots.length = 0;
      this.outDistances.length = 0;
      this.scan(radius);
    }
    return this.results();
  }

  /**
   * Probes the tables in three phases, each a tight loop of independent loads so the CPU
   * overlaps the cache and TLB misses (a bucket's offsets, its entries, then the codes):
   * 1. per table, the offset pair of every probed bucket;
   * 2. the buckets' entries: each candidate earns its gain; those reaching `need` (all of
   *    them when need = 1) are kept, once each;
   * 3. the kept candidates' codes are read and compared with the radius.
   * Returns false if skewed buckets made a linear scan cheaper (the caller scans).
   */
  private probe(plan: QueryPlan, radius: number): boolean {
    const { layout, offsets, entries, dirs, deltaNext, deltaSlot, dirMask, query } = this;
    const m = layout.count;
    const dcap = deltaSlot.length;
    const need = plan.need;
    const budget = plan.touchBudget;
    const withDelta = this.deltaLive > 0;
    this.beginCandidates(need === 1 ? 16 : plan.expectedTouches);
    let kept = this.kept;
    let nKept = 0;
    let touches = 0;
    for (let j = 0; j < m; j++) {
      const found = plan.masks[j];
      if (!found) continue;
      const { masks, weights } = found;
      const count = masks.length;
      if (this.starts.length < count) {
        this.starts = new Uint32Array(count);
        this.ends = new Uint32Array(count);
      }
      const { starts, ends } = this;
      const off = offsets[j]!;
      const ent = entries[j]!;
      const key = substringKey(layout, j, query, 0);
      for (let k = 0; k < count; k++) {
        const bucket = key ^ masks[k]!;
        starts[k] = off[bucket]!;
        ends[k] = off[bucket + 1]!;
      }
      const gainBase = plan.maxFlip[j]! + 1;
      for (let k = 0; k < count; k++) {
        const end = ends[k]!;
        const start = starts[k]!;
        if (start === end) continue;
        touches += end - start;
        if (nKept + end - start > kept.length) kept = this.growKept(nKept + end - start);
        if (need === 1) {
          for (let p = start; p < end; p++) {
            const slot = ent[p]!;
            if (slot === EMPTY) break;
            kept[nKept++] = slot;
          }
        } else {
          const gain = gainBase - weights[k]!;
          for (let p = start; p < end; p++) {
            const slot = ent[p]!;
            if (slot === EMPTY) break;
            if (this.credit(slot, gain, need)) kept[nKept++] = slot;
          }
        }
      }
      if (withDelta) {
        // The directory may be coarser than the key: a chain can hold codes of other buckets.
        // Over-crediting them only costs a verification, never a miss.
        const dir = dirs[j]!;
        const base = j * dcap - 1;
        for (let k = 0; k < count; k++) {
          const gain = gainBase - weights[k]!;
          for (let e = dir[(key ^ masks[k]!) & dirMask]!; e !== 0; e = deltaNext[base + e]!) {
            touches++;
            const slot = deltaSlot[e - 1]!;
            if (need === 1 || this.credit(slot, gain, need)) {
              if (nKept === kept.length) kept = this.growKept(nKept + 1);
              kept[nKept++] = slot;
            }
          }
        }
      }
      // Skewed buckets (dense clusters): a scan is now cheaper than finishing.
      if (touches > budget) return false;
    }
    const { words } = this;
    const q0 = query[0]!, q1 = query[1]!, q2 = query[2]!, q3 = query[3]!;
    const q4 = query[4]!, q5 = query[5]!, q6 = query[6]!, q7 = query[7]!;
    for (let i = 0; i < nKept; i++) {
      const slot = kept[i]!;
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
      // need = 1 keeps every touch, so a code met in several tables is reported once.
      if (d <= radius && (need > 1 || this.credit(slot, 1, 1))) {
        this.outSlots.push(slot);
        this.outDistances.push(d);
      }
    }
    return true;
  }

  private growKept(minimum: number): Uint32Array {
    let size = this.kept.length * 2;
    while (size < minimum) size *= 2;
    const kept = new Uint32Array(size);
    kept.set(this.kept);
    this.kept = kept;
    return kept;
  }

  /** Codes parked by a bulk load in progress: compared one by one (they are in no table yet). */
  private scanPending(radius: number): void {
    const { words, query, pending, pendingCount } = this;
    for (let i = 0; i < pendingCount; i++) {
      const slot = pending[i]!;
      const d = hammingWords(words, slot, query);
      if (d <= radius) {
        this.outSlots.push(slot);
        this.outDistances.push(d);
      }
    }
  }

  private park(slots: Uint32Array): void {
    const n = slots.length;
    if (this.pendingCount + n > this.pending.length) {
      const grown = new Uint32Array(Math.max(this.pendingCount + n, Math.ceil(this.pending.length * GROWTH)));
      grown.set(this.pending.subarray(0, this.pendingCount));
      this.pending = grown;
    }
    this.pending.set(slots, this.pendingCount);
    this.pendingCount += n;
  }

  private unpark(slot: number): void {
    const { pending } = this;
    let i = 0;
    while (pending[i] !== slot) i++;
    pending[i] = pending[--this.pendingCount]!;
  }

  /** Folds the delta and pending tiers (and drops static holes) into the static tier. */
  private fold(): void {
    if (this.staticLive === 0) this.rebuild();
    else this.merge(null);
  }

  private scan(radius: number): void {
    const { words, query, state, top } = this;
    const q0 = query[0]!, q1 = query[1]!, q2 = query[2]!, q3 = query[3]!;
    const q4 = query[4]!, q5 = query[5]!, q6 = query[6]!, q7 = query[7]!;
    for (let slot = 0, o = 0; slot < top; slot++, o += WORDS_PER_CODE) {
      const d =
        popcount32(words[o]! ^ q0) +
        popcount32(words[o + 1]! ^ q1) +
        popcount32(words[o + 2]! ^ q2) +
        popcount32(words[o + 3]! ^ q3) +
        popcount32(words[o + 4]! ^ q4) +
        popcount32(words[o + 5]! ^ q5) +
        popcount32(words[o + 6]! ^ q6) +
        popcount32(words[o + 7]! ^ q7);
      if (d <= radius && state[slot] !== FREE) {
        this.outSlots.push(slot);
        this.outDistances.push(d);
      }
    }
  }

  private results(): Match[] {
    const n = this.outSlots.length;
    const out: Match[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { id: this.ids[this.outSlots[i]!]!, distance: this.outDistances[i]! };
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
      plan = planQuery(this.layout, this.plannedSize, radius, { alwaysProbe: this.alwaysProbe, slack: this.slack });
      this.plans.set(radius, plan);
    }
    return plan;
  }

  // --- candidate gains: open addressing keyed by slot, valid when the entry's generation is current ---

  private beginCandidates(expected: number): void {
    let size = this.cand.length >> 1;
    while (size < 2 * expected && size < 1 << 24) size *= 2;
    if (size !== this.cand.length >> 1) this.resizeCandidates(size, false);
    this.candUsed = 0;
    this.generation = (this.generation + 1) & 0xffffff;
    if (this.generation === 0) {
      this.cand.fill(0);
      this.generation = 1;
    }
  }

  /** Adds `gain` to a candidate; true exactly once, when its total first reaches `need`. */
  private credit(slot: number, gain: number, need: number): boolean {
    const cand = this.cand;
    const mask = (cand.length >> 1) - 1;
    const generation = this.generation;
    for (let h = Math.imul(slot, 0x9e3779b1) >>> this.candShift; ; h = (h + 1) & mask) {
      const head = cand[2 * h]!;
      if (head >>> 8 !== generation) {
        cand[2 * h] = ((generation << 8) | (gain >= need ? DONE : gain)) >>> 0;
        cand[2 * h + 1] = slot;
        if (++this.candUsed * 2 > mask + 1) this.resizeCandidates((mask + 1) * 2, true);
        return gain >= need;
      }
      if (cand[2 * h + 1] === slot) {
        const before = head & 255;
        if (before === DONE) return false;
        const total = before + gain;
        cand[2 * h] = ((generation << 8) | (total >= need ? DONE : total)) >>> 0;
        return total >= need;
      }
    }
  }

  private resizeCandidates(size: number, keep: boolean): void {
    const old = this.cand;
    const generation = this.generation;
    this.cand = new Uint32Array(2 * size);
    this.candShift = 32 - Math.log2(size);
    if (!keep) return;
    const cand = this.cand;
    const mask = size - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i]! >>> 8 !== generation) continue;
      let h = Math.imul(old[i + 1]!, 0x9e3779b1) >>> this.candShift;
      while (cand[2 * h]! >>> 8 === generation) h = (h + 1) & mask;
      cand[2 * h] = old[i]!;
      cand[2 * h + 1] = old[i + 1]!;
    }
  }

  // --- slots ---

  private allocSlot(): number {
    if (this.freeHead !== 0) {
      const slot = this.freeHead - 1;
      this.freeHead = this.ids[slot]!;
      this.state[slot] = PENDING;
      return slot;
    }
    if (this.top === this.capacity) this.grow(this.top + 1);
    this.state[this.top] = PENDING;
    return this.top++;
  }

  /** Forgets a slot's id and puts it on the free list (its table entries are already gone). */
  private releaseSlot(slot: number, id: number): void {
    this.idTable.delete(id, this.ids);
    this.state[slot] = FREE;
    this.ids[slot] = this.freeHead;
    this.freeHead = slot + 1;
  }

  private grow(minimum: number): void {
    const capacity = Math.max(minimum, Math.ceil(this.capacity * GROWTH));
    const words = new Uint32Array(capacity * WORDS_PER_CODE);
    words.set(this.words.subarray(0, this.top * WORDS_PER_CODE));
    const ids = new Uint32Array(capacity);
    ids.set(this.ids.subarray(0, this.top));
    const state = new Uint8Array(capacity);
    state.set(this.state.subarray(0, this.top));
    this.words = words;
    this.ids = ids;
    this.state = state;
    this.capacity = capacity;
  }

  // --- tables ---

  /** Empty tiers for the current layout and size. */
  private resetTables(): void {
    const m = this.layout.count;
    this.offsets = Array.from(this.layout.bits, (bits) => new Uint32Array(2 ** bits + 1));
    this.entries = Array.from(this.layout.bits, () => new Uint32Array(0));
    this.staticLive = 0;
    this.staticHoles = 0;
    this.deltaCap = this.fixedDelta ?? defaultDeltaCapacity(this.layoutSize);
    let dirBits = 1;
    while (2 ** dirBits < 2 * this.deltaCap && dirBits < this.layout.bits[0]!) dirBits++;
    this.dirMask = 2 ** dirBits - 1;
    this.dirs = Array.from(this.layout.bits, () => new Uint32Array(2 ** dirBits));
    this.deltaNext = new Uint32Array(this.deltaCap * m);
    this.deltaSlot = new Uint32Array(this.deltaCap);
    this.deltaUsed = 0;
    this.deltaLive = 0;
    this.plans.clear();
  }

  private linkDelta(slot: number): void {
    this.ensureDelta(this.deltaUsed + 1);
    const { layout, dirs, deltaNext, words, dirMask } = this;
    const m = layout.count;
    const dcap = this.deltaSlot.length;
    const e = this.deltaUsed++;
    this.deltaSlot[e] = slot;
    for (let j = 0; j < m; j++) {
      const dir = dirs[j]!;
      const h = substringKey(layout, j, words, slot * WORDS_PER_CODE) & dirMask;
      deltaNext[j * dcap + e] = dir[h]!;
      dir[h] = e + 1;
    }
    this.state[slot] = DELTA;
    this.deltaLive++;
  }

  /** linkDelta for many slots, table by table: one directory is hot in cache at a time. */
  private linkDeltaBatch(slots: Uint32Array): void {
    const n = slots.length;
    this.ensureDelta(this.deltaUsed + n);
    const { layout, dirs, deltaNext, words, dirMask, state } = this;
    const m = layout.count;
    const dcap = this.deltaSlot.length;
    const first = this.deltaUsed;
    this.deltaSlot.set(slots, first);
    for (let j = 0; j < m; j++) {
      const dir = dirs[j]!;
      for (let i = 0, e = first; i < n; i++, e++) {
        const h = substringKey(layout, j, words, slots[i]! * WORDS_PER_CODE) & dirMask;
        deltaNext[j * dcap + e] = dir[h]!;
        dir[h] = e + 1;
      }
    }
    for (let i = 0; i < n; i++) state[slots[i]!] = DELTA;
    this.deltaUsed += n;
    this.deltaLive += n;
  }

  private unlinkDelta(slot: number): void {
    const { layout, dirs, deltaNext, deltaSlot, words, dirMask } = this;
    const m = layout.count;
    const dcap = deltaSlot.length;
    const o = slot * WORDS_PER_CODE;
    // Find the slot's delta entry through table 0's chain.
    let e = dirs[0]![substringKey(layout, 0, words, o) & dirMask]!;
    while (deltaSlot[e - 1] !== slot) e = deltaNext[e - 1]!;
    for (let j = 0; j < m; j++) {
      const dir = dirs[j]!;
      const h = substringKey(layout, j, words, o) & dirMask;
      const after = deltaNext[j * dcap + e - 1]!;
      if (dir[h] === e) {
        dir[h] = after;
        continue;
      }
      let prev = dir[h]!;
      while (deltaNext[j * dcap + prev - 1] !== e) prev = deltaNext[j * dcap + prev - 1]!;
      deltaNext[j * dcap + prev - 1] = after;
    }
    deltaSlot[e - 1] = EMPTY;
    this.deltaLive--;
  }

  /** Swap-removes a slot from its bucket in every table; the bucket's last live place becomes EMPTY. */
  private unlinkStatic(slot: number): void {
    const { layout, offsets, entries, words } = this;
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
    this.staticLive--;
    this.staticHoles++;
  }

  /**
   * Rebuilds the static tier from every live slot and empties the delta: bulk loads into an
   * empty index and retuning. Per table: keys in slot order (a sequential read of the codes),
   * a radix sort, offsets in one pass. Entries keep room for one delta's worth of merges.
   */
  private rebuild(): void {
    const { layout, words, state, top } = this;
    const live = this.count;
    const slots = new Uint32Array(live);
    for (let slot = 0, n = 0; slot < top; slot++) if (state[slot] !== FREE) slots[n++] = slot;
    const sortBySubstring = substringSorter(layout, words, slots);
    for (let j = 0; j < layout.count; j++) {
      const buckets = 1 << layout.bits[j]!;
      const sorted = sortBySubstring(j);
      let off = this.offsets[j]!;
      if (off.length !== buckets + 1) off = new Uint32Array(buckets + 1);
      offsetsFromSorted(sorted.keys, live, off, buckets);
      let ent = this.entries[j]!;
      if (ent.length < live) ent = new Uint32Array(this.entryCapacity(live));
      ent.set(sorted.values.subarray(0, live));
      this.offsets[j] = off;
      this.entries[j] = ent;
    }
    for (let i = 0; i < live; i++) state[slots[i]!] = STATIC;
    this.staticLive = live;
    this.staticHoles = 0;
    this.clearDelta();
    this.counters.merges++;
  }

  /**
   * Merges the delta tier (and `extra` slots not linked anywhere yet) into the static tier,
   * in place. Per table: radix-sort the new entries by bucket; squeeze out the holes deletes
   * left (a forward pass); then, from the last bucket down, shift each run up by the number of
   * new entries below it and splice the new ones in (a backward pass, stopping at the lowest
   * new bucket). Sequential work; no fresh memory unless the entries must grow.
   */
  private merge(extra: Uint32Array | null): void {
    const { layout, words, deltaSlot, state } = this;
    let n = 0;
    const added = new Uint32Array(this.deltaLive + this.pendingCount + (extra?.length ?? 0));
    for (let e = 0; e < this.deltaUsed; e++) if (deltaSlot[e] !== EMPTY) added[n++] = deltaSlot[e]!;
    for (let i = 0; i < this.pendingCount; i++) added[n++] = this.pending[i]!;
    if (extra) for (let i = 0; i < extra.length; i++) added[n++] = extra[i]!;
    const live = this.staticLive + n;
    const sortBySubstring = substringSorter(layout, words, added.subarray(0, n));
    for (let j = 0; j < layout.count; j++) {
      const bits = layout.bits[j]!;
      const buckets = 1 << bits;
      const sorted = sortBySubstring(j);
      const newKeys = sorted.keys;
      const newSlots = sorted.values;
      const off = this.offsets[j]!;
      let ent = this.entries[j]!;
      if (this.staticHoles > 0) squeezeHoles(off, ent, buckets);
      if (off[buckets]! !== this.staticLive) throw new Error(`index merge: table ${j} holds ${off[buckets]} entries, expected ${this.staticLive}`);
      if (ent.length < live) {
        const grown = new Uint32Array(this.entryCapacity(live));
        grown.set(ent.subarray(0, this.staticLive));
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
    for (let i = 0; i < n; i++) state[added[i]!] = STATIC;
    this.staticLive = live;
    this.staticHoles = 0;
    this.clearDelta();
    this.counters.merges++;
  }

  private ensureDelta(entries: number): void {
    if (entries <= this.deltaSlot.length) return;
    const size = Math.max(entries, Math.ceil(this.deltaSlot.length * GROWTH));
    const slot = new Uint32Array(size);
    slot.set(this.deltaSlot.subarray(0, this.deltaUsed));
    // Table-major (table j's links at [j · capacity, (j + 1) · capacity)): batch links stream.
    const next = new Uint32Array(size * this.layout.count);
    const old = this.deltaSlot.length;
    for (let j = 0; j < this.layout.count; j++) next.set(this.deltaNext.subarray(j * old, j * old + this.deltaUsed), j * size);
    this.deltaSlot = slot;
    this.deltaNext = next;
  }

  /** Room for `live` entries and merges to come: the laid-out size plus one delta, else 1.5x (amortised). */
  private entryCapacity(live: number): number {
    const planned = Math.max(this.layoutSize, this.deltaCap) + this.deltaCap;
    return live <= planned ? planned : Math.ceil(live * GROWTH);
  }

  private clearDelta(): void {
    // Every caller has just put all live slots (pending ones included) in the static tier.
    this.pendingCount = 0;
    if (this.pending.length > 0) this.pending = new Uint32Array(0);
    for (const dir of this.dirs) dir.fill(0);
    if (this.deltaSlot.length > this.deltaCap) {
      this.deltaSlot = new Uint32Array(this.deltaCap);
      this.deltaNext = new Uint32Array(this.deltaCap * this.layout.count);
    }
    this.deltaUsed = 0;
    this.deltaLive = 0;
  }

  /** Re-lays the tables when N has doubled past the layout's size; true if it did (all linked). */
  private maybeRetune(): boolean {
    if (this.fixedLayout || this.count <= 2 * this.layoutSize) return false;
    this.layoutSize = this.count;
    const bits = chooseSubstringBits(this.count);
    if (bits !== this.layout.bits[0]) this.layout = makeLayout(Math.floor(256 / bits), Math.min(bits, MAX_SUBSTRING_BITS));
    // Bigger delta for the bigger index, then everything (new slots included) goes static.
    this.resetTables();
    this.rebuild();
    return true;
  }
}

/**
 * Drops the EMPTY places deletes left at bucket ends: live runs between holes move down (one
 * memmove per hole, holes found by the native indexOf), and each bucket's start drops by the
 * holes before it (one tight pass over the offsets). Forward, so nothing unread is overwritten.
 */
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

function checkCode(code: Uint8Array): void {
  if (code.length !== HASH_BYTES) throw new RangeError(`code must be ${HASH_BYTES} bytes, got ${code.length}`);
}
