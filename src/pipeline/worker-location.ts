import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled worker, relative to the package root. */
export const WORKER_PATH = join('dist', 'workers', 'hash.worker.js');

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
 * Finds dist/workers/hash.worker.js whether this module runs from dist/ (production)
 * or from the TypeScript sources (vitest): workers are always the compiled file.
 */
export function locateHashWorker(from: string = fileURLToPath(import.meta.url)): string {
  const file = join(findPackageRoot(dirname(from)), WORKER_PATH);
  if (!existsSync(file)) throw new Error(`hash worker not found at ${file}: run npm run build`);
  return file;
}
