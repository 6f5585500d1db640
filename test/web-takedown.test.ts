/**
 * The takedown process in a real Chromium: the victim creates her case from an image
 * hashed on her device, reports the links where it appears and follows them; an analyst
 * logs in to the console with the keyboard (password + TOTP), checks the links, sends a
 * notice, records the outcome of an email notice and answers her; the platform answers
 * through its API. Every request the victim's page makes is recorded: no image byte
 * leaves it. Screenshots of the console go to test-output/web/ (the README shows them).
 */
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from './helpers/console-client.js';
import { launchChromium, openPage, screenshot, texturedPhoto } from './helpers/browser.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.js';

const POLL = { timeout: 20_000 };
const PASSWORD = 'console password 2026';
const CONTACT = 'camille.m.4412@example.org';

let server: TestServer;
let smtp: SmtpReceiver;
let browser: Browser;
let consoleUrl: string;
let totpSecret: string;
let platformKey: string;
let photo: string;

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  [server, browser] = await Promise.all([
    startTestServer({
      config: { operatorPort: '0', operatorPasswordCost: '10', smtpUrl: smtp.url, notifierName: 'Ligne d’écoute (test)', notifierEmail: 'notices@hotline.example' },
    }),
    launchChromium(),
  ]);
  consoleUrl = server.server.operatorUrl!;
  const operator = { kind: 'operator', id: 'test' } as const;
  ({ totpSecret } = await server.server.rempart.operators.add('analyste', PASSWORD, operator));
  platformKey = await server.createPlatformKey('PhotoShare');
  await server.server.rempart.casework.setPlatformSettings('PhotoShare', { domains: ['photoshare.example'], deadlineHours: 24 }, operator);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-takedown-web-'));
  photo = path.join(dir, 'plage.jpg');
  writeFileSync(photo, await texturedPhoto(41, 1000, 750));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await smtp?.close();
});

/** Where keyboard focus is, as "tag:text". */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const e = document.activeElement as HTMLElement | null;
    return e ? `${e.tagName.toLowerCase()}:${(e.getAttribute('aria-label') ?? e.textContent ?? '').trim().slice(0, 60)}` : 'none';
  });
}

