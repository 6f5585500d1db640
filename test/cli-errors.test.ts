/**
 * An operator's mistake gets one line on stderr and an exit code from every command,
 * never a Node stack trace; a reader that goes away (`| head`) is not an error.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, scene } from './helpers/images.js';
import { CLI, runCli } from './helpers/process.js';

let dir: string;
let dataDir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-cli-errors-'));
  dataDir = path.join(dir, 'data');
  expect((await runCli(['platform', 'add', 'Taken', '--data-dir', dataDir])).code).toBe(0);
});

/** One line, `rempart: …`, and nothing that looks like a stack frame. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(stderr).toMatch(pattern);
  expect(stderr.endsWith('\n')).toBe(true);
}

describe('CLI mistakes', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a platform name already taken', () => ['platform', 'add', 'Taken', '--data-dir', dataDir], /^rempart: a platform named "Taken" already exists \(to give it a new key: rempart platform rotate "Taken", or add --rotate\)$/m],
    ['rotating an unknown platform', () => ['platform', 'rotate', 'Nobody', '--data-dir', dataDir], /^rempart: no active platform named "Nobody"$/m],
    ['a platform name with a slash', () => ['platform', 'add', 'a/b', '--data-dir', dataDir], /^rempart: platform name must be/m],
    ['export into a missing folder', () => ['export', '-o', path.join(dir, 'missing', 'hashes.jsonl'), '--data-dir', dataDir], /^rempart: cannot write the export to .*missing\/hashes\.jsonl: ENOENT/m],
    ['import of a missing file', () => ['import', path.join(dir, 'nope.jsonl'), '--data-dir', dataDir], /^rempart: ENOENT: no such file or directory/m],
    ['import of a folder', () => ['import', dir, '--data-dir', dataDir], /^rempart: EISDIR/m],
    ['import of a file that is not JSON lines', () => ['import', CLI, '--data-dir', dataDir], /^rempart: .*main\.js:1: not valid JSON$/m],
    ['audit with a bad --after', () => ['audit', '--after', 'x', '--data-dir', dataDir], /^rempart: --after must be a non-negative integer, got "x"$/m],
    ['tune without results', () => ['tune', path.join(dir, 'results.json')], /^rempart: ENOENT/m],
    ['eval of a missing folder', () => ['eval', path.join(dir, 'no-photos'), '--out-dir', path.join(dir, 'eval')], /^rempart: ENOENT/m],
    ['serve on an impossible port', () => ['serve', '--port', '70000', '--data-dir', dataDir], /^rempart: configuration: port must be an integer from 0 to 65535/m],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: one line, exit code 2`, async () => {
      const result = await runCli(args());
      expectOneLine(result.stderr, message);
      expect(result.code).toBe(2);
    });
  }

  it('a bad --threads is a usage error naming the flag (exit code 1)', async () => {
    const result = await runCli(['hash', '--threads', 'many', CLI]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: option '--threads <n>' argument 'many' is invalid\. it must be a whole number of at least 1\./);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('a failed export leaves no file behind', () => {
    expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
  });
});

describe('a reader that goes away', () => {
  it('ends `rempart hash DIR | head -1` quietly with exit code 0', async () => {
    const photos = path.join(dir, 'photos');
    fs.mkdirSync(photos);
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(photos, `p${i}.png`), await encode.png(scene(48, 32, i + 1)));
    const child = spawn(process.execPath, [CLI, 'hash', '--threads', '1', photos], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    // Read the first line, then close the pipe as `head -1` does.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
