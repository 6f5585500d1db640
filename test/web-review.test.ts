/**
 * The review queue in the analysts' console, in a real Chromium: submissions held out of
 * the bank (here two near allow-listed images) are listed with why,
 * released (the running server matches the value at once) or rejected (after a second,
 * in-page confirmation, by keyboard; the value is erased). The console API behind it needs
 * a session, and a CSRF token for the decisions. Screenshot: test-output/web/console-review.png.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flipBits, randomCode } from './helpers/codes.js';
import { type ConsoleClient, consoleLogin, totpCode } from './helpers/console-client.js';
import { launchChromium, openPage, screenshot } from './helpers/browser.js';
import { seededRandom } from './helpers/random.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';

const POLL = { timeout: 20_000 };
const PASSWORD = 'review password 2026';
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const next = seededRandom(2026);

let server: TestServer;
let browser: Browser;
let consoleUrl: string;
/** The operators' listener (the console page is at /console/ on it). */
let operatorOrigin: string;
let totpSecret: string;
let key: string;
/** One login (a TOTP code is accepted once): the API calls and the browser share its session. */
let client: ConsoleClient;
const stock = randomCode(next);
const meme = randomCode(next);

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer({ config: { operatorPort: '0', operatorPasswordCost: '10' } }), launchChromium()]);
  consoleUrl = server.server.operatorUrl!;
  operatorOrigin = new URL(consoleUrl).origin;
  const operator = { kind: 'operator', id: 'test' } as const;
  ({ totpSecret } = await server.server.rempart.operators.add('relecteur', PASSWORD, operator));
  await server.server.rempart.review.allowListAdd(
    [
      { algorithm: 'pdq', value: hex(stock), label: 'banque d’images' },
      { algorithm: 'pdq', value: hex(meme), label: 'mème connu' },
    ],
    operator,
  );
  key = await server.createPlatformKey('Checker');
  client = await consoleLogin(operatorOrigin, 'relecteur', PASSWORD, totpCode(totpSecret));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const register = async (value: Uint8Array) => {
  const created = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'pdq', value: hex(value), quality: 90 }] } });
  expect(created.body).toMatchObject({ hashCount: 0, heldHashes: 1 });
  return created.body as { caseNumber: string; caseSecret: string };
};
const matched = async (value: Uint8Array) => {
  const res = await request(`${server.url}/v1/match`, { headers: bearer(key), body: { hashes: [{ algorithm: 'pdq', value: hex(value) }] } });
  return (res.body.results[0].matches as unknown[]).length > 0;
};
const caseStatus = async (created: { caseNumber: string; caseSecret: string }) =>
  (await request(`${server.url}/v1/cases/${created.caseNumber}`, { headers: bearer(created.caseSecret) })).body;

describe('review queue in the console', () => {
  it('is behind the operators’ session, and its decisions need the CSRF token', async () => {
    expect((await request(`${operatorOrigin}/console/api/review`)).status).toBe(401);
    expect((await client.call('GET', 'review?status=all')).status).toBe(200);
    expect((await client.call('GET', 'review?status=maybe')).status).toBe(400);
    expect((await client.call('POST', 'review/hold_none/reject', undefined, { csrf: false })).status).toBe(403);
    expect((await client.call('POST', 'review/hold_none/reject')).status).toBe(404);
  });

  it('lists held submissions with why they were held, releases one and rejects another after a confirmation, by keyboard', async () => {
    const genuine = flipBits(stock, 14, next); // near the stock photo, but the analyst judges it genuine
    const poisoned = flipBits(meme, 6, next); // a popular meme, slightly altered: the poisoning the allow-list stops
    const first = await register(genuine);
    const second = await register(poisoned);
    expect(await matched(genuine)).toBe(false);

    const { page, context } = await openPage(browser, consoleUrl, { locale: 'en-GB', viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: client.cookie.split('=')[0]!, value: client.cookie.split('=').slice(1).join('='), url: operatorOrigin }]);
    await page.goto(`${consoleUrl}#review`);
    await page.getByRole('heading', { name: 'Review' }).waitFor(POLL);
    const table = page.getByTestId('review');
    const rowOf = (caseNumber: string) => table.locator('tr', { hasText: caseNumber });
    await rowOf(first.caseNumber).waitFor(POLL);
    expect(await rowOf(first.caseNumber).textContent()).toContain('Near the allow-list');
    expect(await rowOf(first.caseNumber).textContent()).toContain('banque d’images at distance 14');
    expect(await rowOf(second.caseNumber).textContent()).toContain('mème connu at distance 6');
    // The page never shows a hash value.
    expect(await page.content()).not.toContain(hex(genuine));
    await screenshot(page, 'console-review');

    // Release: the running server matches the value at once.
    const firstRef = (await rowOf(first.caseNumber).getAttribute('data-hold'))!;
    await rowOf(first.caseNumber).getByRole('button', { name: `Release ${firstRef}` }).click();
    await expect.poll(() => page.getByTestId('review-status').textContent(), POLL).toContain(`${firstRef} released`);
    expect(await rowOf(first.caseNumber).count()).toBe(0);
    expect(await matched(genuine)).toBe(true);
    expect(await caseStatus(first)).toMatchObject({ hashCount: 1, heldHashes: 0 });

    // Reject: a second step in the page, focused, confirmed with the keyboard.
    const secondRef = (await rowOf(second.caseNumber).getAttribute('data-hold'))!;
    await rowOf(second.caseNumber).getByRole('button', { name: `Reject ${secondRef}` }).click();
    const confirm = rowOf(second.caseNumber).getByRole('button', { name: 'Yes, reject and erase' });
    await confirm.waitFor(POLL);
    expect(await rowOf(second.caseNumber).textContent()).toContain('Erase these 1 hash value(s) for good?');
    await expect.poll(() => confirm.evaluate((e) => e === document.activeElement), POLL).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('review-status').textContent(), POLL).toContain(`${secondRef} rejected`);
    expect(await caseStatus(second)).toMatchObject({ hashCount: 0, heldHashes: 0, rejectedHashes: 1 });
    expect((await server.server.rempart.store.getHeld(secondRef))!.items).toEqual([]);
    expect(await matched(poisoned)).toBe(false);
    expect(await page.getByTestId('review-empty').textContent()).toBe('Nothing to review.');

    // Decided ones stay listed under their status, with who decided.
    await page.getByLabel('Show').selectOption('all');
    await rowOf(second.caseNumber).waitFor(POLL);
    expect(await rowOf(second.caseNumber).getAttribute('data-status')).toBe('rejected');
    expect(await rowOf(first.caseNumber).textContent()).toContain('operator:relecteur');
    await context.close();
  });
});
