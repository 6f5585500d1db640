import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'dist/src/cli/main.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** The operators' listener (console, GET /metrics): the helper starts it on a random port. */
  metricsUrl: string | undefined;
  output(): string;
}

/** Starts `rempart serve` as a real child process and waits until it is ready. */
export async function spawnServer(
  dataDir: string,
  env: Record<string, string> = {},
  /** Another build of the CLI (e.g. a pruned production copy) and where to run it; more `serve` flags. */
  options: { cli?: string; cwd?: string; args?: string[] } = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [options.cli ?? CLI, 'serve', '--port', '0', '--data-dir', dataDir, '--threads', '1', ...(options.args ?? [])], {
    env: { ...process.env, REMPART_SECRET_COST: '10', REMPART_RATE_LIMIT: '0', REMPART_OPERATOR_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000);
    const onData = () => {
      if (!output.includes('index loaded; ready')) return;
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
  const metricsUrl = /operators' listener at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  return { child, url, metricsUrl, output: () => output };
}

/** Runs the CLI to completion. */
export async function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string>; cli?: string; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [options.cli ?? CLI, ...args], {
    env: { ...process.env, REMPART_SECRET_COST: '10', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += String(c)));
  child.stderr.on('data', (c) => (stderr += String(c)));
  child.stdin.end(options.input ?? '');
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

/** Adds a platform through the CLI (`platform add --json`), as an operator would; returns its API key. */
export async function addPlatformByCli(dataDir: string, name: string, env: Record<string, string> = {}): Promise<string> {
  const added = await runCli(['platform', 'add', name, '--json', '--data-dir', dataDir], { env });
  if (added.code !== 0) throw new Error(`platform add ${name} exited with ${added.code}: ${added.stderr}`);
  return JSON.parse(added.stdout).apiKey as string;
}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
