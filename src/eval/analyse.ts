/**
 * Turns the hashes of a run into the results operators read: per algorithm, genuine and
 * impostor histograms, ROC, recall at fixed FPRs, per-transformation recall, timing,
 * and the recommended threshold. Pure: no I/O.
 */
import type { EvaluatedAlgorithm } from './algorithms.js';
import { genuineHistograms, impostorHistograms, packCodes, type CodeEntry } from './distances.js';
import { fprAt, quantile, recallAt, recallAtFpr, recommendThreshold, rocCurve, total, type Histogram, type RocPoint } from './metrics.js';
import type { EvaluateResult } from './worker-task.js';

export const FPR_TARGETS = [0, 1e-4, 1e-3] as const;

export interface ThresholdPolicy {
  /** Impostor FPR the recommended threshold must not exceed on the corpus. */
  targetFpr: number;
  /** Target used when even threshold 0 exceeds targetFpr (identical hashes of different photos). */
  fallbackFpr: number;
  /** Fraction of that threshold given up as a safety margin (0 = none). */
  margin: number;
}

/**
 * The policy behind Rempart's default thresholds: no false positive on the corpus, less
 * a quarter as headroom for larger databases; 1e-4 where zero is unreachable.
 */
export const DEFAULT_POLICY: ThresholdPolicy = { targetFpr: 0, fallbackFpr: 1e-4, margin: 0.25 };

export interface AlgorithmResult {
  name: string;
  bits: number;
  dihedral: boolean;
  reference: boolean;
  rempartAlgorithm?: string;
  description: string;
  timing: { medianMsPerOriginal: number | undefined; meanMsPerVariant: number | undefined; hashed: number; failed: number };
  genuine: { overall: Histogram; byTransformation: Record<string, Histogram> };
  impostor: { all: Histogram; originals: Histogram; pairs: number; closest?: { a: string; b: string; distance: number } };
  atFpr: { target: number; threshold: number; recall: number; fpr: number }[];
  recommended: { threshold: number; recall: number; fpr: number; policy: ThresholdPolicy };
  perTransformation: Record<string, { recallAtFpr0: number; recallAtRecommended: number; medianDistance: number | undefined }>;
  roc: RocPoint[];
}

export interface PhotoResult {
  name: string;
  width: number;
  height: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Recomputes the recommendation of an analysed algorithm under another policy (no re-hashing). */
export function applyPolicy(result: AlgorithmResult, policy: ThresholdPolicy): AlgorithmResult {
  const threshold = recommendThreshold(result.impostor.all, policy.targetFpr, policy.margin, policy.fallbackFpr);
  const perTransformation = Object.fromEntries(
    Object.entries(result.perTransformation).map(([name, r]) => [name, { ...r, recallAtRecommended: recallAt(result.genuine.byTransformation[name]!, threshold) }]),
  );
  return {
    ...result,
    recommended: { threshold, recall: recallAt(result.genuine.overall, threshold), fpr: fprAt(result.impostor.all, threshold), policy },
    perTransformation,
  };
}

export function analyseAlgorithm(
  algorithm: EvaluatedAlgorithm,
  photos: readonly PhotoResult[],
  results: readonly EvaluateResult[],
  transformations: readonly string[],
  policy: ThresholdPolicy = DEFAULT_POLICY,
): AlgorithmResult {
  const perEntry = algorithm.dihedral ? 8 : 1;
  const entries: CodeEntry[] = [];
  const labels: string[] = [];
  const originalTimes: number[] = [];
  let timeSum = 0;
  let hashed = 0;
  let failed = 0;
  results.forEach((result, source) => {
    result.variants.forEach((variant) => {
      const hashes = variant.hashes[algorithm.hasher];
      if (!hashes) {
        failed++;
        return;
      }
      const index = variant.transformation === null ? 0 : 1 + transformations.indexOf(variant.transformation);
      entries.push({ source, variant: index, hashes: perEntry === 1 ? hashes.slice(0, 1) : hashes });
      labels.push(`${photos[source]?.name ?? source} / ${variant.transformation ?? 'original'}`);
      const ms = variant.timeMs[algorithm.hasher];
      if (ms !== undefined) {
        hashed++;
        timeSum += ms;
        if (variant.transformation === null) originalTimes.push(ms);
      }
    });
  });
  const codes = packCodes(algorithm.bits, perEntry, entries);
  const genuine = genuineHistograms(codes, transformations.length);
  const impostor = impostorHistograms(codes);

  const atFpr = FPR_TARGETS.map((target) => ({ target, ...recallAtFpr(genuine.overall, impostor.all, target) }));
  const threshold = recommendThreshold(impostor.all, policy.targetFpr, policy.margin, policy.fallbackFpr);
  const fpr0 = atFpr[0]!.threshold;
  const perTransformation: AlgorithmResult['perTransformation'] = {};
  const byTransformation: Record<string, Histogram> = {};
  transformations.forEach((name, i) => {
    const h = genuine.byTransformation[i]!;
    byTransformation[name] = h;
    perTransformation[name] = {
      recallAtFpr0: fpr0 < 0 ? 0 : recallAt(h, fpr0),
      recallAtRecommended: recallAt(h, threshold),
      medianDistance: quantile(h, 0.5),
    };
  });
  const closest = impostor.closest;
  const result: AlgorithmResult = {
    name: algorithm.name,
    bits: algorithm.bits,
    dihedral: algorithm.dihedral,
    reference: algorithm.reference,
    description: algorithm.description,
    timing: { medianMsPerOriginal: median(originalTimes), meanMsPerVariant: hashed ? timeSum / hashed : undefined, hashed, failed },
    genuine: { overall: genuine.overall, byTransformation },
    impostor: {
      all: impostor.all,
      originals: impostor.originals,
      pairs: total(impostor.all),
      ...(closest ? { closest: { a: labels[closest.a]!, b: labels[closest.b]!, distance: closest.distance } } : {}),
    },
    atFpr,
    recommended: { threshold, recall: recallAt(genuine.overall, threshold), fpr: fprAt(impostor.all, threshold), policy },
    perTransformation,
    roc: rocCurve(genuine.overall, impostor.all),
  };
  if (algorithm.rempartAlgorithm) result.rempartAlgorithm = algorithm.rempartAlgorithm;
  return result;
}

/** The transformations with the lowest recall at FPR 0, for one algorithm. */
export function hardestTransformations(result: AlgorithmResult, count = 3): { name: string; recall: number }[] {
  return Object.entries(result.perTransformation)
    .map(([name, r]) => ({ name, recall: r.recallAtFpr0 }))
    .sort((a, b) => a.recall - b.recall || a.name.localeCompare(b.name))
    .slice(0, count);
}

/** Transformations hardest for Rempart's best algorithm overall... and for everyone: lowest mean recall at FPR 0. */
export function hardestOverall(results: readonly AlgorithmResult[], count = 3): string[] {
  const names = Object.keys(results[0]?.perTransformation ?? {});
  const mean = (name: string): number => results.reduce((s, r) => s + (r.perTransformation[name]?.recallAtFpr0 ?? 0), 0) / results.length;
  return names.sort((a, b) => mean(a) - mean(b) || a.localeCompare(b)).slice(0, count);
}
