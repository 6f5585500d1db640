/**
 * The operator's tools as an operator runs them, on real processes and real files:
 * `rempart corpus fetch` (Debian packages unpacked with dpkg-deb, one of them downloaded
 * for real with apt-get), `rempart eval` on the photos it linked, `rempart tune` on the
 * results, and `rempart export -o`.
 *
 * The corpus packages weigh 273 MB together; downloading them on every run would make
 * the suite slow and at the mercy of the network. So four are built here with dpkg-deb
 * (the same layout, with photos made at run time) and left where `corpus fetch` keeps its
 * downloads, and only the smallest, lomiri-wallpapers-16.04 (16 MB), is fetched from
 * Debian's archive: the apt path and its real file list are checked, within a bound.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEBIAN_SOURCES } from '../src/eval/corpus.js';
import { scene } from './helpers/photos.js';
import { runCli } from './helpers/process.js';

const DOWNLOADED = 'lomiri-wallpapers-16.04';
const haveApt = ['/usr/bin/apt-get', '/usr/bin/dpkg-deb'].every((tool) => fs.existsSync(tool));
if (!haveApt && process.env.CI) throw new Error('corpus fetch needs apt-get and dpkg-deb (Debian), which CI has');

let dir: string;

/** A .deb of `name` holding photos at the paths `corpus fetch` expects, built with dpkg-deb. */
async function buildDeb(name: string, files: Record<string, Buffer>, debs: string): Promise<void> {
  const source = DEBIAN_SOURCES.find((s) => s.name === name)!;
  const root = path.join(dir, 'deb-build', name);
  fs.mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'DEBIAN', 'control'),
    `Package: ${name}\nVersion: 0.0-rempart-test\nArchitecture: all\nMaintainer: Rempart tests <tests@example.invalid>\nDescription: built by test/cli-operator.test.ts\n`,
  );
  for (const [file, bytes] of Object.entries(files)) {
    const target = path.join(root, source.root, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytes);
  }
  execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, path.join(debs, `${name}_0.0-rempart-test_all.deb`)], { stdio: 'ignore' });
}

