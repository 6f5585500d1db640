/**
 * The victim's page in both languages, on a phone-sized screen, with the keyboard and by
 * drag-and-drop; screenshots go to test-output/web/ for a person to look at.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot, startWebServer, texturedPhoto, type WebServer } from './helpers/browser.js';

const PHONE = { width: 390, height: 844 };

/** Generous: the machine running the tests may be busy. */
const POLL = { timeout: 15_000 };

let server: WebServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Describes the focused element the way a keyboard user meets it. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (!element || element === document.body) return 'body';
    const name = element.getAttribute('aria-label') ?? element.textContent?.trim() ?? '';
    return `${element.tagName.toLowerCase()}${element.id ? '#' + element.id : ''}:${name}`;
  });
}

/** WCAG contrast ratio of each sampled element's text against its effective background. */
function contrastRatios(page: Page, selectors: string[]): Promise<Array<{ selector: string; ratio: number }>> {
  return page.evaluate((list) => {
    const parse = (colour: string) => (colour.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const channel = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r!) + 0.7152 * channel(g!) + 0.0722 * channel(b!);
    };
    const background = (element: Element | null): number[] => {
      for (let e = element; e; e = e.parentElement) {
        const rgba = parse(getComputedStyle(e).backgroundColor);
        if (rgba.length === 3 || (rgba.length === 4 && rgba[3]! > 0)) return rgba;
      }
      return [255, 255, 255];
    };
    return list.flatMap((selector) =>
      [...document.querySelectorAll(selector)].map((element) => {
        const a = luminance(parse(getComputedStyle(element).color));
        const b = luminance(background(element));
        return { selector, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
      }),
    );
  }, selectors);
}

describe('victim page', () => {
  it('follows the browser language (English), switches to French and remembers it', async () => {
    const { context, page } = await openPage(browser, server.url, { locale: 'en-US' });
    await page.goto(server.url);
    await expect.poll(() => page.locator('html').getAttribute('lang'), POLL).toBe('en');
    await page.getByRole('heading', { name: 'Your images never leave this device' }).waitFor();
    expect(await page.getByRole('link', { name: 'Protect my images' }).getAttribute('aria-current')).toBe('page');
    expect(await page.getByRole('button', { name: 'English' }).getAttribute('aria-pressed')).toBe('true');
    await screenshot(page, 'en-desktop-home');

    await page.getByRole('button', { name: 'Français' }).click();
    await expect.poll(() => page.locator('html').getAttribute('lang'), POLL).toBe('fr');
    await page.getByRole('heading', { name: 'Vos images ne quittent jamais cet appareil' }).waitFor();
    expect(await page.title()).toContain('protéger vos images');
    expect(await page.getByRole('button', { name: 'Français' }).getAttribute('aria-pressed')).toBe('true');

    await page.reload();
    await page.getByRole('heading', { name: 'Vos images ne quittent jamais cet appareil' }).waitFor();
    await context.close();
  });

  it('fits a phone screen in both languages', async () => {
    for (const locale of ['fr-FR', 'en-GB']) {
      const { context, page } = await openPage(browser, server.url, { locale, viewport: PHONE });
      await page.goto(server.url);
      await page.locator('#image-input').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await texturedPhoto(3, 900, 1200) });
      await page.locator('.item[data-state="ready"]').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `horizontal scrolling on a phone (${locale})`).toBeLessThanOrEqual(0);
      const language = locale.slice(0, 2);
      await screenshot(page, `${language}-phone-images`);
      await page.locator('nav a[data-route="status"]').click();
      await page.locator('#status-case-number').waitFor();
      await screenshot(page, `${language}-phone-status`);
      await context.close();
    }
  });

  it('is usable with the keyboard alone, in a sensible focus order', async () => {
    const { context, page } = await openPage(browser, server.url, { locale: 'fr-FR' });
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Protéger mes images' }).waitFor();
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push(await focused(page));
    }
    expect(order).toEqual([
      'a:Aller au contenu',
      'button:Français',
      'button:English',
      'a:Protéger mes images',
      'a:Suivre ou retirer mon dossier',
      'input#image-input:',
    ]);

    // Open the status view from the keyboard, fill the form and submit with Enter.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => focused(page), POLL).toBe('h2#status-heading:Suivre ou retirer un dossier');
    await page.keyboard.press('Tab'); // from the heading, straight to the first field
    expect(await focused(page)).toBe('input#status-case-number:');
    await page.keyboard.type('R-0000-0000');
    await page.keyboard.press('Tab');
    await page.keyboard.type('not-the-secret');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Numéro de dossier ou code secret incorrect.' }).waitFor();

    // Every form control has an accessible name.
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('input, button, a')]
        .filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label') && !e.textContent?.trim())
        .map((e) => e.outerHTML),
    );
    expect(unnamed).toEqual([]);
    await context.close();
  });

  it('hashes images dropped on the page', async () => {
    const { context, page } = await openPage(browser, server.url, { locale: 'fr-FR' });
    await page.goto(server.url);
    const bytes = [...(await texturedPhoto(5, 640, 480))];
    // The test's bytes become a File inside the page, as a drag from the desktop would.
    const dataTransfer = await page.evaluateHandle((data) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(data)], 'glisse.jpg', { type: 'image/jpeg' }));
      return transfer;
    }, bytes);
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
    const item = page.locator('.item', { hasText: 'glisse.jpg' });
    await expect.poll(() => item.getAttribute('data-state'), POLL).toBe('ready');
    expect(await item.locator('code[data-algorithm="pdq"]').textContent()).toMatch(/^[0-9a-f]{64}$/);
    await context.close();
  });

  it('says plainly when a file cannot be read, and leaves it out', async () => {
    const { context, page } = await openPage(browser, server.url, { locale: 'en-GB' });
    await page.goto(server.url);
    await page.locator('#image-input').setInputFiles([
      { name: 'not-an-image.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('this is text, not a JPEG') },
      { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await texturedPhoto(4, 640, 480) },
    ]);
    const broken = page.locator('.item', { hasText: 'not-an-image.jpg' });
    await expect.poll(() => broken.getAttribute('data-state'), POLL).toBe('failed');
    expect(await broken.textContent()).toContain('The browser could not read this image. It will not be sent.');
    await page.locator('.item[data-state="ready"]').waitFor();
    await page.getByRole('button', { name: 'Send the fingerprints of 1 image and create my case' }).waitFor();
    await page.getByRole('button', { name: 'Remove not-an-image.jpg' }).click();
    await expect.poll(() => page.locator('.item').count(), POLL).toBe(1);
    await context.close();
  });

  it('keeps text contrast at WCAG AA (4.5:1) or better', async () => {
    const { context, page } = await openPage(browser, server.url, { locale: 'fr-FR' });
    await page.goto(server.url);
    await page.locator('#image-input').setInputFiles([
      { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: await texturedPhoto(8, 640, 480) },
      { name: 'plat.jpg', mimeType: 'image/jpeg', buffer: await texturedPhoto(9, 2, 2) },
    ]);
    await page.locator('.item[data-state="low-quality"]').waitFor();
    const ratios = await contrastRatios(page, [
      'h1', 'h2', 'h3', 'p', '.hint', 'nav a', '.language', '.button', '.item-status', '.item-explanation', 'summary', 'footer p',
    ]);
    expect(ratios.length).toBeGreaterThan(10);
    const low = ratios.filter((r) => r.ratio < 4.5);
    expect(low).toEqual([]);
    await context.close();
  });
});