describe('takedown in the browser', () => {
  it('takes a victim from her image to "removed", through an analyst using the console by keyboard', async () => {
    // ---- The victim: image hashed on her device, case created, links reported. ----
    const victim = await openPage(browser, server.url, { locale: 'fr-FR' });
    const page = victim.page;
    await page.goto(server.url);
    await page.locator('#image-input').setInputFiles([photo]);
    await page.waitForFunction(() => document.querySelector('.item')?.getAttribute('data-state') === 'ready', undefined, POLL);
    await page.getByRole('button', { name: /Envoyer les empreintes de 1 image/ }).click();
    await page.getByTestId('created').waitFor(POLL);
    const caseNumber = (await page.getByTestId('case-number').textContent())!.trim();
    const caseSecret = (await page.getByTestId('case-secret').textContent())!.trim();
    await page.getByRole('button', { name: 'J’ai noté ces informations' }).click();
    await page.locator('#status-case-secret').fill(caseSecret);
    await page.getByRole('button', { name: 'Voir le dossier' }).click();
    const report = page.getByTestId('report');
    await report.getByRole('heading', { name: 'Faire retirer les contenus déjà en ligne' }).waitFor(POLL);
    await report.getByLabel('Liens (un par ligne)').fill('https://photoshare.example/p/777\nforum.autre-site.example/t/12');
    await report.getByLabel('Votre situation en quelques mots (facultatif)').fill('Publié par mon ancien compagnon, dossier 4412');
    await report.getByLabel('Une adresse e-mail où vous joindre (facultatif)').fill(CONTACT);
    await report.getByRole('button', { name: 'Envoyer le signalement' }).click();
    await report.getByText('Signalement envoyé.').waitFor(POLL);
    const links = report.getByTestId('reported-links').locator('li');
    await expect.poll(() => links.count(), POLL).toBe(2);
    expect(await links.first().textContent()).toContain('Reçu');
    await screenshot(page, 'takedown-victim-reported');

    // ---- The analyst: keyboard-only login, queue, report. ----
    const analyst = await openPage(browser, consoleUrl, { locale: 'fr-FR', viewport: { width: 1280, height: 900 } });
    const consolePage = analyst.page;
    await consolePage.goto(consoleUrl);
    // The console follows the browser's French; its switch changes the language (below).
    await consolePage.getByLabel('Nom').waitFor(POLL);
    expect(await consolePage.getByRole('button', { name: 'Se connecter' }).isVisible()).toBe(true);
    expect(await focused(consolePage)).toMatch(/^input/);
    await consolePage.keyboard.type('analyste');
    await consolePage.keyboard.press('Tab');
    await consolePage.keyboard.type(PASSWORD);
    await consolePage.keyboard.press('Tab');
    await consolePage.keyboard.type(totpCode(totpSecret));
    await screenshot(consolePage, 'console-login');
    await consolePage.keyboard.press('Enter');
    await consolePage.getByRole('heading', { name: 'File d’attente' }).waitFor(POLL);
    await expect.poll(() => focused(consolePage), POLL).toBe('h2:File d’attente');
    await consolePage.getByLabel('Langue').selectOption('en');
    await consolePage.getByRole('heading', { name: 'Queue' }).waitFor(POLL);
    await consolePage.reload(); // the choice is remembered
    await consolePage.getByRole('heading', { name: 'Queue' }).waitFor(POLL);
    await expect.poll(() => focused(consolePage), POLL).toBe('h2:Queue');
    const row = consolePage.locator('tr', { hasText: caseNumber });
    await row.waitFor(POLL);
    await screenshot(consolePage, 'console-queue');
    // PhotoShare met a copy at upload and blocked it (its feedback on the match).
    const record = (await server.server.rempart.store.getCaseByNumber(caseNumber))!;
    let hashRef = '';
    for await (const hash of server.server.rempart.store.hashes()) if (hash.caseId === record.id) hashRef = hash.ref;
    const told = await request(`${server.url}/v1/feedback`, { headers: bearer(platformKey), body: { feedback: [{ id: hashRef, outcome: 'blocked' }] } });
    expect(told.body.recorded).toBe(1);
    // Tab from the heading reaches the case link; Enter opens it.
    await row.getByRole('link', { name: caseNumber }).focus();
    await consolePage.keyboard.press('Enter');
    await consolePage.getByRole('heading', { name: new RegExp(`Case ${caseNumber}`) }).waitFor(POLL);
    expect(await consolePage.getByTestId('contact').textContent()).toBe(CONTACT);
    const detection = consolePage.getByRole('region', { name: 'Copies found by platforms' });
    expect(await detection.getByTestId('platforms-blocking').textContent()).toContain('1 platform has blocked copies');
    expect(await detection.locator('tr[data-value="Blocked"]').textContent()).toContain('PhotoShare');

    const platformRow = consolePage.locator('tr[data-link-row]', { hasText: 'photoshare.example/p/777' });
    const otherRow = consolePage.locator('tr[data-link-row]', { hasText: 'forum.autre-site.example' });
    expect(await platformRow.textContent()).toContain('PhotoShare');
    expect(await otherRow.textContent()).toContain('not registered');
    for (const linkRow of [platformRow, otherRow]) {
      await linkRow.getByRole('button', { name: 'Checked: illegal' }).focus();
      await consolePage.keyboard.press('Enter');
      await expect.poll(() => linkRow.getAttribute('data-status'), POLL).toBe('checked');
    }
    // Notice to the platform: tick with Space, send with Enter.
    await platformRow.getByRole('checkbox').focus();
    await consolePage.keyboard.press('Space');
    await consolePage.getByLabel('Why it is illegal (added to the legal ground)').fill('Images intimes diffusées sans consentement.');
    await consolePage.getByTestId('send-notice').focus();
    await consolePage.keyboard.press('Enter');
    await expect.poll(() => platformRow.getAttribute('data-status'), POLL).toBe('notice_sent');
    // Notice by email to the other site.
    await otherRow.getByRole('checkbox').check();
    await consolePage.getByLabel('By email (DSA Article 16 notice)').check();
    await consolePage.getByLabel('Recipient (the site’s notice or abuse address)').fill('abuse@autre-site.example');
    await consolePage.getByTestId('send-notice').click();
    await expect.poll(() => otherRow.getAttribute('data-status'), POLL).toBe('notice_sent');
    const [mail] = await smtp.waitFor(1);
    expect(mail!.raw.replace(/=\r?\n/g, '')).toContain('https://forum.autre-site.example/t/12');
    expect(mail!.raw).not.toContain(CONTACT);
    await screenshot(consolePage, 'console-report');

    // ---- The platform answers through its API; the analyst records the site's email reply. ----
    const notices = (await request(`${server.url}/v1/notices`, { headers: bearer(platformKey) })).body.notices;
    expect(notices).toHaveLength(1);
    const answered = await request(`${server.url}/v1/notices/${notices[0].id}/answers`, {
      headers: bearer(platformKey),
      body: { answers: [{ link: notices[0].links[0].id, outcome: 'removed' }] },
    });
    expect(answered.status).toBe(200);
    await consolePage.reload();
    await expect.poll(() => platformRow.getAttribute('data-status'), POLL).toBe('removed');
    const emailNotice = consolePage.locator('article[data-notice]', { hasText: 'abuse@autre-site.example' });
    await emailNotice.getByRole('combobox', { name: /Outcome for/ }).selectOption('removed');
    await emailNotice.getByRole('button', { name: 'Record outcome' }).click();
    await expect.poll(() => otherRow.getAttribute('data-status'), POLL).toBe('removed');

    // ---- The answer to the victim, from the French template. ----
    await consolePage.getByLabel('Template').selectOption('removed');
    await consolePage.getByRole('button', { name: 'Fill from the template' }).click();
    await expect.poll(() => consolePage.locator('#answer-text').inputValue(), POLL).toContain('Bonne nouvelle');
    await consolePage.getByRole('button', { name: 'Save the answer' }).focus();
    await consolePage.keyboard.press('Enter');
    await consolePage.getByText('Answer saved').waitFor(POLL);
    await screenshot(consolePage, 'console-answer');

    await consolePage.getByRole('link', { name: 'Notices' }).click();
    await consolePage.getByRole('heading', { name: 'Open notices' }).waitFor(POLL);
    await consolePage.getByRole('link', { name: 'Figures' }).click();
    await consolePage.getByTestId('stats-platforms').waitFor(POLL);
    expect(await consolePage.getByTestId('stats-platforms').textContent()).toContain('PhotoShare');
    await screenshot(consolePage, 'console-figures');

    // ---- The victim follows her links to "removed" and reads the answer. ----
    await page.getByRole('button', { name: 'Voir le dossier' }).click();
    await page.reload();
    await page.goto(`${server.url}/#status`);
    await page.locator('#status-case-number').fill(caseNumber);
    await page.locator('#status-case-secret').fill(caseSecret);
    await page.getByRole('button', { name: 'Voir le dossier' }).click();
    const followed = page.getByTestId('reported-links').locator('li');
    await expect.poll(() => followed.count(), POLL).toBe(2);
    await expect.poll(async () => (await followed.allTextContents()).every((t) => t.includes('Retiré')), POLL).toBe(true);
    expect(await page.getByTestId('answer').textContent()).toContain('Bonne nouvelle');
    await screenshot(page, 'takedown-victim-removed');

    // Privacy: the victim's page talked only to Rempart and sent no image byte.
    const origin = new URL(server.url).origin;
    const image = readFileSync(photo);
    for (const r of victim.requests) {
      expect(new URL(r.url).origin, r.url).toBe(origin);
      if (r.body) {
        for (let offset = 0; offset + 64 <= image.length; offset += 4096) {
          expect(r.body.includes(image.subarray(offset, offset + 64)), `image bytes in ${r.method} ${r.url}`).toBe(false);
        }
      }
    }
    const posts = victim.requests.filter((r) => r.method === 'POST').map((r) => new URL(r.url).pathname);
    expect(posts).toEqual(['/v1/cases', `/v1/cases/${caseNumber}/report`]);
    // The console too stays on its own origin.
    for (const r of analyst.requests) expect(new URL(r.url).origin).toBe(new URL(consoleUrl).origin);
    await victim.context.close();
    await analyst.context.close();
  });
});
