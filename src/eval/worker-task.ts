/**
 * The evaluation's worker task (piscina name EVALUATE_TASK): one original in, hashes
 * and timings out. Variants live only in this worker's memory; no image bytes are
 * returned, logged or written anywhere.
 */
import { HASHER_NAMES, type HasherName } from './algorithms.js';
import { runHasher } from './hashers.js';
import { applyTransformation, encodeLossless, getTransformation, loadWorkingCopy } from './transforms.js';

export const EVALUATE_TASK = 'evaluateImage';

export interface EvaluateTask {
  /** The original's file bytes (transferred). */
  bytes: Uint8Array;
  /** Transformation names (see TRANSFORMATIONS). */
  transformations: string[];
  hashers: HasherName[];
  /** Originals are shrunk to fit this many pixels per side before the suite runs. */
  maxSide: number;
}

export interface VariantHashes {
  /** null for the original (the registered image). */
  transformation: string | null;
  /** Per hasher: own hash first, then dihedral hashes when the hasher has them. */
  hashes: Partial<Record<HasherName, string[]>>;
  /** Per hasher: milliseconds to hash this variant's bytes (decode included). */
  timeMs: Partial<Record<HasherName, number>>;
  /** Why a hasher or the transformation failed (never contains image data). */
  errors?: string[];
}

export interface EvaluateResult {
  /** Size of the working copy the suite started from. */
  width: number;
  height: number;
  variants: VariantHashes[];
}

function checkTask(task: EvaluateTask): void {
  if (!(task.bytes instanceof Uint8Array) || task.bytes.byteLength === 0) throw new TypeError('task.bytes must be a non-empty Uint8Array');
  for (const name of task.hashers) if (!HASHER_NAMES.includes(name)) throw new RangeError(`task.hashers has unknown hasher "${name}"`);
  if (!Number.isInteger(task.maxSide) || task.maxSide < 32) throw new RangeError(`task.maxSide must be an integer >= 32, got ${task.maxSide}`);
}

async function hashVariant(bytes: Buffer, transformation: string | null, hashers: readonly HasherName[]): Promise<VariantHashes> {
  const result: VariantHashes = { transformation, hashes: {}, timeMs: {} };
  for (const hasher of hashers) {
    const start = performance.now();
    try {
      result.hashes[hasher] = await runHasher(hasher, bytes);
      result.timeMs[hasher] = performance.now() - start;
    } catch (error) {
      (result.errors ??= []).push(`${hasher}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return result;
}

export async function evaluateImage(task: EvaluateTask): Promise<EvaluateResult> {
  checkTask(task);
  const transformations = task.transformations.map(getTransformation);
  const working = await loadWorkingCopy(task.bytes, task.maxSide);
  const variants: VariantHashes[] = [await hashVariant(await encodeLossless(working), null, task.hashers)];
  for (const transformation of transformations) {
    let encoded: Buffer;
    try {
      encoded = (await applyTransformation(working, transformation)).bytes;
    } catch (error) {
      variants.push({ transformation: transformation.name, hashes: {}, timeMs: {}, errors: [`transform: ${error instanceof Error ? error.message : String(error)}`] });
      continue;
    }
    variants.push(await hashVariant(encoded, transformation.name, task.hashers));
  }
  return { width: working.width, height: working.height, variants };
}
