import { WORDS_PER_CODE, writeWords } from '../hashing/hamming.js';
import { HASH_BYTES } from '../hashing/types.js';
import { DeltaTier, defaultDeltaCapacity } from './mih/delta-tier.js';
import { ParkedSlots } from './mih/parked.js';
import { PlanCache } from './mih/plan-cache.js';
import { QueryRunner, type SearchTarget } from './mih/search.js';
import { CodeSlots, DELTA, STATIC } from './mih/slots.js';
import { StaticTier } from './mih/static-tier.js';
import { MAX_SUBSTRING_BITS, type SubstringLayout, makeLayout } from './mih/substrings.js';
import { type HashIndex, type Match, checkId, checkLimit, checkRadius } from './types.js';

/**
 * Exact Hamming range search by multi-index hashing (Norouzi, Punjani & Fleet, 2014).
 *
 * Layout, chosen for query speed at ≤ 120 bytes per code (see bench/results/index.md):
 * - the codes, in slots that never move (mih/slots.ts);
 * - m substring tables over disjoint b-bit substrings (b ≈ log2 N + 1, capped at 22 bits
 *   so 10M codes stay under 120 bytes each; mih/substrings.ts). Each table has two tiers:
 *   - static (CSR, mih/static-tier.ts): a probed bucket is one offset pair and one
 *     contiguous run of slots;
 *   - delta (mih/delta-tier.ts): recent inserts, O(m) each. When it is full it is merged
 *     into the static tier in one sequential pass per table: O(N·m) sequential work every
 *     Θ(N/16) inserts, amortised like array growth, never on the query path.
 *   A bulk load in progress may also park codes in no table yet (mih/parked.ts).
 * - Queries (mih/search.ts) probe, per table, every bucket within t_j bits of the query's
 *   substring (mih/plan.ts). With the minimum S = r + 1 every candidate's code is read at
 *   once (and a match found in several tables reported once); with slack, candidates earn
 *   gains in a small table (mih/candidates.ts) and only those proven possible are read.
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
const CODE_BITS = HASH_BYTES * 8;
const MIN_AUTO_BITS = 8;
/** 11 tables × 2^22 offsets × 4 bytes = 18 bytes per code at 10M; 2^23 would pass 120 B/code. */
const MAX_AUTO_BITS = 22;
/** Bulk batches at least this large are parked (not linked) while the index fills. */
const DEFAULT_PARK_MINIMUM = 1024;
/**
 * While filling, parked codes are folded in once they reach this many times the static
 * tier: sizes grow 4x per fold, so each code is sorted once and the static tier is
 * rewritten O(1) times in all.
 */
const PARKED_PER_STATIC_BEFORE_FOLD = 3;
/** Retune (re-lay the tables) once the index holds this many times its laid-out size. */
const RETUNE_GROWTH = 2;
/** Fold the static tier's holes in once they pass this share of its live entries. */
const MAX_HOLE_SHARE = 1 / 4;
/** Bulk batches below this size skip warming the id table (not worth a pass). */
const WARM_MINIMUM = 64;

/** Substring length for N codes: about half a code per bucket (see the header). */
export function chooseSubstringBits(size: number): number {
  const bits = Math.round(Math.log2(Math.max(size, 2))) + 1;
  return Math.min(MAX_AUTO_BITS, Math.max(MIN_AUTO_BITS, bits));
}

export class MultiIndexHashIndex implements HashIndex {
  private layout: SubstringLayout;
  private readonly slots: CodeSlots;
  private readonly staticTier: StaticTier;
  private readonly delta: DeltaTier;
  private readonly parked = new ParkedSlots();
  private readonly plans: PlanCache;
  private readonly runner = new QueryRunner();
  /** What queries read; its layout is replaced when the index retunes. */
  private readonly target: SearchTarget;
  /**
   * Every id present was added either by an ascending bulk batch (then it is ≤ bulkTop) or
   * otherwise (then it is ≥ otherMin): an ascending batch above bulkTop need only look up its
   * ids ≥ otherMin. Both bounds only move outwards (removals never matter: absent is absent).
   */
  private bulkTop = -1;
  private otherMin = Infinity;
  private count = 0;
  private merges = 0;
  private layoutSize: number;
  private readonly fixedLayout: boolean;
  private readonly fixedDelta: number | undefined;
  private readonly parkMinimum: number;
  private warmSink = 0;

