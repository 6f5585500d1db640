/**
 * The browser tests' one launcher (test/helpers/browser.ts) on a fresh machine: the
 * Chromium shipped inside the npm package @sparticuz/chromium must start, run a worker
 * with OffscreenCanvas (the victim's page hashes there) and render text, even where
 * Debian's Chromium or any system font is missing. Runs whether or not /usr/bin/chromium
 * exists, so a machine that has it still proves the fresh path.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledChromium, chooseChromium, type ChromiumChoice } from './helpers/browser.js';

let bundled: ChromiumChoice;

beforeAll(async () => {
  bundled = await bundledChromium();
});

/** Runs in the page: a worker draws on an OffscreenCanvas and reads the pixels back. */
async function offscreenCanvasInWorker(browser: Browser): Promise<unknown> {
  const page = await browser.newPage();
  try {
    await page.setContent('<p>worker test</p>');
    return await page.evaluate(async () => {
      const source = `
        const canvas = new OffscreenCanvas(8, 8);
        const context = canvas.getContext('2d');
        context.fillStyle = 'rgb(10, 200, 30)';
        context.fillRect(0, 0, 8, 8);
        postMessage(Array.from(context.getImageData(4, 4, 1, 1).data));`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      return new Promise((resolve, reject) => {
        worker.onmessage = (event) => resolve(event.data);
        worker.onerror = (event) => reject(new Error(event.message));
      });
    });
  } finally {
    await page.close();
  }
}

/** Widths of a narrow and a wide run of glyphs: equal when every glyph is a missing-glyph box. */
async function glyphWidths(browser: Browser): Promise<{ narrow: number; wide: number }> {
  const page = await browser.newPage();
  try {
    await page.setContent(
      '<span id="narrow" style="font: 32px sans-serif">iiiiiiii</span><br><span id="wide" style="font: 32px sans-serif">WWWWWWWW</span>',
    );
    return await page.evaluate(() => ({
      narrow: document.getElementById('narrow')!.getBoundingClientRect().width,
      wide: document.getElementById('wide')!.getBoundingClientRect().width,
    }));
  } finally {
    await page.close();
  }
}

describe('the Chromium inside @sparticuz/chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: bundled.executablePath, args: bundled.args, env: { ...process.env, ...bundled.env } as Record<string, string> });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('is unpacked from the package into node_modules/.cache and launches headless', () => {
    expect(bundled.source).toBe('@sparticuz/chromium');
    expect(bundled.executablePath).toContain(path.join('node_modules', '.cache', 'rempart-chromium'));
    expect(browser.version()).toMatch(/^\d+\./);
  });

  it('keeps the same-origin policy and site isolation on (refuses the package flags that turn them off)', () => {
    for (const flag of ['--disable-web-security', '--single-process', '--allow-running-insecure-content']) expect(bundled.args).not.toContain(flag);
    expect(bundled.args.some((flag) => flag.startsWith('--disable-features='))).toBe(false);
  });

  it('has OffscreenCanvas with a 2D context in a dedicated worker', async () => {
    expect(await offscreenCanvasInWorker(browser)).toEqual([10, 200, 30, 255]);
  });

  it('renders text with real glyphs', async () => {
    const { narrow, wide } = await glyphWidths(browser);
    expect(wide).toBeGreaterThan(narrow * 2);
  });
});

describe('with no system font', () => {
  it('still renders text, with the font the package ships', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-fonts-'));
    const config = path.join(dir, 'fonts.conf');
    const packagedFonts = path.join(path.dirname(bundled.executablePath), 'fonts', 'fonts');
    writeFileSync(config, `<?xml version="1.0"?>\n<fontconfig><dir>${packagedFonts}</dir><cachedir>${dir}/cache</cachedir></fontconfig>\n`);
    const browser = await chromium.launch({
      executablePath: bundled.executablePath,
      args: bundled.args,
      env: { ...process.env, FONTCONFIG_FILE: config } as Record<string, string>,
    });
    try {
      const { narrow, wide } = await glyphWidths(browser);
      expect(wide).toBeGreaterThan(narrow * 2);
    } finally {
      await browser.close();
    }
  });
});

describe('choosing a Chromium', () => {
  it('takes REMPART_CHROMIUM first', async () => {
    const choice = await chooseChromium({ REMPART_CHROMIUM: bundled.executablePath });
    expect(choice).toMatchObject({ source: 'REMPART_CHROMIUM', executablePath: bundled.executablePath });
  });

  it('refuses a REMPART_CHROMIUM that does not exist, naming it', async () => {
    await expect(chooseChromium({ REMPART_CHROMIUM: '/nonexistent/chromium' })).rejects.toThrow('/nonexistent/chromium');
  });
});
