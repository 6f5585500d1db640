/**
 * The reference vectors in ../shared/vectors (read in place, never copied into the
 * project), found from this file rather than the working directory, so a test run from
 * any folder finds them.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'vectors');

/** CI sets CI=true (GitHub Actions, GitLab, this project's .ci/run): there ../shared is always present. */
export function underCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/**
 * Whether a suite that needs the vectors can run. When `required` paths (relative to the
 * vectors folder) are missing: in a user's clone, warns and returns false (the suite
 * skips); under CI, throws, so the test file fails instead of passing with nothing checked.
 */
export function vectorsAvailable(
  suite: string,
  required: readonly string[],
  options: { root?: string; env?: NodeJS.ProcessEnv } = {},
): boolean {
  const root = options.root ?? VECTORS_DIR;
  const missing = required.map((relative) => path.join(root, relative)).filter((file) => !existsSync(file));
  if (missing.length === 0) return true;
  const message = `${suite}: reference vectors missing (${missing.join(', ')})`;
  if (underCI(options.env)) throw new Error(`${message}; under CI they must be there (../shared/vectors beside the project)`);
  console.warn(`${message}; skipped`);
  return false;
}