  constructor(options: MihOptions = {}) {
    const expected = options.expectedSize ?? DEFAULT_EXPECTED_SIZE;
    if (!Number.isInteger(expected) || expected < 0) throw new RangeError(`expectedSize must be a non-negative integer, got ${expected}`);
    if (options.deltaCapacity !== undefined && !(Number.isInteger(options.deltaCapacity) && options.deltaCapacity >= 1)) {
      throw new RangeError(`deltaCapacity must be a positive integer, got ${options.deltaCapacity}`);
    }
    const bits = options.substringBits ?? chooseSubstringBits(expected);
    this.layout = makeLayout(options.substrings ?? Math.floor(CODE_BITS / bits), bits);
    this.fixedLayout = options.substringBits !== undefined || options.substrings !== undefined;
    this.fixedDelta = options.deltaCapacity;
    this.parkMinimum = options.parkMinimum ?? DEFAULT_PARK_MINIMUM;
    this.plans = new PlanCache({ alwaysProbe: options.alwaysProbe ?? false, slack: options.slack });
    this.layoutSize = Math.max(expected, 1);
    this.slots = new CodeSlots(expected);
    this.staticTier = new StaticTier(this.layout);
    this.delta = new DeltaTier(this.layout, this.deltaCapacity());
    this.target = { layout: this.layout, slots: this.slots, staticTier: this.staticTier, delta: this.delta, parked: this.parked };
  }

  get size(): number {
    return this.count;
  }

  /** Substring tables and their length in bits (for reports). */
  get shape(): { substrings: number; substringBits: number } {
    return { substrings: this.layout.count, substringBits: this.layout.bits[0]! };
  }

  /** How queries were answered so far (tables, scan, abandoned for a scan). */
  get stats(): { probed: number; scanned: number; abandoned: number } {
    return { ...this.runner.counters };
  }

  /** Tier sizes and merges so far (benchmarks, tests). */
  get tiers(): { staticLive: number; staticHoles: number; deltaLive: number; pending: number; deltaCapacity: number; merges: number } {
    return {
      staticLive: this.staticTier.live,
      staticHoles: this.staticTier.holes,
      deltaLive: this.delta.live,
      pending: this.parked.count,
      deltaCapacity: this.delta.capacity,
      merges: this.merges,
    };
  }

  add(id: number, code: Uint8Array): void {
    checkId(id);
    checkCode(code);
    if (this.slots.slotOf(id) >= 0) throw new Error(`id ${id} is already indexed`);
    // Fold first: a rebuild takes every allocated slot, and this one goes to the delta.
    if (this.delta.full) this.fold();
    const slot = this.slots.allocate(id);
    writeWords(code, this.slots.words, slot * WORDS_PER_CODE);
    if (id < this.otherMin) this.otherMin = id;
    this.count++;
    if (this.maybeRetune()) return;
    this.delta.link(this.slots.words, slot);
    this.slots.state[slot] = DELTA;
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
    const { slots } = this;
    slots.reserve(total);
    const added = new Uint32Array(total);
    if (total >= WARM_MINIMUM) this.warmSink ^= slots.warm(ids);
    // Ids strictly ascending and above every id added this way before (the store's pages, in
    // id order): only ids ≥ otherMin can be present, so the rest skip the id-table lookup
    // (its probe chain reads ids[] at random slots, a cache miss per step).
    const ascending = ascendingAbove(ids, this.bulkTop);
    const probeFrom = ascending ? this.otherMin : 0;
    let n = 0;
    for (let i = 0; i < total; i++) {
      const id = ids[i]!;
      if (id >= probeFrom && slots.slotOf(id) >= 0) {
        if (skip) continue;
        for (let k = n - 1; k >= 0; k--) slots.release(added[k]!);
        throw new Error(`id ${id} is already indexed`);
      }
      const slot = slots.allocate(id);
      added[n++] = slot;
      // slots.words is read after allocate: allocating may have grown it.
      const target = slots.words;
      for (let k = 0, from = i * WORDS_PER_CODE, to = slot * WORDS_PER_CODE; k < WORDS_PER_CODE; k++) target[to + k] = words[from + k]!;
    }
    if (ascending) this.bulkTop = ids[total - 1]!;
    else for (let k = 0; k < n; k++) this.otherMin = Math.min(this.otherMin, slots.ids[added[k]!]!);
    if (n > 0) this.linkPacked(n === total ? added : added.subarray(0, n));
    return skip ? n : undefined;
  }

  remove(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return false;
    const { slots } = this;
    const slot = slots.slotOf(id);
    if (slot < 0) return false;
    const state = slots.state[slot];
    if (state === STATIC) this.staticTier.unlink(slots.words, slot);
    else if (state === DELTA) this.delta.unlink(slots.words, slot);
    else this.parked.remove(slot);
    slots.release(slot);
    this.count--;
    // Holes only cost memory (queries stop at the first one in a bucket): compact now and then.
    if (this.staticTier.holes > Math.max(this.delta.capacity, this.staticTier.live * MAX_HOLE_SHARE)) this.fold();
    return true;
  }

