/** Where the web page's sources and built files live, from either src/ (tests) or dist/ (built). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this module whose package.json is Rempart's. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'rempart') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Rempart repository root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Sources of the page (TypeScript, HTML, CSS). */
export function webSourceDir(): string {
  return join(repoRoot(), 'src', 'web', 'client');
}

/** The built page served at `/`. */
export function defaultWebRoot(): string {
  return join(repoRoot(), 'dist', 'web');
}

/** The built analysts' console, served at /console/ on the operators' listener. */
export function defaultConsoleRoot(): string {
  return join(repoRoot(), 'dist', 'console');
}