describe.skipIf(!haveApt)('rempart corpus fetch, eval and tune', () => {
  let corpus: string;
  let fetched: Awaited<ReturnType<typeof runCli>>;
  const built: Record<string, string[]> = {};

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-operator-'));
    corpus = path.join(dir, 'corpus');
    const debs = path.join(corpus, 'debs');
    fs.mkdirSync(debs, { recursive: true });
    let seed = 100;
    for (const source of DEBIAN_SOURCES.filter((s) => s.name !== DOWNLOADED)) {
      const [first, second, third] = source.files;
      const photo = await scene(seed++);
      const files: Record<string, Buffer> = { [first!]: photo, [second!]: await scene(seed++) };
      // One rule each: a copy of a photo, and a picture too small to evaluate.
      if (source.name === 'python3-skimage') files[third!] = photo;
      if (source.name === 'opencv-doc') files[third!] = await sharp(await scene(seed++)).resize(200, 150).jpeg().toBuffer();
      await buildDeb(source.name, files, debs);
      built[source.name] = Object.keys(files);
    }
    fetched = await runCli(['corpus', 'fetch', '--dir', corpus, '--shared', path.join(dir, 'no-shared-vectors')]);
  }, 300_000);

  it('unpacks every package, downloads only the missing one, and links the selected photos', () => {
    expect(fetched.code, fetched.stderr).toBe(0);
    expect(fetched.stderr).toContain(`corpus: apt-get download ${DOWNLOADED}`);
    for (const name of Object.keys(built)) expect(fetched.stderr).not.toContain(`apt-get download ${name}\n`);
    const links = fs.readdirSync(path.join(corpus, 'photos')).sort();
    const local = links.filter((link) => !link.startsWith(DOWNLOADED));
    // Two photos per built package; the copy and the small picture are left out.
    expect(local).toHaveLength(8);
    const lomiri = DEBIAN_SOURCES.find((s) => s.name === DOWNLOADED)!;
    expect(links.filter((link) => link.startsWith(DOWNLOADED))).toHaveLength(lomiri.files.length);
    expect(fetched.stderr).toMatch(new RegExp(`corpus: ${8 + lomiri.files.length} photos linked in .* \\(2 skipped\\)`));
    for (const link of links) expect(fs.statSync(path.join(corpus, 'photos', link)).isFile()).toBe(true);
  });

  it('uses what it already has on a second run', async () => {
    const again = await runCli(['corpus', 'fetch', '--dir', corpus, '--shared', path.join(dir, 'no-shared-vectors')]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('apt-get download');
    expect(fs.readdirSync(path.join(corpus, 'photos'))).toHaveLength(8 + DEBIAN_SOURCES.find((s) => s.name === DOWNLOADED)!.files.length);
  });

  describe('eval and tune on those photos', () => {
    let outDir: string;
    let evaluated: Awaited<ReturnType<typeof runCli>>;
    beforeAll(async () => {
      // Six photos (two of them downloaded) keep the run short.
      const photos = path.join(dir, 'eval-photos');
      fs.mkdirSync(photos);
      const all = fs.readdirSync(path.join(corpus, 'photos')).sort();
      const chosen = [...all.filter((l) => !l.startsWith(DOWNLOADED)).slice(0, 4), ...all.filter((l) => l.startsWith(DOWNLOADED)).slice(0, 2)];
      for (const link of chosen) fs.symlinkSync(fs.realpathSync(path.join(corpus, 'photos', link)), path.join(photos, link));
      outDir = path.join(dir, 'eval');
      evaluated = await runCli([
        'eval', photos, '--out-dir', outDir, '--threads', '2', '--max-side', '320',
        '--transformations', 'jpeg-q50,resize-x0.5,rotate-90', '--algorithms', 'pdq,pdq-dihedral,blockhash',
      ]);
    }, 300_000);

    it('eval writes the results, the report and the summaries, and prints the summary', () => {
      expect(evaluated.code, evaluated.stderr).toBe(0);
      for (const file of ['results.json', 'report.html', 'summary.json', 'summary.md']) expect(fs.existsSync(path.join(outDir, file)), file).toBe(true);
      const results = JSON.parse(fs.readFileSync(path.join(outDir, 'results.json'), 'utf8')) as {
        corpus: { photos: unknown[] };
        transformations: { name: string }[];
        algorithms: { name: string; perTransformation: Record<string, { recallAtRecommended: number }> }[];
        errors: string[];
      };
      expect(results.corpus.photos).toHaveLength(6);
      expect(results.errors).toEqual([]);
      expect(results.transformations.map((t) => t.name)).toEqual(['jpeg-q50', 'resize-x0.5', 'rotate-90']);
      const byName = Object.fromEntries(results.algorithms.map((a) => [a.name, a]));
      expect(Object.keys(byName).sort()).toEqual(['blockhash', 'pdq', 'pdq-dihedral']);
      // What the algorithms are known to do: PDQ survives re-encoding and resizing;
      // only its dihedral variant finds a quarter turn.
      expect(byName.pdq!.perTransformation['jpeg-q50']!.recallAtRecommended).toBeGreaterThanOrEqual(0.8);
      expect(byName['pdq-dihedral']!.perTransformation['rotate-90']!.recallAtRecommended).toBeGreaterThanOrEqual(0.8);
      expect(byName.pdq!.perTransformation['rotate-90']!.recallAtRecommended).toBeLessThanOrEqual(0.2);
      expect(evaluated.stdout).toContain('| **pdq-dihedral** |');
      expect(evaluated.stdout.endsWith('\n')).toBe(true);
    });

    it('tune recommends the same thresholds as the evaluation under the same policy, and larger ones for a looser target', async () => {
      const results = path.join(outDir, 'results.json');
      const summary = JSON.parse(fs.readFileSync(path.join(outDir, 'summary.json'), 'utf8')) as {
        policy: { targetFpr: number; fallbackFpr: number; margin: number };
        algorithms: { name: string; recommendedThreshold: number }[];
      };
      const { targetFpr, fallbackFpr, margin } = summary.policy;
      const tuned = await runCli(['tune', results, '--target-fpr', String(targetFpr), '--fallback-fpr', String(fallbackFpr), '--margin', String(margin)]);
      expect(tuned.code, tuned.stderr).toBe(0);
      const thresholds = (output: string) =>
        Object.fromEntries([...output.matchAll(/^\| (\S+) \| 256 \| (\d+) \|/gm)].map((m) => [m[1]!, Number(m[2])]));
      const strict = thresholds(tuned.stdout);
      expect(strict).toEqual(Object.fromEntries(summary.algorithms.map((a) => [a.name, a.recommendedThreshold])));
      const loose = thresholds((await runCli(['tune', results, '--target-fpr', '0.05', '--margin', '0'])).stdout);
      for (const name of Object.keys(strict)) expect(loose[name]!).toBeGreaterThanOrEqual(strict[name]!);
    });
  });
});

describe('rempart export -o', () => {
  it('writes the same lines as stdout into a file only its owner can read, even over a looser one', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-export-'));
    const dataDir = path.join(base, 'data');
    const photo = path.join(base, 'photo.jpg');
    fs.writeFileSync(photo, await scene(31));
    const hashed = JSON.parse((await runCli(['hash', photo])).stdout) as { hashes: { algorithm: string; value: string; quality?: number }[] };
    const imported = await runCli(['import', '-', '--data-dir', dataDir], {
      input: hashed.hashes.map((h) => JSON.stringify({ algorithm: h.algorithm, value: h.value, quality: h.quality })).join('\n'),
    });
    expect(imported.code, imported.stderr).toBe(0);

    const stdout = await runCli(['export', '--data-dir', dataDir]);
    expect(stdout.stdout.trim().split('\n')).toHaveLength(hashed.hashes.length);
    const file = path.join(base, 'hashes.jsonl');
    fs.writeFileSync(file, 'stale\n', { mode: 0o644 });
    const written = await runCli(['export', '-o', file, '--data-dir', dataDir]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe('');
    expect(fs.readFileSync(file, 'utf8')).toBe(stdout.stdout);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(base).filter((name) => name.includes('.partial-'))).toEqual([]);
  });
});
