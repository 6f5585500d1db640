/**
 * Reading a video evaluation: recall per transformation family and false matches for a
 * matching policy, the search for the policy with no false match and the best recall,
 * and how the whole-video summaries alone would do.
 */
import { type PairRecord, type RegistrationDensity, type VideoEvalResults } from './runner.js';

export interface PolicyChoice {
  frameThreshold: number;
  minSeconds: number;
  minShare: number;
  dihedral: boolean;
  /** Registered side's sampling; default the service's (SERVICE_DENSITY: 2.5 a second and cut frames). */
  density?: RegistrationDensity;
}

/** The service's registration in this run (older results: what the service did then). */
export function serviceDensityOf(results: VideoEvalResults): RegistrationDensity {
  return results.serviceDensity ?? '1fps';
}

function pairsAt(results: VideoEvalResults, density: RegistrationDensity = serviceDensityOf(results)): PairRecord[] {
  return results.pairs.filter((p) => (p.density ?? '1fps') === density);
}

export interface FamilyRecall {
  family: string;
  queries: number;
  matched: number;
  recall: number;
}

export interface PolicyOutcome {
  choice: PolicyChoice;
  families: FamilyRecall[];
  /** Queries matched to their own video, over all queries. */
  recall: number;
  /** Impostor pairs (query, other video) that matched. */
  falseMatches: number;
  impostorPairs: number;
  /** A few of them, "query → video". */
  falseMatchExamples: string[];
}

function matches(pair: PairRecord, index: number, choice: PolicyChoice): boolean {
  const [matched, seconds] = (choice.dihedral ? pair.dihedral : pair.plain)[index]!;
  if (seconds === 0 || matched === 0) return false;
  return matched >= Math.min(choice.minSeconds, seconds) && matched / seconds >= choice.minShare;
}

export function evaluatePolicy(results: VideoEvalResults, choice: PolicyChoice): PolicyOutcome {
  const index = results.thresholds.indexOf(choice.frameThreshold);
  if (index < 0) throw new RangeError(`frame threshold ${choice.frameThreshold} was not measured (${results.thresholds.join(', ')})`);
  const found = new Array<boolean>(results.queries.length).fill(false);
  let falseMatches = 0;
  let impostorPairs = 0;
  const examples: string[] = [];
  for (const pair of pairsAt(results, choice.density)) {
    const hit = matches(pair, index, choice);
    if (pair.genuine) {
      if (hit) found[pair.query] = true;
    } else {
      impostorPairs++;
      if (hit) {
        falseMatches++;
        if (examples.length < 10) examples.push(`${results.queries[pair.query]!.name} → ${results.registered[pair.reference]!.name}`);
      }
    }
  }
  const families = new Map<string, FamilyRecall>();
  results.queries.forEach((query, q) => {
    const row = families.get(query.family) ?? { family: query.family, queries: 0, matched: 0, recall: 0 };
    row.queries++;
    if (found[q]) row.matched++;
    families.set(query.family, row);
  });
  for (const row of families.values()) row.recall = row.queries === 0 ? 0 : row.matched / row.queries;
  const matchedAll = found.filter(Boolean).length;
  return {
    choice,
    families: [...families.values()],
    recall: results.queries.length === 0 ? 0 : matchedAll / results.queries.length,
    falseMatches,
    impostorPairs,
    falseMatchExamples: examples,
  };
}

/** Per transformation (not family): recall under a policy. */
export function recallByTransformation(results: VideoEvalResults, choice: PolicyChoice): { transformation: string; family: string; queries: number; recall: number }[] {
  const index = results.thresholds.indexOf(choice.frameThreshold);
  const found = new Set<number>();
  for (const pair of pairsAt(results, choice.density)) if (pair.genuine && matches(pair, index, choice)) found.add(pair.query);
  const rows = new Map<string, { transformation: string; family: string; queries: number; matched: number }>();
  results.queries.forEach((query, q) => {
    const row = rows.get(query.transformation) ?? { transformation: query.transformation, family: query.family, queries: 0, matched: 0 };
    row.queries++;
    if (found.has(q)) row.matched++;
    rows.set(query.transformation, row);
  });
  return [...rows.values()].map((r) => ({ transformation: r.transformation, family: r.family, queries: r.queries, recall: r.matched / r.queries }));
}

export const POLICY_GRID = {
  minSeconds: [1, 2, 3],
  minShare: [0.05, 0.1, 0.2, 0.3, 0.5],
};

/**
 * Every policy of the grid, best first: no false match before any false match, then the
 * higher worst-family recall, then the higher overall recall, then the stricter policy.
 */
export function searchPolicies(results: VideoEvalResults, dihedral: boolean): PolicyOutcome[] {
  const outcomes: PolicyOutcome[] = [];
  for (const frameThreshold of results.thresholds) {
    for (const minSeconds of POLICY_GRID.minSeconds) {
      for (const minShare of POLICY_GRID.minShare) outcomes.push(evaluatePolicy(results, { frameThreshold, minSeconds, minShare, dihedral }));
    }
  }
  const worst = (o: PolicyOutcome) => Math.min(...o.families.map((f) => f.recall));
  return outcomes.sort(
    (a, b) =>
      Number(a.falseMatches > 0) - Number(b.falseMatches > 0) ||
      worst(b) - worst(a) ||
      b.recall - a.recall ||
      a.choice.frameThreshold - b.choice.frameThreshold ||
      b.choice.minShare - a.choice.minShare,
  );
}

export interface SummaryOutcome {
  measure: 'hamming' | 'hamming-dihedral' | 'cosine';
  /** Threshold at which no impostor pair matches (distance ≤ t, or cosine ≥ t). */
  threshold: number | null;
  families: FamilyRecall[];
}

/** How each summary comparison alone would do at zero false matches on the corpus. */
export function summaryAnalysis(results: VideoEvalResults): SummaryOutcome[] {
  const measures: SummaryOutcome['measure'][] = ['hamming', 'hamming-dihedral', 'cosine'];
  return measures.map((measure) => {
    const value = (p: PairRecord) => (measure === 'hamming' ? p.summaryDistance : measure === 'hamming-dihedral' ? p.summaryDistanceDihedral : p.summaryCosine);
    const pairs = pairsAt(results);
    const impostors = pairs.filter((p) => !p.genuine && value(p) !== null).map((p) => value(p)!);
    let threshold: number | null = null;
    if (measure === 'cosine') threshold = impostors.length ? Math.max(...impostors) + 1e-4 : null;
    else threshold = impostors.length ? Math.min(...impostors) - 1 : null;
    const found = new Set<number>();
    if (threshold !== null) {
      for (const p of pairs) {
        const v = value(p);
        if (!p.genuine || v === null) continue;
        if (measure === 'cosine' ? v >= threshold : v <= threshold) found.add(p.query);
      }
    }
    const families = new Map<string, FamilyRecall>();
    results.queries.forEach((query, q) => {
      if (query.family === 'still-image') return; // a still has no summary
      const row = families.get(query.family) ?? { family: query.family, queries: 0, matched: 0, recall: 0 };
      row.queries++;
      if (found.has(q)) row.matched++;
      families.set(query.family, row);
    });
    for (const row of families.values()) row.recall = row.matched / row.queries;
    return { measure, threshold, families: [...families.values()] };
  });
}
