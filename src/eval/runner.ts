/**
 * Runs an evaluation: reads the operator's photos, sends each to an evaluation worker
 * (the evaluateImage task), then analyses the hashes. Image bytes go
 * from disk to a worker and die there; only hashes come back.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { basename } from 'node:path';
import { DEFAULT_MAX_QUEUE } from '../pipeline/options.js';
import { WorkerPool } from '../pipeline/worker-pool.js';
import { locateEvalWorker } from '../worker-location.js';
import { EVALUATED_ALGORITHMS, getEvaluatedAlgorithm, type EvaluatedAlgorithm, type HasherName } from './algorithms.js';
import { analyseAlgorithm, hardestOverall, type AlgorithmResult, type PhotoResult, type ThresholdPolicy, DEFAULT_POLICY } from './analyse.js';
import { listImageFiles, selectPhotos, DEFAULT_MIN_SIDE } from './corpus.js';
import { describeSteps, getTransformation, TRANSFORMATIONS } from './transforms.js';
import { EVALUATE_TASK, evaluateImage, type EvaluateResult, type EvaluateTask } from './worker-task.js';

/** Runs one evaluate task somewhere: a worker pool in production, in-process in tests. */
export interface TaskRunner {
  run(task: EvaluateTask, transfer: ArrayBuffer[]): Promise<EvaluateResult>;
  close(): Promise<void>;
}

/** A worker pool of its own (workers/eval.worker.ts), one thread per core. */
export function createPoolRunner(threads = availableParallelism()): TaskRunner {
  const pool = new WorkerPool({ filename: locateEvalWorker(), threads, maxQueue: DEFAULT_MAX_QUEUE, work: 'evaluation' });
  return {
    run: (task, transfer) => pool.run<EvaluateTask, EvaluateResult>(task, { name: EVALUATE_TASK, transferList: transfer }),
    close: () => pool.close(),
  };
}

export function createInProcessRunner(): TaskRunner {
  return { run: (task) => evaluateImage(task), close: async () => {} };
}

export interface EvalOptions {
  dir: string;
  runner: TaskRunner;
  /** Default: every transformation / every algorithm. */
  transformations?: readonly string[];
  algorithms?: readonly string[];
  maxSide?: number;
  minSide?: number;
  policy?: ThresholdPolicy;
  /** Called after each photo; (done, total, photo name). */
  onProgress?: (done: number, total: number, name: string) => void;
  /** Photos evaluated at once (keeps every worker busy without holding all bytes in memory). */
  concurrency?: number;
}

export interface EvalResults {
  version: 1;
  createdAt: string;
  runSeconds: number;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; os: string };
  corpus: { dir: string; photos: PhotoResult[]; skipped: { path: string; reason: string }[]; maxSide: number; minSide: number };
  transformations: { name: string; family: string; steps: string }[];
  algorithms: AlgorithmResult[];
  hardestTransformations: string[];
  errors: string[];
}

export const DEFAULT_MAX_SIDE = 1024;

export async function runEvaluation(options: EvalOptions): Promise<EvalResults> {
  const started = performance.now();
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  const minSide = options.minSide ?? DEFAULT_MIN_SIDE;
  const transformations = (options.transformations ?? TRANSFORMATIONS.map((t) => t.name)).map(getTransformation);
  const algorithms: EvaluatedAlgorithm[] = (options.algorithms ?? EVALUATED_ALGORITHMS.map((a) => a.name)).map(getEvaluatedAlgorithm);
  const hashers = [...new Set(algorithms.map((a) => a.hasher))] as HasherName[];
  const selection = await selectPhotos(listImageFiles(options.dir), minSide);
  if (selection.photos.length < 2) throw new Error(`${options.dir} holds ${selection.photos.length} usable photo(s); impostor pairs need at least 2`);

  const results: EvaluateResult[] = new Array(selection.photos.length);
  const photos: PhotoResult[] = new Array(selection.photos.length);
  const errors: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < selection.photos.length; i = next++) {
      const photo = selection.photos[i]!;
      const bytes = new Uint8Array(readFileSync(photo.path));
      const task: EvaluateTask = { bytes, transformations: transformations.map((t) => t.name), hashers, maxSide };
      const result = await options.runner.run(task, [bytes.buffer as ArrayBuffer]);
      results[i] = result;
      photos[i] = { name: basename(photo.path), width: result.width, height: result.height };
      for (const v of result.variants) for (const e of v.errors ?? []) errors.push(`${basename(photo.path)} / ${v.transformation ?? 'original'}: ${e}`);
      options.onProgress?.(++done, selection.photos.length, basename(photo.path));
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? availableParallelism() * 2);
  await Promise.all(Array.from({ length: Math.min(concurrency, selection.photos.length) }, worker));

  const names = transformations.map((t) => t.name);
  const analysed = algorithms.map((a) => analyseAlgorithm(a, photos, results, names, options.policy ?? DEFAULT_POLICY));
  const cpu = cpus()[0]?.model ?? 'unknown';
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    runSeconds: (performance.now() - started) / 1000,
    machine: { cpu, cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, os: `${platform()} ${release()}` },
    corpus: { dir: options.dir, photos, skipped: selection.skipped, maxSide, minSide },
    transformations: transformations.map((t) => ({ name: t.name, family: t.family, steps: describeSteps(t.steps) })),
    algorithms: analysed,
    hardestTransformations: hardestOverall(analysed),
    errors,
  };
}
