/**
 * The reference-vector suites (../shared/vectors) skip with a message in a user's clone
 * without ../shared, but fail under CI=true, where ../shared is always there: a CI run
 * that checked nothing must not pass. The folder is found from the test files, not from
 * the working directory.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cloneWithoutShared, runVitest } from './helpers/clone.js';
import { REPO_ROOT } from './helpers/process.js';
import { underCI, VECTORS_DIR, vectorsAvailable } from './helpers/vectors.js';

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
  it('skip with a message outside CI, and fail under CI=true', async () => {
    const root = cloneWithoutShared();
    expect(existsSync(path.join(root, '..', 'shared'))).toBe(false);
    const [user, ci] = await Promise.all([runVitest(root, VECTOR_SUITES, { ci: false }), runVitest(root, VECTOR_SUITES, { ci: true })]);
    expect(user.code, user.output).toBe(0);
    expect(user.output).toContain('reference vectors missing');
    expect(ci.code).not.toBe(0);
    expect(ci.output).toContain('under CI they must be there');
    expect(ci.output).toMatch(/3 failed/);
  });
});
