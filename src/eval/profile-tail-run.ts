/**
 * Runs the brute-force impostor tail (profile-tail.ts) of `rempart eval-profile` on the
 * evaluation's worker threads: the registered bank in shared memory, one task per chunk of
 * uploads, counts added as they come back. Nothing but histograms crosses back.
 */
import { availableParallelism } from 'node:os';
import { WorkerPool } from '../pipeline/worker-pool.js';
import { locateEvalWorker } from '../worker-location.js';
import { getProfile } from '../hashing/profile/profile.js';
import { photoLike, registrable, type CorpusEntry } from './profile-analysis.js';
import { shippedRule, type Thresholds } from './profile-rules.js';
import { addCounts, emptyCounts, MARGIN_TAIL_TASK, nameListed, pathThresholds, summariseTail, tailInputs, tailShape, type ListedPair, type TailCounts, type TailSummary } from './profile-tail.js';

export interface TailRunOptions {
  profile: string;
  thresholds?: Thresholds;
  /** Margins are counted out to this many bits above the thresholds. */
  reach: number;
  /** 'photo-like': only photo-like registered pictures are scanned (the headline bank, a third of the code pairs); 'all': every registrable picture. */
  bank: 'photo-like' | 'all';
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Close set pairs listed per path (to name the closest picture pairs): margins up to this. */
const LIST_BELOW = 24;

export async function runImpostorTail(entries: readonly CorpusEntry[], options: TailRunOptions): Promise<TailSummary> {
  const profile = getProfile(options.profile);
  const rule = shippedRule(profile);
  const thresholds = pathThresholds(rule, options.thresholds ?? { ...profile.thresholds });
  const keep = options.bank === 'all' ? () => true : (e: CorpusEntry) => photoLike(e.result.registered);
  const inputs = tailInputs(entries, rule, (s) => registrable(s), (s) => photoLike(s), keep, 400, true);
  const agreement = { agreeScale: rule.twoRegions!.agreeScale, agreeOffset: rule.twoRegions!.agreeOffset };
  const total = emptyCounts(inputs.bank, 0, tailShape(thresholds, options.reach));
  const byUpload: Uint32Array[] = new Array(inputs.chunks.length);
  const listed: ListedPair[] = [];
  const threads = options.threads ?? availableParallelism();
  const pool = new WorkerPool({ filename: locateEvalWorker(), threads, maxQueue: inputs.chunks.length + 1, work: 'evaluation' });
  const started = performance.now();
  let done = 0;
  try {
    await Promise.all(
      inputs.chunks.map(async (chunk, c) => {
        const counts = await pool.run<unknown, TailCounts>({ bank: inputs.bank, queries: chunk.queries, thresholds, reach: options.reach, agreement, listBelow: LIST_BELOW }, { name: MARGIN_TAIL_TASK });
        addCounts(total, counts);
        byUpload[c] = counts.byUpload;
        listed.push(...nameListed(counts.nearest, chunk.queries, chunk.pictures, inputs.registered, inputs.bank));
        options.onProgress?.(++done, inputs.chunks.length);
      }),
    );
  } finally {
    await pool.close();
  }
  const only = options.bank === 'all' ? undefined : (['photo-like'] as const);
  return summariseTail(total, byUpload, inputs.bank, thresholds, options.reach, (performance.now() - started) / 1000, undefined, only, listed);
}
