import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { REPO_ROOT, killHard, runCli, spawnServer, type ServerProcess } from './helpers/process.js';
import { scene } from './helpers/photos.js';

/** A README block marked `<!-- readme-NAME … -->`, extracted to be run as written against a real server. */
function readmeBlock(name: string): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- readme-${name}[^>]*-->\\s*\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no readme-${name} block`);
  return match[1]!;
}

/** Runs a block with bash, strict, in `cwd`. */
async function runBlock(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn('bash', ['--norc', '-euo', 'pipefail', '-c', script], {
    // Run over ssh, or with stdin a socket at a low SHLVL, bash reads /etc/bash.bashrc even
    // with -c (unless --norc), and Debian's then fails under -u on the unset PS1.
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += String(c)));
  child.stderr.on('data', (c) => (stderr += String(c)));
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
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

  const runSession = () => runBlock(readmeBlock('session'), dir, { BASE: server.url, REMPART_DATA_DIR: path.join(dir, 'data') });

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
      // The case holds a PDQ hash: under the profile its blockhash is not answered (docs/matching.md).
      expect(imageMatch.matches.map((m: { algorithm: string; distance: number }) => [m.algorithm, m.distance])).toEqual([['pdq', 0]]);
      expect(batchMatch.results).toHaveLength(2);
      expect(status).toMatchObject({ status: 'active', hashCount: 2, matchCount: 3 });
      expect(withdrawal).toMatchObject({ status: 'withdrawn', removedHashes: 2 });
      expect(after.matched).toBe(false);
      // Each run's two hashes, added then withdrawn: only their removals are left.
      expect(sync.changes.map((c: { op: string }) => c.op)).toEqual(Array(2 * run).fill('remove'));
    });
  }
});

describe('README "For platforms"', () => {
  let server: ServerProcess;
  let dir: string;
  let key: string;
  let caseNumber: string;
  const hooks = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-readme-platforms-'));
    const upload = await scene(8);
    fs.writeFileSync(path.join(dir, 'upload.jpg'), upload);
    server = await spawnServer(path.join(dir, 'data'));
    const data = ['--data-dir', path.join(dir, 'data')];
    key = JSON.parse((await runCli(['platform', 'add', 'Example Platform', '--json', ...data])).stdout).apiKey;
    // A webhook URL registered for the platform (its feed.changes subscription goes there).
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/rempart`;
    expect((await runCli(['webhook', 'set', 'Example Platform', hookUrl, ...data])).code).toBe(0);
    // A victim registered the picture that is then uploaded.
    const hashed = await fetch(`${server.url}/v1/hash`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(upload) });
    const { hashes } = (await hashed.json()) as { hashes: unknown[] };
    const created = await fetch(`${server.url}/v1/cases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hashes }) });
    caseNumber = ((await created.json()) as { caseNumber: string }).caseNumber;
  });
  afterAll(async () => {
    await killHard(server.child);
    hooks.close();
  });

  it('runs as written: one JSON answer per call, each what the comments say', async () => {
    const { code, stdout, stderr } = await runBlock(readmeBlock('platforms'), dir, { BASE: server.url, KEY: key });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const outputs = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(outputs).toHaveLength(9);
    const [imageMatch, hashMatch, sync, feedWebhook, fetched, feedback, submitted, thresholds, settings] = outputs;
    expect(imageMatch.matched).toBe(true);
    const pdq = imageMatch.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq').value as string;
    expect(hashMatch.results[0].matches.length).toBeGreaterThan(0);
    expect(sync.changes.some((c: { op: string; value?: string }) => c.op === 'add' && c.value === pdq)).toBe(true);
    expect(feedWebhook).toMatchObject({ feedWebhook: true });
    expect(fetched).toMatchObject({ hasMoreRecords: false, nextPageToken: null });
    expect(fetched.hashRecords.find((r: { hashValue: string }) => r.hashValue === pdq)).toMatchObject({ signalType: 'ImagePDQ', hashStatus: 'Active' });
    expect(feedback).toMatchObject({ recorded: 1, unknown: [] });
    expect(submitted).toMatchObject({ count: 1, unknownHashValues: [] });
    expect(submitted.recorded).toBeGreaterThan(0);
    expect(thresholds.thresholds.pdq).toMatchObject({ chosen: 24, effective: 24 });
    expect(settings.thresholds.pdq).toMatchObject({ chosen: 24, effective: 24 });
    expect(settings).toMatchObject({ feedWebhook: true });
    // Its feedback reached the hotline: the operator sees it on the case.
    const byCase = await runCli(['feedback', 'case', caseNumber, '--data-dir', path.join(dir, 'data')]);
    expect(byCase.stdout).toContain('Example Platform');
  });
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
