import { describe, expect, it } from 'vitest';
import {
  addInto,
  countAtOrBelow,
  fprAt,
  histogram,
  minDistance,
  quantile,
  recallAt,
  recallAtFpr,
  recommendThreshold,
  rocCurve,
  thresholdAtFpr,
  total,
} from '../src/eval/metrics.js';

// 8-bit toy algorithm. Genuine distances: 0,1,1,2,5 ; impostor distances: 3,4,4,6,7,7,8,8,8,8
const genuine = histogram([0, 1, 1, 2, 5], 8);
const impostor = histogram([3, 4, 4, 6, 7, 7, 8, 8, 8, 8], 8);

describe('histograms', () => {
  it('counts distances into bits + 1 bins', () => {
    expect(genuine).toEqual([1, 2, 1, 0, 0, 1, 0, 0, 0]);
    expect(total(impostor)).toBe(10);
    expect(countAtOrBelow(impostor, 4)).toBe(3);
  });

  it('rejects distances outside 0..bits', () => {
    expect(() => histogram([9], 8)).toThrow(RangeError);
    expect(() => histogram([-1], 8)).toThrow(RangeError);
  });

  it('adds histograms bin by bin', () => {
    const sum = [...genuine];
    addInto(sum, impostor);
    expect(sum).toEqual([1, 2, 1, 1, 2, 1, 1, 2, 4]);
  });
});

describe('recall and false-positive rate', () => {
  it('recall at a threshold counts genuine pairs at distance ≤ t', () => {
    expect(recallAt(genuine, 0)).toBe(1 / 5);
    expect(recallAt(genuine, 2)).toBe(4 / 5);
    expect(recallAt(genuine, 4)).toBe(4 / 5);
    expect(recallAt(genuine, 5)).toBe(1);
  });

  it('FPR at a threshold counts impostor pairs at distance ≤ t', () => {
    expect(fprAt(impostor, 2)).toBe(0);
    expect(fprAt(impostor, 3)).toBe(1 / 10);
    expect(fprAt(impostor, 4)).toBe(3 / 10);
    expect(fprAt(impostor, 8)).toBe(1);
  });

  it('the ROC has one point per threshold, monotone in both axes', () => {
    const roc = rocCurve(genuine, impostor);
    expect(roc).toHaveLength(9);
    expect(roc[3]).toEqual({ threshold: 3, fpr: 0.1, recall: 0.8 });
    expect(roc[5]).toEqual({ threshold: 5, fpr: 0.3, recall: 1 });
  });
});

describe('thresholds at a target FPR', () => {
  it('at FPR 0, the threshold is one below the closest impostor', () => {
    expect(minDistance(impostor)).toBe(3);
    expect(thresholdAtFpr(impostor, 0)).toBe(2);
    expect(recallAtFpr(genuine, impostor, 0)).toEqual({ threshold: 2, recall: 0.8, fpr: 0 });
  });

  it('a looser target admits the largest threshold still within it', () => {
    // FPR(3) = 0.1, FPR(4..5) = 0.3, FPR(6) = 0.4
    expect(thresholdAtFpr(impostor, 0.1)).toBe(3);
    expect(thresholdAtFpr(impostor, 0.29)).toBe(3);
    expect(thresholdAtFpr(impostor, 0.3)).toBe(5);
    expect(recallAtFpr(genuine, impostor, 0.3)).toEqual({ threshold: 5, recall: 1, fpr: 0.3 });
  });

  it('returns −1 and recall 0 when an impostor sits at distance 0', () => {
    const bad = histogram([0, 5], 8);
    expect(thresholdAtFpr(bad, 0)).toBe(-1);
    expect(recallAtFpr(genuine, bad, 0)).toEqual({ threshold: -1, recall: 0, fpr: 0 });
  });

  it('the recommended threshold takes a safety margin off the target threshold', () => {
    expect(recommendThreshold(impostor, 0, 0)).toBe(2);
    expect(recommendThreshold(impostor, 0.3, 0.2)).toBe(4); // round(5 × 0.8)
    expect(recommendThreshold(impostor, 0, 0.25)).toBe(2); // round(2 × 0.75) = round(1.5)
    expect(recommendThreshold(histogram([0], 8), 0, 0)).toBe(0);
    // An impostor at distance 0 makes FPR 0 unreachable: the fallback target applies.
    const framed = histogram([0, 6, 7, 7, 8, 8, 8, 8, 8, 8], 8); // FPR(0..5) = 0.1
    expect(recommendThreshold(framed, 0, 0, 0.1)).toBe(5);
    expect(recommendThreshold(framed, 0, 0.25, 0.1)).toBe(4); // round(3.75)
  });

  it('quantiles read the distribution', () => {
    expect(quantile(genuine, 0.5)).toBe(1);
    expect(quantile(impostor, 0.5)).toBe(7);
    expect(quantile(histogram([], 8), 0.5)).toBeUndefined();
  });
});
