/**
 * The reference-vector suites (../shared/vectors) skip with a message in a user's clone
 * without ../shared, but fail under CI=true, where ../shared is always there: a CI run
 * that checked nothing must not pass. The folder is found from the test files, not from
 * the working directory.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from './helpers/process.js';
import { underCI, VECTORS_DIR, vectorsAvailable } from './helpers/vectors.js';

const execFileAsync = promisify(execFile);
const VECTOR_SUITES = ['test/pdq.test.ts', 'test/pdq-pipeline.test.ts', 'test/blockhash-vectors.test.ts'];

describe('vectorsAvailable', () => {
  const nowhere = path.join(os.tmpdir(), 'rempart-no-vectors-here');

  it('finds ../shared/vectors beside the project, whatever the working directory', () => {
    expect(VECTORS_DIR).toBe(path.resolve(REPO_ROOT, '..', 'shared', 'vectors'));
    expect(vectorsAvailable('here', ['pdq/manifest.json', 'blockhash'])).toBe(true);
  });

  it('skips with a warning naming what is missing, outside CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(vectorsAvailable('some suite', ['pdq/manifest.json'], { root: nowhere, env: {} })).toBe(false);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`some suite: reference vectors missing (${path.join(nowhere, 'pdq/manifest.json')})`));
    } finally {
      warn.mockRestore();
    }
  });

  it('throws under CI', () => {
    expect(() => vectorsAvailable('some suite', ['blockhash'], { root: nowhere, env: { CI: 'true' } })).toThrow(/under CI they must be there/);
  });

  it('reads CI the way CI services set it', () => {
    expect(['true', '1', 'TRUE', 'yes'].map((CI) => underCI({ CI }))).toEqual([true, true, true, true]);
    expect(['', 'false', '0'].map((CI) => underCI({ CI })).concat(underCI({}))).toEqual([false, false, false, false]);
  });
});

describe('the vector suites in a clone without ../shared', () => {
  /** A checkout in a folder with no ../shared beside it: its own test/, the rest linked. */
  function cloneWithoutShared(): string {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'rempart-clone-')), 'rempart');
    cpSync(path.join(REPO_ROOT, 'test'), path.join(root, 'test'), { recursive: true });
    for (const entry of ['node_modules', 'src', 'workers', 'dist', 'package.json', 'tsconfig.json', 'vitest.config.ts']) {
      symlinkSync(path.join(REPO_ROOT, entry), path.join(root, entry));
    }
    expect(existsSync(path.join(root, '..', 'shared'))).toBe(false);
    return root;
  }

  async function vitest(root: string, ci: boolean): Promise<{ code: number; output: string }> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'CI'));
    try {
      const { stdout, stderr } = await execFileAsync(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', root, ...VECTOR_SUITES],
        // Started from another folder: the suites must find (or miss) ../shared from their own files.
        { cwd: os.tmpdir(), env: { ...env, ...(ci ? { CI: 'true' } : {}) }, maxBuffer: 16 * 1024 * 1024 },
      );
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, output: e.stdout + e.stderr };
    }
  }

  it('skip with a message outside CI, and fail under CI=true', async () => {
    const root = cloneWithoutShared();
    const [user, ci] = await Promise.all([vitest(root, false), vitest(root, true)]);
    expect(user.code, user.output).toBe(0);
    expect(user.output).toContain('reference vectors missing');
    expect(ci.code).not.toBe(0);
    expect(ci.output).toContain('under CI they must be there');
    expect(ci.output).toMatch(/3 failed/);
  });
});
