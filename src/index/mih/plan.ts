import { ballVolume, flipMasks, type FlipMasks } from './flip-masks.js';
import type { SubstringLayout } from './substrings.js';

/**
 * How one query radius is answered.
 *
 * Pigeonhole with per-table thresholds t_j: a stored code at distance d ≤ r has
 * substring distances d_j with Σ d_j ≤ d. If table j is probed within t_j and the code
 * is not found there, d_j ≥ t_j + 1. So, with S = Σ (t_j + 1) ≥ r + 1, every match is
 * found in some table, and a candidate found in tables H at distances d_j has
 *   LB = Σ_{j∈H} d_j + Σ_{j∉H} (t_j + 1) = S − Σ_{j∈H} (t_j + 1 − d_j) ≤ d.
 * Each hit therefore "gains" t_j + 1 − d_j, and only candidates whose gains reach
 * S − r can be matches. S = r + 1 + e; with e = 0 every candidate is verified at once
 * (one read of its 32-byte code, no bookkeeping); with e > 0 more buckets are probed but
 * gains are kept in a small cache-resident table and few codes are read. The planner
 * picks e (or a linear scan) by an estimated cost in random memory accesses.
 */
export interface QueryPlan {
  /** Scan every code instead (large radius or tiny index). */
  readonly linear: boolean;
  /** Probe radius per table (-1: table not probed). */
  readonly maxFlip: Int32Array;
  /** Flip masks per table (null when not probed). */
  readonly masks: readonly (FlipMasks | null)[];
  /** Gain a candidate needs before its full distance is computed (S − r); 1: verify every candidate. */
  readonly need: number;
  /** Expected bucket entries visited: sizes the candidate table. */
  readonly expectedTouches: number;
  /** Entries visited after which a linear scan is cheaper (skewed buckets): switch. */
  readonly touchBudget: number;
}

// Relative costs, in units of one random memory access (calibrated with bench/index.bench.ts
// at N = 10M: a bucket probe reads an offset pair and, if non-empty, its first entries).
const COST_PROBE = 1.3;
/** Crediting a candidate: a hit in a table that stays in cache. */
const COST_TOUCH = 0.2;
const COST_VERIFY = 1;
const COST_LINEAR_PER_CODE = 0.08;
/** Largest Hamming ball probed per table. */
const MAX_BALL = 1 << 16;
/** Extra slack e tried beyond the minimum S = r + 1. */
const MAX_SLACK = 8;
/**
 * Entries a probe may visit beyond the point where a scan would have been cheaper before it
 * gives up: abandoning throws the probing done away, so a small index (whose break-even is a
 * handful of entries) must not give up on the first busy bucket.
 */
const TOUCH_BUDGET_MARGIN = 1024;

export interface PlanOptions {
  /** Use the tables whenever a plan is feasible, whatever the cost (tests). */
  alwaysProbe?: boolean;
  /** Force this slack e (calibration, tests); the cheapest feasible one otherwise. */
  slack?: number;
}

export function planQuery(layout: SubstringLayout, size: number, radius: number, options: PlanOptions = {}): QueryPlan {
  const alwaysProbe = options.alwaysProbe ?? false;
  const m = layout.count;
  const linearCost = Math.max(size, 1) * COST_LINEAR_PER_CODE;
  let best: QueryPlan = linearPlan(m, size);
  let bestCost = alwaysProbe || options.slack !== undefined ? Infinity : linearCost;
  for (let slack = options.slack ?? 0; slack <= (options.slack ?? MAX_SLACK); slack++) {
    const total = radius + 1 + slack;
    const base = Math.floor(total / m);
    const extra = total % m;
    const maxFlip = new Int32Array(m);
    let probes = 0;
    let touches = 0;
    let verifies = 0;
    let feasible = true;
    for (let j = 0; j < m; j++) {
      const t = (j < extra ? base + 1 : base) - 1;
      maxFlip[j] = t;
      if (t < 0) continue;
      const bits = layout.bits[j]!;
      const volume = ballVolume(bits, t);
      if (volume > MAX_BALL) {
        feasible = false;
        break;
      }
      const perBucket = size / 2 ** bits;
      probes += volume;
      touches += volume * perBucket;
      // Codes reaching the needed gain through one hit: those within t − slack in this substring.
      verifies += t - slack >= 0 ? ballVolume(bits, t - slack) * perBucket : 0;
    }
    if (!feasible) break;
    const cost = probes * COST_PROBE + (slack === 0 ? touches * COST_VERIFY : touches * COST_TOUCH + verifies * COST_VERIFY);
    if (cost < bestCost) {
      bestCost = cost;
      best = {
        linear: false,
        maxFlip,
        masks: Array.from(maxFlip, (t, j) => (t < 0 ? null : inAddressOrder(layout.bits[j]!, t))),
        need: slack + 1,
        expectedTouches: Math.ceil(touches),
        touchBudget: alwaysProbe ? Infinity : Math.ceil(linearCost / (slack === 0 ? COST_VERIFY : COST_TOUCH)) + TOUCH_BUDGET_MARGIN,
      };
    }
  }
  return best;
}

function linearPlan(m: number, size: number): QueryPlan {
  return {
    linear: true,
    maxFlip: new Int32Array(m).fill(-1),
    masks: [],
    need: 1,
    expectedTouches: 0,
    touchBudget: size,
  };
}

const ordered = new Map<number, FlipMasks>();

/**
 * The ball's masks sorted by value: consecutive probes key ^ mask then share their high
 * bits, so they land in the same pages of the offsets and entries arrays (one TLB miss and
 * often one cache line for a run of probes, instead of one per probe).
 */
function inAddressOrder(bits: number, maxWeight: number): FlipMasks {
  const key = bits * 64 + maxWeight;
  let found = ordered.get(key);
  if (!found) {
    const { masks, weights } = flipMasks(bits, maxWeight);
    const order = Array.from(masks.keys()).sort((a, b) => masks[a]! - masks[b]!);
    found = { masks: Uint32Array.from(order, (i) => masks[i]!), weights: Uint8Array.from(order, (i) => weights[i]!) };
    ordered.set(key, found);
  }
  return found;
}
