/**
 * A checkout of this project in a temporary folder with nothing beside it (no ../shared):
 * its own copy of test/, everything else linked. Used to run vitest itself the way CI
 * does, and read its exit code.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './process.js';

const execFileAsync = promisify(execFile);

export function cloneWithoutShared(): string {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'rempart-clone-')), 'rempart');
  cpSync(path.join(REPO_ROOT, 'test'), path.join(root, 'test'), { recursive: true });
  for (const entry of ['node_modules', 'src', 'workers', 'dist', 'package.json', 'tsconfig.json', 'vitest.config.ts']) {
    symlinkSync(path.join(REPO_ROOT, entry), path.join(root, entry));
  }
  return root;
}

/** `vitest run FILES` in `root`, started from another folder, with CI set or not. */
export async function runVitest(root: string, files: readonly string[], options: { ci: boolean }): Promise<{ code: number; output: string }> {
  // Not the variables of the vitest running this test: the child is a run of its own.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'CI'));
  try {
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', root, ...files],
      { cwd: os.tmpdir(), env: { ...env, ...(options.ci ? { CI: 'true' } : {}) }, maxBuffer: 16 * 1024 * 1024 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}
