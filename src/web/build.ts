/**
 * Builds the victim's page into dist/web/: index.html, favicon, minified CSS, the main
 * bundle and the hashing worker bundle (which includes src/hashing as is). Everything is
 * self-contained: no CDN, no font or script from elsewhere.
 *
 * Run after `tsc`: `node dist/src/web/build.js` (the `build` npm script does both).
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { defaultConsoleRoot, defaultWebRoot, repoRoot, webSourceDir } from './paths.js';

export interface BuildWebOptions {
  /** Output folder (default dist/web). */
  outDir?: string;
  /** Type-check the browser code first (default true; tests skip it for speed). */
  typecheck?: boolean;
}

/** Browsers the page supports: OffscreenCanvas in workers and createImageBitmap options. */
const TARGETS = ['chrome100', 'firefox105', 'safari17', 'edge100'];

/** Builds the analysts' console into dist/console (same sources folder, its own entry point). */
export async function buildConsole(outDir = defaultConsoleRoot()): Promise<string> {
  const source = webSourceDir();
  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'assets'), { recursive: true });
  const common = { bundle: true, minify: true, target: TARGETS, legalComments: 'eof', logLevel: 'warning', absWorkingDir: repoRoot() } as const;
  await Promise.all([
    build({ ...common, entryPoints: [join(source, 'console', 'main.ts')], outfile: join(outDir, 'assets', 'console.js'), format: 'esm' }),
    build({ ...common, entryPoints: [join(source, 'console', 'console.css')], outfile: join(outDir, 'assets', 'console.css') }),
    copyFile(join(source, 'console', 'index.html'), join(outDir, 'index.html')),
    copyFile(join(source, 'favicon.svg'), join(outDir, 'favicon.svg')),
  ]);
  return outDir;
}

export async function buildWeb(options: BuildWebOptions = {}): Promise<string> {
  const outDir = options.outDir ?? defaultWebRoot();
  const source = webSourceDir();
  if (options.typecheck ?? true) typecheckClient();

  await rm(outDir, { recursive: true, force: true });
  await mkdir(join(outDir, 'assets'), { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    target: TARGETS,
    legalComments: 'eof',
    logLevel: 'warning',
    absWorkingDir: repoRoot(),
  } as const;
  await Promise.all([
    build({ ...common, entryPoints: [join(source, 'main.ts')], outfile: join(outDir, 'assets', 'main.js'), format: 'esm' }),
    // A classic (non-module) worker script: the widest browser support.
    build({ ...common, entryPoints: [join(source, 'hash-worker.ts')], outfile: join(outDir, 'assets', 'hash-worker.js'), format: 'iife' }),
    build({ ...common, entryPoints: [join(source, 'video-worker.ts')], outfile: join(outDir, 'assets', 'video-worker.js'), format: 'iife' }),
    build({ ...common, entryPoints: [join(source, 'styles.css')], outfile: join(outDir, 'assets', 'styles.css') }),
    copyFile(join(source, 'index.html'), join(outDir, 'index.html')),
    copyFile(join(source, 'favicon.svg'), join(outDir, 'favicon.svg')),
  ]);
  return outDir;
}

/** The root tsconfig skips browser code; this checks it with DOM and WebWorker types. */
function typecheckClient(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(webSourceDir(), 'tsconfig.json')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('type errors in src/web/client (see above)');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  Promise.all([buildWeb(), buildConsole()]).then(
    ([outDir, consoleDir]) => console.log(`web page built in ${outDir}, console in ${consoleDir}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
