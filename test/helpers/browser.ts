/**
 * Browser-test helpers: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), a Rempart server serving a freshly built page, request recording and
 * screenshots in test-output/web/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { buildApp } from '../../src/api/app.js';
import { resolveConfig } from '../../src/config.js';
import { Rempart } from '../../src/service/rempart.js';
import { buildWeb } from '../../src/web/build.js';
import { defaultWebRoot } from '../../src/web/paths.js';
import { webPlugin } from '../../src/web/plugin.js';
import { seededRandom } from './random.js';

export const CHROMIUM_PATH = process.env.REMPART_CHROMIUM ?? '/usr/bin/chromium';
export const OUTPUT_DIR = path.resolve('test-output', 'web');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (or set REMPART_CHROMIUM)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
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
  const stale = !existsSync(built) || PAGE_SOURCES.some((source) => newestMtime(path.resolve(source)) > statSync(built).mtimeMs);
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
