import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled workers, relative to the package root. */
export const WORKERS_DIR = join('dist', 'workers');

/** Walks up from `start` to the first folder holding a package.json. */
export function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${start}`);
    dir = parent;
  }
}

/**
 * Finds dist/workers/<name> whether this module runs from dist/ (production) or from the
 * TypeScript sources (vitest): workers are always the compiled file.
 */
export function locateWorker(name: string, from: string = fileURLToPath(import.meta.url)): string {
  const file = join(findPackageRoot(dirname(from)), WORKERS_DIR, name);
  if (!existsSync(file)) throw new Error(`worker not found at ${file}: run npm run build`);
  return file;
}

/** The image hashing worker (piscina). */
export function locateHashWorker(from?: string): string {
  return locateWorker('hash.worker.js', from);
}

/** The evaluation worker of `rempart eval` (piscina). */
export function locateEvalWorker(from?: string): string {
  return locateWorker('eval.worker.js', from);
}
