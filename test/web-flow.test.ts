/**
 * The victim's page end to end, in Chromium: register a case from real image
 * files, read its status, match the image as a platform, withdraw, see the match go.
 * Every request the page makes is recorded to prove no image byte leaves the browser.
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot, startWebServer, texturedPhoto, type WebServer } from './helpers/browser.js';

/** Generous: the machine running the tests may be busy. */
const POLL = { timeout: 15_000 };

let server: WebServer;
let browser: Browser;
let images: { photoA: string; photoB: string; flat: string };

async function postJson(url: string, body: unknown, apiKey: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return response.json();
}

async function matchImage(file: string, apiKey: string): Promise<{ matches: Array<{ id: string; algorithm: string; distance: number }> }> {
  const response = await fetch(`${server.url}/v1/match/image`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', authorization: `Bearer ${apiKey}` },
    body: readFileSync(file),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

/**
 * True when `body` holds a 48-byte run of `image`, raw, as hex or as base64. Runs start
 * every 32 bytes, so any excerpt of 80 bytes or more is caught.
 */
function carriesImageBytes(body: Buffer, image: Buffer): boolean {
  const text = body.toString('latin1');
  for (let offset = 0; offset + 48 <= image.length; offset += 32) {
    const chunk = image.subarray(offset, offset + 48);
    if (body.includes(chunk)) return true;
    if (text.includes(chunk.toString('hex'))) return true;
    // Base64 of a run depends on its alignment; any of the three alignments would show.
    for (let shift = 0; shift < 3; shift++) {
      const encoded = image.subarray(offset + shift, offset + shift + 45).toString('base64');
      if (text.includes(encoded)) return true;
    }
  }
  return false;
}

async function waitForAnalysis(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const items = [...document.querySelectorAll('.item')];
      return items.length === n && items.every((item) => item.getAttribute('data-state') !== 'hashing');
    },
    count,
  );
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startWebServer(), launchChromium()]);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-web-images-'));
  const write = (name: string, bytes: Buffer) => {
    const file = path.join(dir, name);
    writeFileSync(file, bytes);
    return file;
  };
  images = {
    photoA: write('vacances.jpg', await texturedPhoto(11, 1280, 960)),
    photoB: write('soiree.jpg', await texturedPhoto(12, 800, 1067)),
    // A flat image: PDQ quality 0, which the page must flag before submission.
    flat: write('gris.png', await sharp({ create: { width: 300, height: 200, channels: 3, background: '#777777' } }).png().toBuffer()),
  };
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('victim page, end to end', () => {
  it('registers a case, shows its status, is matched by a platform, and withdraws it without sending any image', async () => {
    const { context, page, requests } = await openPage(browser, server.url, { locale: 'fr-FR' });
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(server.url);
    await expect.poll(() => page.locator('html').getAttribute('lang'), POLL).toBe('fr');
    await page.getByRole('heading', { name: 'Vos images ne quittent jamais cet appareil' }).waitFor();

    await page.locator('#image-input').setInputFiles([images.photoA, images.photoB, images.flat]);
    await waitForAnalysis(page, 3);
    expect(await page.locator('.item[data-state="ready"]').count()).toBe(2);
    await page.getByRole('status').filter({ hasText: '3 images analysées.' }).waitFor();
    // Hashing ran in the page's worker, not on the main thread.
    expect(page.workers().map((worker) => new URL(worker.url()).pathname)).toContain('/assets/hash-worker.js');
    const flatItem = page.locator('.item[data-state="low-quality"]');
    await expect.poll(() => flatItem.count(), POLL).toBe(1);
    expect(await flatItem.textContent()).toContain('gris.png');
    expect(await flatItem.textContent()).toMatch(/Qualité insuffisante \(\d+\/100, minimum 50\)/);
    await screenshot(page, 'fr-desktop-images');

    // The hashes the page computed, as it shows them to the victim.
    const shownHashes = await page.locator('.item[data-state="ready"] code').evaluateAll((codes) =>
      codes.map((code) => ({ algorithm: code.getAttribute('data-algorithm'), value: code.textContent })),
    );
    expect(shownHashes).toHaveLength(4);

    const submit = page.getByRole('button', { name: /Envoyer les empreintes de 2 images/ });
    await submit.click();
    const created = page.getByTestId('created');
    await created.waitFor();
    const caseNumber = (await page.getByTestId('case-number').textContent())!.trim();
    const caseSecret = (await page.getByTestId('case-secret').textContent())!.trim();
    expect(caseNumber).not.toBe('');
    expect(caseSecret.length).toBeGreaterThan(10);
    expect(await created.textContent()).toContain('ne seront plus jamais affichées');
    await screenshot(page, 'fr-desktop-created');

    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByRole('button', { name: 'Copier le code secret' }).click();
    await page.getByText('Copié.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(caseSecret);

    const downloadEvent = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Télécharger dans un fichier' }).click();
    const download = await downloadEvent;
    const saved = readFileSync((await download.path())!, 'utf8');
    expect(saved).toContain(caseNumber);
    expect(saved).toContain(caseSecret);

    await page.getByRole('button', { name: 'J’ai noté ces informations' }).click();
    await expect.poll(() => page.locator('#status-case-number').inputValue(), POLL).toBe(caseNumber);
    expect(await page.getByTestId('case-secret').count()).toBe(0); // shown once only
    await page.locator('#status-case-secret').fill(caseSecret);
    await page.getByRole('button', { name: 'Voir le dossier' }).click();
    const result = page.getByTestId('case-result');
    await expect.poll(() => result.getAttribute('data-status'), POLL).toBe('active');
    // Each image is registered as one item: its 2 whole-picture hashes and the derived set.
    const registeredCount = Number(await result.locator('[data-field="hashCount"]').textContent());
    expect(registeredCount).toBeGreaterThan(4);
    expect(await result.locator('[data-field="matchCount"]').textContent()).toBe('0');

    // A platform uploads the same photo: the server hashes it and finds the case.
    const apiKey = await server.createPlatformKey();
    const before = await matchImage(images.photoA, apiKey);
    expect(before.matches.length).toBeGreaterThan(0);
    // And the browser's own hashes match themselves exactly through the batch API.
    const batch = await postJson(`${server.url}/v1/match`, { hashes: shownHashes }, apiKey);
    expect(batch.results).toHaveLength(4);
    for (const result of batch.results) expect(result.matches.map((m: { distance: number }) => m.distance)).toContain(0);

    await page.getByRole('button', { name: 'Voir le dossier' }).click();
    await expect.poll(async () => Number(await result.locator('[data-field="matchCount"]').textContent()), POLL).toBeGreaterThan(0);
    await screenshot(page, 'fr-desktop-status');

    await page.getByRole('button', { name: 'Retirer ce dossier' }).click();
    const confirm = page.getByRole('group', { name: /irréversible/ });
    await confirm.waitFor();
    expect(await page.getByRole('button', { name: 'Retirer ce dossier' }).isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Annuler' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Retirer ce dossier' }).click();
    await confirm.waitFor();
    await screenshot(page, 'fr-desktop-withdraw-confirm');
    await page.getByRole('button', { name: 'Oui, retirer définitivement' }).click();
    await expect.poll(() => result.getAttribute('data-status'), POLL).toBe('withdrawn');
    expect(await result.textContent()).toContain(`${registeredCount} empreintes supprimées`);

    const after = await matchImage(images.photoA, apiKey);
    expect(after.matches).toEqual([]);

    // Privacy: only Rempart's own origin was contacted, and no request carried image bytes.
    const origin = new URL(server.url).origin;
    const foreign = requests.filter((r) => new URL(r.url).origin !== origin);
    expect(foreign, 'requests to other origins').toEqual([]);
    const allowedPaths = [/^\/$/, /^\/assets\/[\w-]+\.(js|css)$/, /^\/favicon\.svg$/, /^\/v1\/algorithms$/, /^\/v1\/cases(\/[^/]+(\/report)?)?$/];
    for (const request of requests) {
      const { pathname, search } = new URL(request.url);
      expect(allowedPaths.some((allowed) => allowed.test(pathname)), `unexpected request ${request.method} ${request.url}`).toBe(true);
      expect(search, `query string on ${request.url}`).toBe('');
    }
    const files = [images.photoA, images.photoB, images.flat].map((file) => readFileSync(file));
    // The detector itself must see a leak when there is one: raw, hex and base64 excerpts.
    const excerpt = files[0]!.subarray(5000, 5200);
    expect(carriesImageBytes(Buffer.concat([Buffer.from('{"x":"'), excerpt]), files[0]!)).toBe(true);
    expect(carriesImageBytes(Buffer.from(`{"x":"${excerpt.toString('hex')}"}`), files[0]!)).toBe(true);
    expect(carriesImageBytes(Buffer.from(`{"x":"${files[0]!.subarray(4001, 4300).toString('base64')}"}`), files[0]!)).toBe(true);
    for (const request of requests) {
      if (!request.body) continue;
      for (const file of files) expect(carriesImageBytes(request.body, file), `image bytes in ${request.method} ${request.url}`).toBe(false);
    }
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => new URL(r.url).pathname)).toEqual(['/v1/cases']);
    const sent = JSON.parse(posts[0]!.body!.toString('utf8')) as { items: Array<{ kind: string; hashes: Array<Record<string, unknown>> }> };
    expect(Object.keys(sent)).toEqual(['items']);
    // One item per ready image; its 'full' hashes are the ones shown to the victim, then hashes and boxes only
    // (with the box's turn, in degrees, for upright windows and regions).
    expect(sent.items).toHaveLength(2);
    expect(sent.items.reduce((n, item) => n + item.hashes.length, 0)).toBe(registeredCount);
    const sentFull = sent.items.flatMap((item) => item.hashes.filter((hash) => hash.role === 'full').map((hash) => ({ algorithm: hash.algorithm, value: hash.value })));
    expect(sentFull).toEqual(shownHashes);
    for (const item of sent.items) {
      expect(item.kind).toBe('image');
      expect(item.hashes.some((hash) => hash.role === 'window')).toBe(true);
      for (const hash of item.hashes) {
        const derivedKeys = typeof hash.angle === 'number' ? ['algorithm', 'angle', 'box', 'quality', 'role', 'value'] : ['algorithm', 'box', 'quality', 'role', 'value'];
        const keys = hash.role === 'full' ? (hash.algorithm === 'pdq' ? ['algorithm', 'quality', 'role', 'value'] : ['algorithm', 'role', 'value']) : derivedKeys;
        expect(Object.keys(hash).sort()).toEqual(keys);
        if (hash.angle !== undefined) expect(Math.abs(hash.angle as number)).toBeLessThanOrEqual(45);
        expect(hash.value).toMatch(/^[0-9a-f]{64}$/);
        if (hash.box) expect((hash.box as number[]).every((v) => v >= 0 && v <= 1)).toBe(true);
      }
    }
    expect(cspViolations).toEqual([]);
    await context.close();
  });
});
