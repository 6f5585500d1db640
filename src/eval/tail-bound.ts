/**
 * An upper bound on the share of impostor set pairs that match (margin ≤ 0), read from the
 * measured tail of their margins, and the checks of its assumptions. Pure arithmetic.
 *
 * The bound: let S(k) be the share of set pairs whose margin is at most k bits. If log S is
 * concave in k (a log-concave margin distribution: the Hamming distance of independent bits
 * is binomial, log-concave, and so is the minimum of i.i.d. log-concave variables), then
 * for 0 < k1 < k2 the straight line through (k1, log S(k1)) and (k2, log S(k2)) lies on or
 * above log S at every k < k1, so its value at k = 0 is an upper bound on S(0). Sampling
 * noise is kept on the safe side: the count at k1 is taken at its upper confidence limit and
 * the count at k2 at its lower one (a flatter line, a higher bound). Set pairs of one picture
 * are not independent (a photo is uploaded as 64 variants; one registered picture meets every
 * upload), so counts are deflated by a design effect (the sum of squared per-picture counts
 * over the count, the larger of the upload side and the registered side) before the Poisson
 * limits are taken, and inflated back after.
 */

/** One-sided Poisson confidence limits for an observed count (exact up to 200, Wilson–Hilferty above). */
export function poissonUpper(n: number, confidence = 0.95): number {
  const alpha = 1 - confidence;
  // A deflated (non-integer) count is rounded up here and down for the lower limit: the wider interval.
  const m0 = Math.ceil(n);
  if (m0 <= 200) return bisect((lambda) => poissonCdf(m0, lambda) - alpha, m0, m0 + 20 + 10 * Math.sqrt(m0 + 1));
  const z = normalQuantile(confidence);
  const m = m0 + 1;
  return m * (1 - 1 / (9 * m) + z / (3 * Math.sqrt(m))) ** 3;
}

export function poissonLower(n: number, confidence = 0.95): number {
  const m0 = Math.floor(n);
  if (m0 <= 0) return 0;
  const alpha = 1 - confidence;
  if (m0 <= 200) return bisect((lambda) => alpha - (1 - poissonCdf(m0 - 1, lambda)), 0, m0);
  const z = normalQuantile(confidence);
  return m0 * (1 - 1 / (9 * m0) - z / (3 * Math.sqrt(m0))) ** 3;
}

