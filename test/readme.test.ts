import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { REPO_ROOT, killHard, spawnServer, type ServerProcess } from './helpers/process.js';
import { scene } from './helpers/photos.js';

/** The README's curl session, extracted and run as written against a real server. */
function readmeSession(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const match = /<!-- readme-session[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme);
  if (!match) throw new Error('README.md has no readme-session block');
  return match[1]!;
}

describe('README example session', () => {
  let server: ServerProcess;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-readme-'));
    // A checkout-like folder: `npm run rempart` needs package.json and dist.
    for (const entry of ['package.json', 'dist', 'node_modules']) fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(dir, entry));
    fs.writeFileSync(path.join(dir, 'photo.jpg'), await scene(5));
    server = await spawnServer(path.join(dir, 'data'));
  });
  afterAll(async () => {
    await killHard(server.child);
  });

  async function runSession(): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = spawn('bash', ['--norc', '-euo', 'pipefail', '-c', readmeSession()], {
      // Run over ssh, or with stdin a socket at a low SHLVL, bash reads /etc/bash.bashrc even
      // with -c (unless --norc), and Debian's then fails under -u on the unset PS1.
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
      env: { ...process.env, BASE: server.url, REMPART_DATA_DIR: path.join(dir, 'data') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += String(c)));
    child.stderr.on('data', (c) => (stderr += String(c)));
    const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
    return { code, stdout, stderr };
  }

  // Twice on the same server and data: the session must be re-runnable as written.
  for (const run of [1, 2]) {
    it(`works as written${run === 2 ? ', and again' : ''}, one answer per line`, async () => {
      const { code, stdout, stderr } = await runSession();
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout.endsWith('\n')).toBe(true);
      const outputs = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
      expect(outputs).toHaveLength(6);
      const [imageMatch, batchMatch, status, withdrawal, after, sync] = outputs;
      expect(imageMatch.matched).toBe(true);
      expect(imageMatch.matches.map((m: { distance: number }) => m.distance)).toEqual([0, 0]);
      expect(batchMatch.results).toHaveLength(2);
      expect(status).toMatchObject({ status: 'active', hashCount: 2, matchCount: 4 });
      expect(withdrawal).toMatchObject({ status: 'withdrawn', removedHashes: 2 });
      expect(after.matched).toBe(false);
      // Each run's two hashes, added then withdrawn: only their removals are left.
      expect(sync.changes.map((c: { op: string }) => c.op)).toEqual(Array(2 * run).fill('remove'));
    });
  }
});

describe('README command table', () => {
  it('lists every command of the CLI', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Command line'), readme.indexOf('## Configuration'));
    const leaves = (command: Command, prefix: string[] = []): string[] =>
      command.commands.flatMap((sub) => (sub.commands.length > 0 ? leaves(sub, [...prefix, sub.name()]) : [[...prefix, sub.name()].join(' ')]));
    const commands = leaves(buildProgram());
    expect(commands).toEqual(expect.arrayContaining(['serve', 'audit', 'corpus fetch', 'platform rotate', 'eval', 'tune']));
    expect(commands.filter((name) => !section.includes(`| \`${name}`) && !section.includes(`/ \`${name}`))).toEqual([]);
  });
});
