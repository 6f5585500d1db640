/**
 * Answering one query: probe the substring tables the plan names (or scan every code when
 * that is cheaper), verify the candidates, report each match once, sorted.
 */
import { WORDS_PER_CODE, hammingWords, scanWords, writeWords } from '../../hashing/hamming.js';
import { type Match, closestMatches, compareMatches } from '../types.js';
import { CandidateTable } from './candidates.js';
import type { DeltaTier } from './delta-tier.js';
import type { ParkedSlots } from './parked.js';
import type { QueryPlan } from './plan.js';
import { type CodeSlots, EMPTY, FREE } from './slots.js';
import type { StaticTier } from './static-tier.js';
import { type SubstringLayout, substringKey } from './substrings.js';

/** What a query reads: the codes and every tier that links them. */
export interface SearchTarget {
  layout: SubstringLayout;
  slots: CodeSlots;
  staticTier: StaticTier;
  delta: DeltaTier;
  parked: ParkedSlots;
}

/** Candidates expected when every one is verified at once (need = 1): the table only dedupes. */
const DEDUPE_EXPECTED = 16;

/** Scratch buffers reused from query to query, so a query allocates only its result. */
export class QueryRunner {
  /** How queries were answered: by the tables, by a scan, or abandoned for a scan. */
  readonly counters = { probed: 0, scanned: 0, abandoned: 0 };
  private readonly query = new Uint32Array(WORDS_PER_CODE);
  private readonly candidates = new CandidateTable();
  private starts = new Uint32Array(256);
  private ends = new Uint32Array(256);
  private kept: Uint32Array = new Uint32Array(4096);
  private readonly outSlots: number[] = [];
  private readonly outDistances: number[] = [];

  get byteLength(): number {
    return this.candidates.byteLength;
  }

  /** Every code within `radius` of `code`, sorted by distance then id; the `limit` closest when given. */
  run(target: SearchTarget, plan: QueryPlan, code: Uint8Array, radius: number, limit?: number): Match[] {
    writeWords(code, this.query, 0);
    this.outSlots.length = 0;
    this.outDistances.length = 0;
    if (plan.linear) {
      this.counters.scanned++;
      this.scan(target.slots, radius);
    } else if (this.probe(target, plan, radius)) {
      this.counters.probed++;
      if (target.parked.count > 0) this.scanParked(target, radius);
    } else {
      this.counters.abandoned++;
      this.outSlots.length = 0;
      this.outDistances.length = 0;
      this.scan(target.slots, radius);
    }
    return this.results(target.slots.ids, limit);
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
  private probe(target: SearchTarget, plan: QueryPlan, radius: number): boolean {
    const { layout, staticTier, delta } = target;
    const { offsets, entries } = staticTier;
    const { dirs, next, dirMask } = delta;
    const deltaSlots = delta.slots;
    const { query, candidates } = this;
    const m = layout.count;
    const stride = delta.capacity;
    const need = plan.need;
    const budget = plan.touchBudget;
    const withDelta = delta.live > 0;
    candidates.begin(need === 1 ? DEDUPE_EXPECTED : plan.expectedTouches);
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
            if (candidates.credit(slot, gain, need)) kept[nKept++] = slot;
          }
        }
      }
      if (withDelta) {
        // The directory may be coarser than the key: a chain can hold codes of other buckets.
        // Over-crediting them only costs a verification, never a miss.
        const dir = dirs[j]!;
        const base = j * stride - 1;
        for (let k = 0; k < count; k++) {
          const gain = gainBase - weights[k]!;
          for (let e = dir[(key ^ masks[k]!) & dirMask]!; e !== 0; e = next[base + e]!) {
            touches++;
            const slot = deltaSlots[e - 1]!;
            if (need === 1 || candidates.credit(slot, gain, need)) {
              if (nKept === kept.length) kept = this.growKept(nKept + 1);
              kept[nKept++] = slot;
            }
          }
        }
      }
      // Skewed buckets (dense clusters): a scan is now cheaper than finishing.
      if (touches > budget) return false;
    }
    const { words } = target.slots;
    for (let i = 0; i < nKept; i++) {
      const slot = kept[i]!;
      const d = hammingWords(words, slot, query);
      // need = 1 keeps every touch, so a code met in several tables is reported once.
      if (d <= radius && (need > 1 || candidates.credit(slot, 1, 1))) {
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
  private scanParked(target: SearchTarget, radius: number): void {
    const { words } = target.slots;
    const { slots, count } = target.parked;
    const { query } = this;
    for (let i = 0; i < count; i++) {
      const slot = slots[i]!;
      const d = hammingWords(words, slot, query);
      if (d <= radius) {
        this.outSlots.push(slot);
        this.outDistances.push(d);
      }
    }
  }

  /** Every slot in turn (free ones compared too, then dropped: cheaper than skipping them). */
  private scan(slots: CodeSlots, radius: number): void {
    const { outSlots, outDistances } = this;
    const from = outSlots.length;
    scanWords(slots.words, slots.top, this.query, radius, outSlots, outDistances);
    const { state } = slots;
    let kept = from;
    for (let i = from; i < outSlots.length; i++) {
      if (state[outSlots[i]!] === FREE) continue;
      outSlots[kept] = outSlots[i]!;
      outDistances[kept++] = outDistances[i]!;
    }
    outSlots.length = outDistances.length = kept;
  }

  private results(ids: Uint32Array, limit?: number): Match[] {
    const { outSlots, outDistances } = this;
    const n = outSlots.length;
    // A clustered index can put thousands of codes within the radius: build only the kept ones.
    if (limit !== undefined && n > limit) {
      return closestMatches(n, (i) => ids[outSlots[i]!]!, (i) => outDistances[i]!, limit);
    }
    const out: Match[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = { id: ids[outSlots[i]!]!, distance: outDistances[i]! };
    return n > 1 ? out.sort(compareMatches) : out;
  }
}
