/**
 * Runs ffmpeg for the evaluation (building test videos, making variants): output read
 * from a pipe into memory, so variants never reach the disk. Evaluation inputs are our
 * own corpus files, so no resource limits beyond a wall-clock timeout.
 */
import { spawn } from 'node:child_process';

export interface FfmpegRun {
  binary: string;
  args: readonly string[];
  /** Bytes written to ffmpeg's stdin (when the input is `pipe:0`). */
  input?: Uint8Array;
  timeoutMs?: number;
}

/** Runs ffmpeg and resolves with its stdout; rejects with the tail of its log on failure. */
export function runFfmpeg({ binary, args, input, timeoutMs = 600_000 }: FfmpegRun): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-hide_banner', '-nostats', '-loglevel', 'error', ...args], {
      stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let log = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new Error(`ffmpeg ${signal ?? `exited with ${code}`}: ${log.trim().split('\n').slice(-3).join(' | ')}`));
    });
    if (input && child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}
