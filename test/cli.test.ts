import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/process.js';
import { scene } from './helpers/photos.js';

/** The `rempart` command as an operator runs it: a real process on a real data dir. */
describe('rempart CLI', () => {
  let dir: string;
  let dataDir: string;
  let photo: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-cli-'));
    dataDir = path.join(dir, 'data');
    photo = path.join(dir, 'photo.jpg');
    fs.writeFileSync(photo, await scene(11));
  });

  it('hash prints one JSON line per file, errors on stderr with exit code 1', async () => {
    const notImage = path.join(dir, 'notes.txt');
    fs.writeFileSync(notImage, 'not an image at all, only words');
    const result = await runCli(['hash', photo, notImage, '--dihedral']);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].file).toBe(photo);
    const pdq = lines[0].hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    expect(pdq.value).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(pdq.dihedral)).toHaveLength(7);
    const error = JSON.parse(result.stderr.trim().split('\n')[0]!);
    expect(error).toMatchObject({ file: notImage, error: { code: 'IMAGE_UNSUPPORTED' } });
  });

  it('platform add prints the key once; list never shows it; revoke works', async () => {
    const added = await runCli(['platform', 'add', 'Example Platform', '--data-dir', dataDir]);
    expect(added.code).toBe(0);
    const key = /api key:\s+(rk_\S+)/.exec(added.stdout)![1]!;
    expect(added.stderr).toMatch(/cannot be shown again/);

    const duplicate = await runCli(['platform', 'add', 'Example Platform', '--data-dir', dataDir]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toMatch(/already/);

    const list = await runCli(['platform', 'list', '--json', '--data-dir', dataDir]);
    expect(list.stdout).not.toContain(key.slice('rk_'.length + 12 + 1));
    expect(JSON.parse(list.stdout.trim())).toMatchObject({ name: 'Example Platform', revokedAt: null });

    expect((await runCli(['platform', 'revoke', 'Example Platform', '--data-dir', dataDir])).code).toBe(0);
    const after = JSON.parse((await runCli(['platform', 'list', '--json', '--data-dir', dataDir])).stdout.trim());
    expect(after.revokedAt).not.toBeNull();
    const again = await runCli(['platform', 'revoke', 'nobody', '--data-dir', dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/no active platform named "nobody"/);
  });

  it('import registers a JSON-lines file as one case; export prints active hashes without case numbers', async () => {
    const hashed = await runCli(['hash', photo]);
    const hashes = JSON.parse(hashed.stdout).hashes as { algorithm: string; value: string; quality?: number }[];
    const input = `${hashes.map((h) => JSON.stringify(h)).join('\n')}\n\n`;
    const imported = await runCli(['import', '-', '--data-dir', dataDir], { input });
    expect(imported.stderr).not.toMatch(/rempart:/);
    expect(imported.code).toBe(0);
    const created = JSON.parse(imported.stdout);
    expect(created).toMatchObject({ caseNumber: expect.stringMatching(/^RMP-/), caseSecret: expect.any(String), hashCount: 2 });

    const exported = await runCli(['export', '--data-dir', dataDir]);
    expect(exported.code).toBe(0);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r) => r.value).sort()).toEqual(hashes.map((h) => h.value).sort());
    expect(exported.stdout).not.toContain(created.caseNumber);
    for (const r of rows) expect(r.id).toMatch(/^h_/);

    // Bad lines are refused whole, naming the line.
    const bad = await runCli(['import', '-', '--data-dir', dataDir], { input: `${JSON.stringify(hashes[0])}\n{"algorithm":"pdq"\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/-:2: not valid JSON/);
    const low = await runCli(['import', '-', '--data-dir', dataDir], { input: `{"algorithm":"pdq","value":"${'1'.repeat(64)}","quality":10}\n` });
    expect(low.code).toBe(2);
    expect(low.stderr).toMatch(/below the floor/);
    const count = (await runCli(['export', '--data-dir', dataDir])).stdout.trim().split('\n').length;
    expect(count).toBe(2);
  });

  it('audit prints who did what, without secrets or hash values', async () => {
    const result = await runCli(['audit', '--data-dir', dataDir]);
    expect(result.code).toBe(0);
    const entries = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const actions = entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['platform.add', 'platform.revoke', 'case.create']));
    for (const e of entries) expect(e.actor.kind).toMatch(/^(victim|platform|operator|system)$/);
    expect(result.stdout).not.toMatch(/[0-9a-f]{64}/);
    const tail = await runCli(['audit', '--data-dir', dataDir, '--after', String(entries[0].id), '--limit', '1']);
    expect(JSON.parse(tail.stdout).id).toBe(entries[1].id);
    expect((await runCli(['audit', '--data-dir', dataDir, '--limit', 'x'])).stderr).toMatch(/--limit must be a positive integer/);
  });

  it('reports configuration mistakes clearly', async () => {
    const result = await runCli(['serve', '--port', 'eighty', '--data-dir', dataDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/configuration: port must be an integer from 0 to 65535, got "eighty"/);
    const threshold = await runCli(['serve', '--threshold', 'md5=3', '--data-dir', dataDir]);
    expect(threshold.stderr).toMatch(/unknown hash algorithm "md5"/);
  });
});