/** P(X ≤ n) for X ~ Poisson(λ). */
export function poissonCdf(n: number, lambda: number): number {
  if (lambda <= 0) return 1;
  let logTerm = -lambda;
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= n; i++) {
    logTerm += Math.log(lambda) - Math.log(i);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/** Root of a monotone f on [lo, hi] (f(lo) and f(hi) of opposite signs). */
function bisect(f: (x: number) => number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  const fa = f(a);
  for (let it = 0; it < 200; it++) {
    const m = (a + b) / 2;
    const fm = f(m);
    if (fm === 0 || b - a < 1e-9 * Math.max(1, b)) return m;
    if (Math.sign(fm) === Math.sign(fa)) a = m;
    else b = m;
  }
  return (a + b) / 2;
}

/** Standard normal quantile (Acklam's rational approximation; |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const q0 = 0.02425;
  if (p < q0) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - q0) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** A measured tail: count[k] set pairs (or code pairs) with margin ≤ k, for k = 0..reach, of `total`; designEffect[k] ≥ 1. */
export interface Tail {
  total: number;
  count: number[];
  designEffect?: number[];
}

export interface BoundRule {
  /** k1 is the lowest k ≥ 1 whose count reaches this... */
  minCount: number;
  /** ...and k2 = k1 + gap. */
  gap: number;
  confidence: number;
}
export const DEFAULT_BOUND_RULE: BoundRule = { minCount: 30, gap: 8, confidence: 0.95 };

export interface ConcavityCheck {
  /** Range checked: where the count reaches the rule's minimum, up to the reach. */
  from: number | null;
  to: number | null;
  /** log10 S(k+1) − log10 S(k) over the range (decreasing when concave). */
  slopes: number[];
  /** Largest rise of the slope from one k to the next, its k, and the rise in units of its sampling error. */
  largestRise: number;
  at: number | null;
  sigmas: number;
  /** Rises beyond 3 sampling errors (a plateau, a mixture of populations): the line may not be an upper bound. */
  violations: number;
  ok: boolean;
}

export interface TailBound {
  method: 'measured' | 'two-point line' | 'count at the reach' | 'none seen';
  total: number;
  /** Set pairs within the thresholds (margin ≤ 0). */
  observed: number;
  k1: number | null;
  k2: number | null;
  n1: number;
  n2: number;
  /** The counts at the confidence limits used (after the design effect). */
  n1Upper: number;
  n2Lower: number;
  designEffect1: number;
  designEffect2: number;
  /** log10 share per bit of the line (≥ 0). */
  slope: number;
  /** Upper bound on the share S(0) (per set pair). */
  share: number;
  concavity: ConcavityCheck;
  /**
   * Measured points below k1 whose count, even at its lower limit, lies above the line: the
   * data themselves contradict concavity there (a cluster of close pairs), and the line is
   * not a bound. 0 when the line holds over every measured k below k1.
   */
  aboveLine: number;
}

const de = (t: Tail, k: number): number => Math.max(1, t.designEffect?.[k] ?? 1);
const upperCount = (t: Tail, k: number, c: number): number => de(t, k) * poissonUpper(t.count[k]! / de(t, k), c);
const lowerCount = (t: Tail, k: number, c: number): number => de(t, k) * poissonLower(t.count[k]! / de(t, k), c);

export function concavity(t: Tail, rule: BoundRule = DEFAULT_BOUND_RULE): ConcavityCheck {
  const reach = t.count.length - 1;
  let from = -1;
  for (let k = 0; k <= reach; k++) {
    if (t.count[k]! >= rule.minCount) {
      from = k;
      break;
    }
  }
  if (from < 0 || reach - from < 2) return { from: from < 0 ? null : from, to: from < 0 ? null : reach, slopes: [], largestRise: 0, at: null, sigmas: 0, violations: 0, ok: true };
  const log = (k: number) => Math.log10(t.count[k]! / t.total);
  // Sampling error of log10 S(k) (relative error of a count, after the design effect).
  const sd = (k: number) => Math.sqrt(de(t, k) / Math.max(1, t.count[k]!)) / Math.LN10;
  const slopes: number[] = [];
  for (let k = from; k < reach; k++) slopes.push(log(k + 1) - log(k));
  let largestRise = Number.NEGATIVE_INFINITY;
  let at: number | null = null;
  let sigmas = 0;
  let violations = 0;
  for (let i = 1; i < slopes.length; i++) {
    const k = from + i;
    const rise = slopes[i]! - slopes[i - 1]!;
    const error = Math.sqrt(sd(k - 1) ** 2 + 4 * sd(k) ** 2 + sd(k + 1) ** 2);
    if (rise > largestRise) {
      largestRise = rise;
      at = k;
      sigmas = rise / error;
    }
    if (rise > 3 * error) violations++;
  }
  return { from, to: reach, slopes, largestRise, at, sigmas, violations, ok: violations === 0 };
}

/**
 * The upper bound on S(0) by the rule: measured when at least `minCount` set pairs are within
 * the thresholds; else the two-point line from k1 (the lowest k holding `minCount`) to
 * k1 + gap; else (fewer than `minCount` within the reach, or k1 + gap beyond it) the count at
 * the reach, which bounds S(0) by monotonicity alone. Never above that monotone bound.
 */
export function tailBound(t: Tail, rule: BoundRule = DEFAULT_BOUND_RULE): TailBound {
  const reach = t.count.length - 1;
  const c = rule.confidence;
  const observed = t.count[0]!;
  const check = concavity(t, rule);
  const base = { total: t.total, observed, concavity: check, designEffect1: 1, designEffect2: 1, n2: 0, n2Lower: 0, slope: 0, k2: null, aboveLine: 0 };
  if (observed >= rule.minCount) {
    return { ...base, method: 'measured', k1: 0, n1: observed, n1Upper: upperCount(t, 0, c), designEffect1: de(t, 0), share: upperCount(t, 0, c) / t.total };
  }
  let k1 = -1;
  for (let k = 1; k <= reach; k++) {
    if (t.count[k]! >= rule.minCount) {
      k1 = k;
      break;
    }
  }
  const monotone = upperCount(t, reach, c) / t.total;
  if (k1 < 0 || k1 + rule.gap > reach) {
    const method = t.count[reach] === 0 ? 'none seen' : 'count at the reach';
    return { ...base, method, k1: reach, n1: t.count[reach]!, n1Upper: upperCount(t, reach, c), designEffect1: de(t, reach), share: monotone };
  }
  const k2 = k1 + rule.gap;
  const n1Upper = upperCount(t, k1, c);
  const n2Lower = lowerCount(t, k2, c);
  const slope = Math.max(0, (Math.log10(n2Lower) - Math.log10(n1Upper)) / (k2 - k1));
  const line = 10 ** (Math.log10(n1Upper / t.total) - slope * k1);
  let aboveLine = 0;
  for (let k = 1; k < k1; k++) if (lowerCount(t, k, c) / t.total > line * 10 ** (slope * k)) aboveLine++;
  return {
    ...base,
    aboveLine,
    method: 'two-point line',
    k1,
    k2,
    n1: t.count[k1]!,
    n2: t.count[k2]!,
    n1Upper,
    n2Lower,
    designEffect1: de(t, k1),
    designEffect2: de(t, k2),
    slope,
    share: Math.min(line, monotone),
  };
}

/** Design effect of clustered counts: Σ c² / Σ c over clusters (1 when every cluster holds at most one). */
export function designEffect(clusterCounts: Iterable<number>): number {
  let s = 0;
  let s2 = 0;
  for (const c of clusterCounts) {
    s += c;
    s2 += c * c;
  }
  return s > 0 ? Math.max(1, s2 / s) : 1;
}
