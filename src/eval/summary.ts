/**
 * The small summaries committed with the code (bench/results/eval-summary.json and
 * eval.md): headline figures only, no histograms, no image names beyond the closest
 * impostor pair.
 */
import { hardestTransformations, type AlgorithmResult } from './analyse.js';
import type { EvalResults } from './runner.js';

export interface AlgorithmSummary {
  name: string;
  bits: number;
  reference: boolean;
  recallAtFpr: { fpr: number; threshold: number; recall: number }[];
  recommendedThreshold: number;
  recallAtRecommended: number;
  hardest: { name: string; recall: number }[];
  msPerImage: number | undefined;
  closestImpostorDistance: number | undefined;
}

export function summarise(results: EvalResults): {
  createdAt: string;
  runSeconds: number;
  machine: EvalResults['machine'];
  photos: number;
  variantsPerPhoto: number;
  impostorPairs: number;
  maxSide: number;
  policy: AlgorithmResult['recommended']['policy'] | undefined;
  hardestTransformations: string[];
  algorithms: AlgorithmSummary[];
} {
  return {
    createdAt: results.createdAt,
    runSeconds: Math.round(results.runSeconds),
    machine: results.machine,
    photos: results.corpus.photos.length,
    variantsPerPhoto: results.transformations.length,
    impostorPairs: results.algorithms[0]?.impostor.pairs ?? 0,
    maxSide: results.corpus.maxSide,
    policy: results.algorithms[0]?.recommended.policy,
    hardestTransformations: results.hardestTransformations,
    algorithms: results.algorithms.map((a) => ({
      name: a.name,
      bits: a.bits,
      reference: a.reference,
      recallAtFpr: a.atFpr.map((p) => ({ fpr: p.target, threshold: p.threshold, recall: round(p.recall) })),
      recommendedThreshold: a.recommended.threshold,
      recallAtRecommended: round(a.recommended.recall),
      hardest: hardestTransformations(a).map((h) => ({ name: h.name, recall: round(h.recall) })),
      msPerImage: a.timing.medianMsPerOriginal === undefined ? undefined : Math.round(a.timing.medianMsPerOriginal * 10) / 10,
      closestImpostorDistance: a.impostor.closest?.distance,
    })),
  };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** Markdown tables: headline per algorithm, then recall on the hardest transformations. */
export function summaryMarkdown(results: EvalResults): string {
  const s = summarise(results);
  const lines: string[] = [];
  lines.push(`# Rempart evaluation: ${s.photos} photos × ${s.variantsPerPhoto} transformations`, '');
  lines.push(
    `Run ${s.createdAt} in ${s.runSeconds} s on ${s.machine.cpu} (${s.machine.cores} cores, Node ${s.machine.node}); ` +
      `originals shrunk to ≤ ${s.maxSide} px; ${s.impostorPairs.toLocaleString('en')} impostor pairs per algorithm.`,
    '',
  );
  lines.push('| algorithm | bits | recall @ FPR 0 (t) | recall @ FPR 1e-4 (t) | recall @ FPR 1e-3 (t) | recommended threshold | recall there | ms / image |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const a of s.algorithms) {
    const cells = a.recallAtFpr.map((p) => `${pct(p.recall)} (${p.threshold})`);
    const name = a.reference ? `${a.name} (reference)` : `**${a.name}**`;
    lines.push(`| ${name} | ${a.bits} | ${cells.join(' | ')} | ${a.recommendedThreshold} | ${pct(a.recallAtRecommended)} | ${a.msPerImage ?? '–'} |`);
  }
  lines.push('', `Hardest transformations (lowest mean recall at FPR 0 over all algorithms): ${s.hardestTransformations.join(', ')}.`, '');
  lines.push(`| algorithm | ${s.hardestTransformations.join(' | ')} | its own three hardest |`);
  lines.push(`|---|${s.hardestTransformations.map(() => '---').join('|')}|---|`);
  for (const a of results.algorithms) {
    const own = hardestTransformations(a).map((h) => `${h.name} ${pct(h.recall)}`).join(', ');
    lines.push(`| ${a.name} | ${s.hardestTransformations.map((t) => pct(a.perTransformation[t]?.recallAtFpr0 ?? 0)).join(' | ')} | ${own} |`);
  }
  lines.push('', 'Recall = share of (original, variant) pairs matched; FPR = share of pairs of different photos matched; t = Hamming threshold in the algorithm\'s own bits.', '');
  return lines.join('\n');
}
