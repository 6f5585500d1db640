/**
 * Pure metric computations over Hamming-distance histograms. A histogram of a
 * `bits`-bit algorithm has `bits + 1` bins: counts[d] = pairs at distance d. Working on
 * histograms keeps millions of impostor pairs in a few hundred numbers.
 */

export type Histogram = number[];

export function emptyHistogram(bits: number): Histogram {
  return new Array<number>(bits + 1).fill(0);
}

export function histogram(distances: Iterable<number>, bits: number): Histogram {
  const counts = emptyHistogram(bits);
  for (const d of distances) {
    if (!Number.isInteger(d) || d < 0 || d > bits) throw new RangeError(`distance ${d} is outside 0..${bits}`);
    counts[d]!++;
  }
  return counts;
}

export function addInto(target: Histogram, source: Histogram): void {
  if (target.length !== source.length) throw new RangeError('histograms differ in length');
  for (let d = 0; d < source.length; d++) target[d]! += source[d]!;
}

export function total(counts: Histogram): number {
  let n = 0;
  for (const c of counts) n += c;
  return n;
}

/** Pairs at distance ≤ t (a match under an inclusive threshold t). */
export function countAtOrBelow(counts: Histogram, t: number): number {
  let n = 0;
  for (let d = 0; d <= t && d < counts.length; d++) n += counts[d]!;
  return n;
}

/** Share of genuine pairs matched at threshold t (0 when there are none). */
export function recallAt(genuine: Histogram, t: number): number {
  const n = total(genuine);
  return n === 0 ? 0 : countAtOrBelow(genuine, t) / n;
}

/** Share of impostor pairs wrongly matched at threshold t. */
export function fprAt(impostor: Histogram, t: number): number {
  const n = total(impostor);
  return n === 0 ? 0 : countAtOrBelow(impostor, t) / n;
}

export interface RocPoint {
  threshold: number;
  fpr: number;
  recall: number;
}

/** One point per threshold 0..bits (thresholds below 0 match nothing: the curve starts at the origin). */
export function rocCurve(genuine: Histogram, impostor: Histogram): RocPoint[] {
  const points: RocPoint[] = [];
  for (let t = 0; t < genuine.length; t++) points.push({ threshold: t, fpr: fprAt(impostor, t), recall: recallAt(genuine, t) });
  return points;
}

/**
 * Largest threshold whose impostor FPR stays ≤ target. For target 0 this is one below
 * the smallest impostor distance; −1 means even threshold 0 lets an impostor through.
 */
export function thresholdAtFpr(impostor: Histogram, target: number): number {
  const n = total(impostor);
  if (n === 0) return impostor.length - 1;
  let best = -1;
  let matched = 0;
  for (let t = 0; t < impostor.length; t++) {
    matched += impostor[t]!;
    if (matched / n <= target) best = t;
    else break;
  }
  return best;
}

/** Recall at the threshold `thresholdAtFpr` picks; 0 when no threshold qualifies. */
export function recallAtFpr(genuine: Histogram, impostor: Histogram, target: number): { threshold: number; recall: number; fpr: number } {
  const threshold = thresholdAtFpr(impostor, target);
  return { threshold, recall: threshold < 0 ? 0 : recallAt(genuine, threshold), fpr: threshold < 0 ? 0 : fprAt(impostor, threshold) };
}

export function minDistance(counts: Histogram): number | undefined {
  const d = counts.findIndex((c) => c > 0);
  return d < 0 ? undefined : d;
}

/** Distance at quantile q (0..1) of the distribution, for summaries (median = 0.5). */
export function quantile(counts: Histogram, q: number): number | undefined {
  const n = total(counts);
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let d = 0; d < counts.length; d++) {
    seen += counts[d]!;
    if (seen >= rank) return d;
  }
  return counts.length - 1;
}

/**
 * Threshold Rempart recommends: the largest threshold meeting `targetFpr` on the impostor
 * pairs (or, when even threshold 0 misses it, `fallbackFpr`), less a safety margin
 * (a fraction, rounded to the nearest bit) because a corpus of a hundred photos cannot
 * show the tail a database of millions will meet. Never below 0.
 */
export function recommendThreshold(impostor: Histogram, targetFpr: number, marginFraction: number, fallbackFpr = targetFpr): number {
  let atTarget = thresholdAtFpr(impostor, targetFpr);
  if (atTarget < 0) atTarget = thresholdAtFpr(impostor, fallbackFpr);
  if (atTarget < 0) return 0;
  return Math.max(0, Math.round(atTarget * (1 - marginFraction)));
}