  has(id: number): boolean {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) return false;
    return this.slots.slotOf(id) >= 0;
  }

  search(code: Uint8Array, radius: number, limit?: number): Match[] {
    checkRadius(radius);
    checkLimit(limit);
    checkCode(code);
    return this.runner.run(this.target, this.plans.get(this.layout, this.count, radius), code, radius, limit);
  }

  /** Queries share the plan and scratch buffers; each query allocates only its result. */
  searchBatch(codes: readonly Uint8Array[], radius: number, limit?: number): Match[][] {
    checkRadius(radius);
    checkLimit(limit);
    for (const code of codes) checkCode(code);
    const { target } = this;
    const plan = this.plans.get(this.layout, this.count, radius);
    const out: Match[][] = new Array(codes.length);
    for (let i = 0; i < codes.length; i++) out[i] = this.runner.run(target, plan, codes[i]!, radius, limit);
    return out;
  }

  memoryBytes(): number {
    return this.slots.byteLength + this.staticTier.byteLength + this.delta.byteLength + this.parked.byteLength + this.runner.byteLength;
  }

  /** Merges the delta tier into the static tier now (benchmarks; otherwise automatic). */
  compact(): void {
    if (this.delta.live > 0 || this.staticTier.holes > 0 || this.parked.count > 0) this.fold();
  }

  /** Puts freshly allocated slots into a tier (parked, delta or static). */
  private linkPacked(added: Uint32Array): void {
    const n = added.length;
    this.count += n;
    if (this.maybeRetune()) return;
    if (this.count < this.layoutSize && n >= this.parkMinimum) {
      // Filling towards the laid-out size (start-up load): park the batch, and fold when the
      // parked codes are large next to the static tier, or the laid-out size is reached.
      this.parked.add(added);
      if (this.parked.count >= Math.max(this.delta.capacity, PARKED_PER_STATIC_BEFORE_FOLD * this.staticTier.live)) this.fold();
      return;
    }
    if (this.parked.count > 0) {
      this.parked.add(added);
      this.fold();
      return;
    }
    const room = this.delta.room;
    if (this.staticTier.live === 0 && n > room) this.rebuild();
    else if (n <= room) this.linkDelta(added);
    else if (n >= this.count / 2) this.rebuild();
    else this.merge(added);
  }

  private linkDelta(added: Uint32Array): void {
    this.delta.linkBatch(this.slots.words, added);
    const { state } = this.slots;
    for (let i = 0; i < added.length; i++) state[added[i]!] = DELTA;
  }

  /** Folds the delta and parked tiers (and drops static holes) into the static tier. */
  private fold(): void {
    if (this.staticTier.live === 0) this.rebuild();
    else this.merge(null);
  }

  /** Rebuilds the static tier from every live slot and empties the delta and parked tiers. */
  private rebuild(): void {
    const live = this.slots.liveSlots(this.count);
    this.staticTier.rebuild(this.slots.words, live, this.plannedEntries());
    this.markStatic(live);
  }

  /** Merges the delta and parked tiers (and `extra` slots, linked nowhere yet) into the static tier. */
  private merge(extra: Uint32Array | null): void {
    const added = new Uint32Array(this.delta.live + this.parked.count + (extra?.length ?? 0));
    let n = this.delta.collect(added, 0);
    n = this.parked.collect(added, n);
    if (extra) added.set(extra, n);
    this.staticTier.merge(this.slots.words, added, this.plannedEntries());
    this.markStatic(added);
  }

  /** After a rebuild or merge: these slots are static, and nothing is left elsewhere. */
  private markStatic(linked: Uint32Array): void {
    const { state } = this.slots;
    for (let i = 0; i < linked.length; i++) state[linked[i]!] = STATIC;
    this.delta.clear();
    this.parked.clear();
    this.merges++;
  }

  /** Static entries to allocate: the laid-out size plus one delta's worth of merges. */
  private plannedEntries(): number {
    return Math.max(this.layoutSize, this.delta.capacity) + this.delta.capacity;
  }

  private deltaCapacity(): number {
    return this.fixedDelta ?? defaultDeltaCapacity(this.layoutSize);
  }

  /** Re-lays the tables when N has doubled past the layout's size; true if it did (all linked). */
  private maybeRetune(): boolean {
    if (this.fixedLayout || this.count <= RETUNE_GROWTH * this.layoutSize) return false;
    this.layoutSize = this.count;
    const bits = chooseSubstringBits(this.count);
    if (bits !== this.layout.bits[0]) this.layout = makeLayout(Math.floor(CODE_BITS / bits), Math.min(bits, MAX_SUBSTRING_BITS));
    this.target.layout = this.layout;
    // Bigger delta for the bigger index, then everything (new slots included) goes static.
    this.staticTier.reset(this.layout);
    this.delta.reset(this.layout, this.deltaCapacity());
    this.plans.clear();
    this.rebuild();
    return true;
  }
}

/** True if `ids` is strictly ascending and starts above `floor`. */
function ascendingAbove(ids: Uint32Array, floor: number): boolean {
  let previous = floor;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id <= previous) return false;
    previous = id;
  }
  return true;
}

function checkCode(code: Uint8Array): void {
  if (code.length !== HASH_BYTES) throw new RangeError(`code must be ${HASH_BYTES} bytes, got ${code.length}`);
}
