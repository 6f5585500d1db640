/**
 * The production dependency set runs: what the Dockerfile keeps (`npm prune --omit=dev`
 * after the build) starts `rempart serve`, hashes and matches an image over HTTP, and
 * runs the operator's commands. Built here as the Dockerfile does, from a copy of this
 * checkout's build and node_modules (pruning a copy is what `npm prune` does to the
 * image's layer, and much faster than a fresh install). No Docker engine is needed.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashImageBytes } from '../src/pipeline/hash-image.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';
import { encode, scene } from './helpers/images.js';
import { REPO_ROOT, runCli, spawnServer, type ServerProcess } from './helpers/process.js';

const execFileAsync = promisify(execFile);

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
}
const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** Installed only for development: what the pruned set must lack. */
const devOnly = Object.entries(lock.packages)
  .filter(([name, entry]) => name.startsWith('node_modules/') && entry.dev === true)
  .map(([name]) => name);

let root: string;
let cli: string;
const PRODUCTION_ENV = { NODE_ENV: 'production' };

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'rempart-prod-'));
  for (const name of ['package.json', 'package-lock.json', 'dist']) cpSync(path.join(REPO_ROOT, name), path.join(root, name), { recursive: true });
  // Hard links: 318 MB of node_modules in seconds on a busy disk. Pruning only removes
  // entries; the one file npm rewrites (its hidden lock file) gets a copy of its own, so
  // the checkout's node_modules is never touched. The unpacked test browser is not part
  // of any install.
  await execFileAsync('cp', ['-al', path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules')]);
  rmSync(path.join(root, 'node_modules', '.cache'), { recursive: true, force: true });
  const hiddenLock = path.join(root, 'node_modules', '.package-lock.json');
  if (existsSync(hiddenLock)) {
    const text = readFileSync(hiddenLock);
    rmSync(hiddenLock);
    writeFileSync(hiddenLock, text);
  }
  await execFileAsync('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], {
    cwd: root,
    env: { ...process.env, ...PRODUCTION_ENV },
  });
  cli = path.join(root, 'dist', 'src', 'cli', 'main.js');
}, 240_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the production dependency set (npm prune --omit=dev)', () => {
  it('is what the Dockerfile ships', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/npm run build && npm prune --omit=dev/);
    for (const copied of ['package.json', 'node_modules', 'dist']) expect(dockerfile).toContain(`COPY --from=build /app/${copied} `);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]/);
  });

  it('runs on a Node line that is still maintained and that its native modules support', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const node = Number(/^ARG NODE_IMAGE=node:(\d+)-/m.exec(dockerfile)?.[1]);
    expect([22, 24]).toContain(node);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\} AS (build|runtime)$/gm)).toHaveLength(2);
    // better-sqlite3 before 13 aborts the process on Node 24 (a Statement destructor's assertion).
    const sqlite = JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
    if (Number(sqlite.version.split('.')[0]) < 13) expect(node).toBeLessThan(24);
  });

  it('really lacks every development-only package, and keeps every dependency', () => {
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/vitest', 'node_modules/typescript', 'node_modules/playwright-core', 'node_modules/esbuild']));
    const left = devOnly.filter((name) => existsSync(path.join(root, name)));
    expect(left).toEqual([]);
    for (const name of Object.keys(manifest.dependencies)) expect(existsSync(path.join(root, 'node_modules', name)), name).toBe(true);
  });

  describe('rempart serve', () => {
    let server: ServerProcess;
    const image = scene(640, 480, 7);
    let png: Uint8Array<ArrayBuffer>;

    beforeAll(async () => {
      png = new Uint8Array(await encode.png(image));
      server = await spawnServer(path.join(root, 'data'), PRODUCTION_ENV, { cli, cwd: root });
    });
    afterAll(() => {
      server?.child.kill('SIGTERM');
    });

    it('hashes an image over HTTP exactly as the development build does', async () => {
      const response = await fetch(`${server.url}/v1/hash`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { hashes: { algorithm: string; value: string }[] };
      const expected = await hashImageBytes(png.slice(), { algorithms: ['pdq', 'blockhash'], dihedral: false }, DEFAULT_LIMITS);
      for (const hash of expected.hashes) {
        expect(body.hashes.find((h) => h.algorithm === hash.algorithm)?.value, hash.algorithm).toBe(hash.value);
      }
    });

    it('registers a case and matches the image for a platform whose key the CLI made', async () => {
      const added = await runCli(['platform', 'add', 'Production Platform', '--json', '--data-dir', path.join(root, 'data')], { cli, env: PRODUCTION_ENV });
      expect(added.stderr).toBe('');
      const { apiKey } = JSON.parse(added.stdout) as { apiKey: string };
      const hashed = (await (await fetch(`${server.url}/v1/hash`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png })).json()) as {
        hashes: unknown[];
      };
      const created = await fetch(`${server.url}/v1/cases`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hashes: hashed.hashes }) });
      expect(created.status).toBe(201);
      const matched = await fetch(`${server.url}/v1/match/image`, {
        method: 'POST',
        headers: { 'content-type': 'image/png', authorization: `Bearer ${apiKey}` },
        body: png,
      });
      expect(matched.status).toBe(200);
      expect(((await matched.json()) as { matched: boolean }).matched).toBe(true);
    });
  });

  it('runs the evaluation (its own worker) on photos', async () => {
    const photos = path.join(root, 'photos');
    mkdirSync(photos);
    // Two photos: the evaluation needs pairs of different photos as impostors.
    for (const seed of [3, 4]) writeFileSync(path.join(photos, `photo-${seed}.jpg`), await encode.jpeg(scene(640, 480, seed)));
    const outDir = path.join(root, 'eval');
    const result = await runCli(['eval', photos, '--out-dir', outDir, '--threads', '1', '--transformations', 'flip-vertical', '--max-side', '256'], {
      cli,
      cwd: root,
      env: PRODUCTION_ENV,
    });
    expect(result.code, result.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf8')) as { corpus: { photos: unknown[] }; errors: string[] };
    expect(results.corpus.photos).toHaveLength(2);
    expect(results.errors).toEqual([]);
  });

  it('keeps serving when the hashing worker cannot load: 503 WORKER_FAILED, cause in the log', async () => {
    const workerFile = path.join(root, 'dist', 'workers', 'hash.worker.js');
    const original = readFileSync(workerFile);
    writeFileSync(workerFile, "import 'rempart-missing-package';\nexport default () => null;\n");
    const server = await spawnServer(path.join(root, 'data-broken'), PRODUCTION_ENV, { cli, cwd: root });
    try {
      const png = new Uint8Array(await encode.png(scene(320, 240, 5)));
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await fetch(`${server.url}/v1/hash`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png });
        expect(response.status).toBe(503);
        const body = (await response.json()) as { error: string; message: string };
        expect(body.error).toBe('WORKER_FAILED');
        expect(body.message).toMatch(/^image hashing (failed|is unavailable)/);
      }
      expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
      await expect.poll(() => server.output()).toContain("Cannot find package 'rempart-missing-package'");
    } finally {
      server.child.kill('SIGTERM');
      writeFileSync(workerFile, original);
    }
  });
});
