/**
 * Benchmarks that start PostgreSQL (bench/cleanup.ts) stop it and delete their temp dirs
 * however they end: a thrown error, SIGTERM / SIGINT in the middle, a process.exit. Each
 * case runs a small benchmark-like script in its own Node process (from dist/, built by
 * pretest) and checks afterwards that the server's port refuses connections and that its
 * data dir and the script's temp dir are gone.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './store-helpers.js';

const cleanupModule = pathToFileURL(path.resolve('dist/bench/cleanup.js')).href;

interface Started {
  port: number;
  dataDir: string;
  tempDir: string;
}

/** Runs a benchmark whose main starts PostgreSQL, makes a temp dir, then does `ending`. */
async function runBenchmark(ending: 'throw' | 'wait' | 'exit', signal?: NodeJS.Signals): Promise<{ code: number | null; started: Started; stderr: string }> {
  const script = path.join(tempDir(), 'bench.mjs');
  fs.writeFileSync(
    script,
    `import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchPostgres, removeAtExit, runBench } from ${JSON.stringify(cleanupModule)};
runBench(async () => {
  const postgres = await benchPostgres();
  const tempDir = removeAtExit(fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-bench-cleanup-')));
  console.log(JSON.stringify({ port: postgres.port, dataDir: postgres.dataDir, tempDir }));
  // The test checks the server is up first, then says go (a line on stdin) or sends a signal.
  await new Promise((resolve) => process.stdin.once('data', () => { process.stdin.destroy(); resolve(); }));
  if (${JSON.stringify(ending)} === 'throw') throw new Error('the benchmark failed');
  if (${JSON.stringify(ending)} === 'exit') process.exit(3);
  await new Promise((resolve) => setTimeout(resolve, 120_000));
});
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const started = await new Promise<Started>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as Started);
    });
    child.once('exit', () => reject(new Error(`the benchmark ended before starting PostgreSQL:\n${stderr}`)));
  });
  expect(await accepts(started.port)).toBe(true); // the control: the server was up
  expect(fs.existsSync(started.dataDir)).toBe(true);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    if (signal) child.kill(signal);
    else child.stdin.write('go\n');
  });
  return { code, started, stderr };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function expectCleanedUp(started: Started): Promise<void> {
  // SIGKILL of the postmaster (the 'exit' path) closes its socket at once; give it a moment.
  for (let i = 0; i < 50 && (await accepts(started.port)); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await accepts(started.port)).toBe(false);
  expect(fs.existsSync(started.dataDir)).toBe(false);
  expect(fs.existsSync(started.tempDir)).toBe(false);
}

describe('benchmarks stop the PostgreSQL they started', () => {
  it('when the benchmark throws: exit code 1, server stopped, dirs removed', async () => {
    const { code, started, stderr } = await runBenchmark('throw');
    expect(code).toBe(1);
    expect(stderr).toMatch(/the benchmark failed/);
    await expectCleanedUp(started);
  }, 120_000);

  it('when it is interrupted (SIGTERM, SIGINT) in the middle: exit code 128 + signal, server stopped, dirs removed', async () => {
    const term = await runBenchmark('wait', 'SIGTERM');
    expect(term.code).toBe(143);
    await expectCleanedUp(term.started);
    const int = await runBenchmark('wait', 'SIGINT');
    expect(int.code).toBe(130);
    await expectCleanedUp(int.started);
  }, 120_000);

  it('when something calls process.exit: the server is killed and its data deleted on the way out', async () => {
    const { code, started } = await runBenchmark('exit');
    expect(code).toBe(3);
    await expectCleanedUp(started);
  }, 120_000);
});
