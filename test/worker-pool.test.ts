/**
 * A worker thread that fails must fail its tasks, never the process: WorkerPool (the
 * hashing and evaluation pools) on real worker threads running small worker files.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { markAsUntransferable } from 'node:worker_threads';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { RempartError } from '../src/errors.js';
import { WorkerPool } from '../src/pipeline/worker-pool.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-worker-pool-'));

function workerFile(name: string, source: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return file;
}

const BROKEN = `import 'rempart-no-such-package';\nexport default () => 'unreachable';\n`;
const WORKING = `export default async (task) => {
  if (task === 'bug') throw new TypeError('a bug in the task');
  if (task === 'exit') process.exit(3);
  if (task === 'slow') await new Promise((resolve) => setTimeout(resolve, 300));
  return 'done ' + task;
};\n`;

const pools: WorkerPool[] = [];
function pool(filename: string, options: { threads?: number; maxQueue?: number; restartDelayMs?: number } = {}) {
  const failures: Error[] = [];
  const created = new WorkerPool({
    filename,
    threads: options.threads ?? 1,
    maxQueue: options.maxQueue ?? 8,
    work: 'test work',
    restartDelayMs: options.restartDelayMs ?? 60_000,
    onWorkerFailure: (error) => failures.push(error),
  });
  pools.push(created);
  return { pool: created, failures };
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function rejection(promise: Promise<unknown>): Promise<RempartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RempartError);
  return error as RempartError;
}

describe('WorkerPool', () => {
  it('runs tasks on a healthy worker', async () => {
    const { pool: p } = pool(workerFile('ok.mjs', WORKING));
    expect(await p.run('a')).toBe('done a');
  });

  it('fails every task with WORKER_FAILED (503) when the worker file cannot load, and reports the cause', async () => {
    const { pool: p, failures } = pool(workerFile('broken.mjs', BROKEN), { threads: 2 });
    const errors = await Promise.all([1, 2, 3, 4].map((i) => rejection(p.run(i))));
    for (const error of errors) {
      expect(error.code).toBe('WORKER_FAILED');
      expect(error.statusCode).toBe(503);
      expect(error.message).toMatch(/^test work (failed|is unavailable)/);
    }
    await expect.poll(() => failures.length).toBeGreaterThan(0);
    expect(failures[0]!.message).toContain('rempart-no-such-package');
    // Later tasks are refused at once instead of queueing behind workers that never start.
    const started = Date.now();
    expect((await rejection(p.run(5))).code).toBe('WORKER_FAILED');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('starts new workers after the restart delay, and recovers once the worker file loads', async () => {
    const file = workerFile('fixed-later.mjs', BROKEN);
    const { pool: p } = pool(file, { restartDelayMs: 200 });
    expect((await rejection(p.run('x'))).code).toBe('WORKER_FAILED');
    writeFileSync(file, WORKING);
    await sleep(300);
    await expect.poll(() => p.run('y').catch((error: RempartError) => error.code), { timeout: 10_000 }).toBe('done y');
  });

  it('fails a task whose worker dies with WORKER_FAILED, then keeps serving', async () => {
    const { pool: p, failures } = pool(workerFile('exit.mjs', WORKING));
    expect((await rejection(p.run('exit'))).code).toBe('WORKER_FAILED');
    expect(await p.run('after')).toBe('done after');
    expect(failures).toEqual([]);
  });

  it("leaves a task's own error (a bug) as it is", async () => {
    const { pool: p } = pool(workerFile('bug.mjs', WORKING));
    await expect(p.run('bug')).rejects.toThrow(TypeError);
    expect(await p.run('after')).toBe('done after');
  });

  it('answers OVERLOADED when more tasks wait than the queue holds', async () => {
    const { pool: p } = pool(workerFile('slow.mjs', WORKING), { maxQueue: 1 });
    const results = await Promise.allSettled(['slow', 'slow', 'slow', 'slow'].map((t) => p.run(t)));
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as RempartError).code));
    expect(codes).toContain('OVERLOADED');
    expect(codes).toContain('ok');
  });
});

describe('HashingPool hands bytes to its workers', () => {
  it('copies memory the runtime refuses to transfer (sharp output on Node 21+) instead of failing', async () => {
    const { HashingPool } = await import('../src/pipeline/pool.js');
    const { encode, scene } = await import('./helpers/images.js');
    const hashing = new HashingPool({ threads: 1 });
    try {
      const png = await encode.png(scene(64, 48, 1));
      const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
      // What Node does to native memory such as sharp's buffers (Node 20 copies it silently; 21+ throws DataCloneError).
      markAsUntransferable(bytes.buffer);
      const hashed = await hashing.hashImage(bytes, { algorithms: ['pdq'] });
      expect(hashed.hashes[0]!.value).toMatch(/^[0-9a-f]{64}$/);
      expect(bytes.byteLength).toBe(png.byteLength); // copied, so the caller's view is intact
    } finally {
      await hashing.close();
    }
  });
});
