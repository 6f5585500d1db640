import { RempartError } from '../errors.js';
import { hashImageBytes } from './hash-image.js';
import type { HashTask, HashTaskResult, TaskResult } from './messages.js';

/**
 * Runs a worker task and turns an expected failure (RempartError) into data that can
 * cross the thread boundary. Anything else is a bug: it is rethrown, and piscina
 * rejects the caller's promise with its message (which never holds image bytes).
 */
export async function settle<T>(work: () => Promise<T>): Promise<TaskResult<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    if (error instanceof RempartError) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

export function runHashTask(task: HashTask): Promise<HashTaskResult> {
  return settle(() =>
    hashImageBytes(
      task.bytes,
      { algorithms: task.algorithms, dihedral: task.dihedral, ...(task.profile ? { profile: task.profile } : {}) },
      task.limits,
    ),
  );
}

/** Main-thread side: a failed result becomes a RempartError again. */
export function unwrapResult<T>(result: TaskResult<T>): T {
  if (result.ok) return result.value;
  throw new RempartError(result.code, result.message);
}
