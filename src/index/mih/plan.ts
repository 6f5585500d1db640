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
 * S − r can be matches: the rest are dropped without touching their 32-byte code.
 * S = r + 1 + e; larger e probes more buckets but filters harder. The planner picks e
 * (and falls back to a linear scan) by an estimated cost in cache misses.
 */
export interface QueryPlan {
  /** Scan every code instead (large radius or tiny index). */
  readonly linear: boolean;
  /** Probe radius per table (-1: table not probed). */
  readonly maxFlip: Int32Array;
  /** Flip masks per table (null when not probed). */
  readonly masks: readonly (FlipMasks | null)[];
  /** Gain a candidate needs before its full distance is computed (S − r). */
  readonly need: number;
  /** Expected bucket entries visited: sizes the candidate table. */
  readonly expectedTouches: number;
  /** Entries visited after which a linear scan is cheaper (skewed buckets): switch. */
  readonly touchBudget: number;
}

// Relative costs, in units of one random cache miss (calibrated by bench/index.bench.ts).
const COST_PROBE = 1;
const COST_TOUCH = 0.6;
const COST_VERIFY = 1;
const COST_LINEAR_PER_CODE = 0.12;
/** Largest Hamming ball probed per table. */
const MAX_BALL = 1 << 16;
/** Extra slack e tried beyond the minimum S = r + 1. */
const MAX_SLACK = 8;

/** `alwaysProbe`: use the tables whenever a plan is feasible, whatever the cost (tests). */
export function planQuery(layout: SubstringLayout, size: number, radius: number, alwaysProbe = false): QueryPlan {
  const m = layout.count;
  const linearCost = Math.max(size, 1) * COST_LINEAR_PER_CODE;
  let best: QueryPlan = linearPlan(m, size);
  let bestCost = alwaysProbe ? Infinity : linearCost;
  for (let slack = 0; slack <= MAX_SLACK; slack++) {
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
    const cost = probes * COST_PROBE + touches * COST_TOUCH + verifies * COST_VERIFY;
    if (cost < bestCost) {
      bestCost = cost;
      best = {
        linear: false,
        maxFlip,
        masks: Array.from(maxFlip, (t, j) => (t < 0 ? null : flipMasks(layout.bits[j]!, t))),
        need: slack + 1,
        expectedTouches: Math.ceil(touches),
        touchBudget: alwaysProbe ? Infinity : Math.ceil(linearCost / COST_TOUCH) + 1024,
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
