/**
 * The takedown process end to end over real HTTP: a victim reports links on her case; an
 * analyst logs in (password + TOTP) on the operators' listener, checks the links and sends
 * notices; a registered platform receives one by signed webhook and answers it through its
 * API; another site gets a DSA Article 16 email through a real SMTP server; the victim
 * follows each link to "removed" or "refused" and reads the answer. Personal data is
 * never in the database in the clear, and is erased on withdrawal. The same on SQLite and
 * on PostgreSQL (a real server, from test/helpers/postgres.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/hashing/index.js';
import { hashBytes } from './store-helpers.js';
import { consoleLogin, totpCode, type ConsoleClient } from './helpers/console-client.js';
import { sharedPostgres } from './helpers/postgres.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { startSmtpReceiver, type SmtpReceiver } from './helpers/smtp-receiver.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const OPERATOR = { kind: 'operator', id: 'test' } as const;
const PASSWORD = 'correct horse battery staple';
const DESCRIPTION = 'Mon ex a publié nos photos intimes après la rupture, zèbre-7731';
const CONTACT = 'victime.zebre7731@example.org';

let server: TestServer;
let smtp: SmtpReceiver;
let hooks: WebhookReceiver;
let consoleUrl: string;
let analyst: ConsoleClient;
let totpSecret: string;
let platformKey: string;
let seed = 1;

async function newCase(): Promise<{ caseNumber: string; caseSecret: string; value: string }> {
  const value = bytesToHex(hashBytes(seed++));
  const created = await request(`${server.url}/v1/cases`, {
    body: { hashes: [{ algorithm: 'pdq', value, quality: 90 }] },
  });
  expect(created.status).toBe(201);
  return { ...created.body, value };
}

/** The SQLite files, or every row of every table of the PostgreSQL schema as text. */
let rawDatabase: () => Promise<Buffer>;

function sqliteFiles(dataDir: string): Promise<Buffer> {
  const files = fs.readdirSync(dataDir).filter((name) => name.startsWith('rempart.sqlite'));
  return Promise.resolve(Buffer.concat(files.map((name) => fs.readFileSync(path.join(dataDir, name)))));
}

async function postgresRows(url: string): Promise<Buffer> {
  const schema = new URL(url).searchParams.get('schema')!;
  const client = new pg.Client({ connectionString: sharedPostgres().url() });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    const dumps: Buffer[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query<{ row: string }>(
        `SELECT t::text AS row FROM ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)} t`,
      );
      dumps.push(...rows.map((r) => Buffer.from(r.row)));
    }
    return Buffer.concat(dumps);
  } finally {
    await client.end();
  }
}

const BACKENDS = [
  { name: 'sqlite', database: () => undefined },
  { name: 'postgres', database: () => sharedPostgres().schemaUrl('takedown') },
] as const;

describe.each(BACKENDS)('the takedown process on $name', (backend) => {
  beforeAll(async () => {
    [smtp, hooks] = await Promise.all([startSmtpReceiver(), startWebhookReceiver()]);
    const database = backend.database();
    server = await startTestServer({
      config: {
        ...(database ? { database } : {}),
        operatorPort: '0',
        operatorPasswordCost: '10',
        smtpUrl: smtp.url,
        notifierName: 'Hotline Test',
        notifierEmail: 'notices@hotline.example',
        webhookRetryBaseMs: '50',
      },
    });
    expect(server.server.rempart.store.backend).toBe(backend.name);
    rawDatabase = database ? () => postgresRows(database) : () => sqliteFiles(server.dataDir);
    consoleUrl = server.server.operatorUrl!.replace(/\/console\/$/, '');
    const rempart = server.server.rempart;
    ({ totpSecret } = await rempart.operators.add('alice', PASSWORD, OPERATOR));
    platformKey = await server.createPlatformKey('PhotoShare');
    hooks.secret = (await rempart.webhooks.setEndpoint('PhotoShare', hooks.url, OPERATOR)).secret;
    analyst = await consoleLogin(consoleUrl, 'alice', PASSWORD, totpCode(totpSecret));
    const settings = await analyst.call('PUT', 'platforms/PhotoShare', { domains: ['PhotoShare.example', 'https://www.cdn-photoshare.example/'], noticeEmail: null, deadlineHours: 24 });
    expect(settings.status).toBe(200);
    expect(settings.body.domains).toEqual(['cdn-photoshare.example', 'photoshare.example']);
  });

  afterAll(async () => {
    await server?.close();
    await smtp?.close();
    await hooks?.close();
  });

  describe('a victim’s report, followed to removal', () => {
    it('goes from report to "removed" and "refused" through the console, the platform API, a webhook and an email', async () => {
      const { caseNumber, caseSecret } = await newCase();
      const reported = await request(`${server.url}/v1/cases/${caseNumber}/report`, {
        headers: bearer(caseSecret),
        body: {
          ageBracket: 'adult',
          language: 'fr',
          description: DESCRIPTION,
          contact: CONTACT,
          links: [
            { url: 'https://m.photoshare.example/p/123?utm_source=x#top', site: 'PhotoShare' },
            { url: 'forum.other-site.example/thread/9' },
            { url: 'https://m.photoshare.example/p/123' }, // the same link again: kept once
          ],
        },
      });
      expect(reported.status).toBe(201);
      expect(reported.body.links.map((l: { url: string }) => l.url)).toEqual([
        'https://m.photoshare.example/p/123',
        'https://forum.other-site.example/thread/9',
      ]);
      expect(reported.body.links.every((l: { status: string }) => l.status === 'received')).toBe(true);
      expect(reported.body).toMatchObject({ hasDescription: true, hasContact: true, answer: null });
      expect(JSON.stringify(reported.body)).not.toContain(CONTACT);

      // The personal data is sealed in the database, and never in a log.
      const raw = await rawDatabase();
      expect(raw.includes(Buffer.from('zèbre-7731'))).toBe(false);
      expect(raw.includes(Buffer.from(CONTACT))).toBe(false);
      expect(server.logs()).not.toContain('zebre7731');

      // The analyst's queue, then the report with its personal data opened.
      const queue = await analyst.call('GET', 'queue');
      const entry = queue.body.queue.find((q: { caseNumber: string }) => q.caseNumber === caseNumber);
      expect(entry).toMatchObject({ links: 2, toReview: 2, minor: false });
      const report = await analyst.call('GET', `reports/${entry.ref}`);
      expect(report.body).toMatchObject({ description: DESCRIPTION, contact: CONTACT, caseNumber });
      const [onPlatform, elsewhere] = report.body.links as Array<{ ref: string; host: string; platform: string | null }>;
      expect(onPlatform).toMatchObject({ host: 'm.photoshare.example', platform: 'PhotoShare' });
      expect(elsewhere).toMatchObject({ host: 'forum.other-site.example', platform: null });

      // Only checked links get a notice.
      const early = await analyst.call('POST', `reports/${entry.ref}/notices`, { links: [onPlatform!.ref], channel: 'platform' });
      expect(early.status).toBe(409);
      for (const link of [onPlatform!, elsewhere!]) {
        expect((await analyst.call('POST', `links/${link.ref}/status`, { status: 'checked' })).status).toBe(200);
      }
      const victimView = await request(`${server.url}/v1/cases/${caseNumber}/report`, { headers: bearer(caseSecret) });
      expect(victimView.body.links.map((l: { status: string }) => l.status)).toEqual(['under_review', 'under_review']);

      // To the registered platform: a notice by API, pushed by a signed webhook.
      const sent = await analyst.call('POST', `reports/${entry.ref}/notices`, {
        links: [onPlatform!.ref],
        channel: 'platform',
        explanation: 'Photos intimes publiées sans consentement.',
      });
      expect(sent.status).toBe(200);
      const [noticeRef] = sent.body.notices as string[];
      const [hook] = await hooks.waitFor(1);
      expect(hook!.signatureValid).toBe(true);
      expect(hook!.headers['x-rempart-event']).toBe('notice.created');
      expect(hook!.json.data).toMatchObject({ id: noticeRef, category: 'ncii', status: 'open', links: [{ url: 'https://m.photoshare.example/p/123' }] });
      // Nothing of the victim reaches the platform.
      expect(hook!.body).not.toContain(CONTACT);
      expect(hook!.body).not.toContain('zèbre');
      expect(hook!.body).not.toContain(caseNumber);

      const listed = await request(`${server.url}/v1/notices`, { headers: bearer(platformKey) });
      expect(listed.status).toBe(200);
      expect(listed.body.notices.map((n: { id: string }) => n.id)).toEqual([noticeRef]);
      const notice = listed.body.notices[0];
      expect(Math.abs(Date.parse(notice.deadlineAt) - Date.parse(notice.createdAt) - 24 * 3_600_000)).toBeLessThan(1000);
      expect(JSON.stringify(listed.body)).not.toContain(caseNumber);
      const badAnswer = await request(`${server.url}/v1/notices/${noticeRef}/answers`, {
        headers: bearer(platformKey),
        body: { answers: [{ link: notice.links[0].id, outcome: 'refused' }] },
      });
      expect(badAnswer.status).toBe(400);
      expect(badAnswer.body.message).toMatch(/reason is required/);
      const answered = await request(`${server.url}/v1/notices/${noticeRef}/answers`, {
        headers: bearer(platformKey),
        body: { answers: [{ link: notice.links[0].id, outcome: 'removed' }] },
      });
      expect(answered.status).toBe(200);
      expect(answered.body).toMatchObject({ status: 'answered', links: [{ outcome: 'removed' }] });
      expect((await request(`${server.url}/v1/notices`, { headers: bearer(platformKey) })).body.notices).toEqual([]);
      // Another platform sees nothing of it.
      const otherKey = await server.createPlatformKey('OtherPlatform');
      expect((await request(`${server.url}/v1/notices/${noticeRef}`, { headers: bearer(otherKey) })).status).toBe(404);
      expect((await request(`${server.url}/v1/notices`)).status).toBe(401);

      // To another site: a DSA Article 16 email through the SMTP server.
      const emailed = await analyst.call('POST', `reports/${entry.ref}/notices`, {
        links: [elsewhere!.ref],
        channel: 'email',
        recipient: 'abuse@other-site.example',
        language: 'en',
      });
      expect(emailed.status).toBe(200);
      const [mail] = await smtp.waitFor(1);
      expect(mail!.to).toEqual(['abuse@other-site.example']);
      expect(mail!.from).toBe('notices@hotline.example');
      const text = mail!.raw.replace(/=\r?\n/g, '');
      expect(text).toContain('https://forum.other-site.example/thread/9');
      expect(text).toContain('Article 16');
      expect(text).toContain('bona fide belief');
      expect(text).toContain('Hotline Test <notices@hotline.example>');
      expect(text).toContain('226-2-1');
      expect(text).not.toContain(CONTACT);
      expect(text).not.toContain(caseNumber);
      const emailNotice = emailed.body.report.notices.find((n: { channel: string }) => n.channel === 'email');
      expect(emailNotice.sentAt).not.toBeNull();
      const recorded = await analyst.call('POST', `notices/${emailNotice.ref}/outcome`, {
        answers: [{ link: elsewhere!.ref, outcome: 'refused', reason: 'The site says the person consented' }],
      });
      expect(recorded.status).toBe(200);

      // The victim follows her links: removed, refused with the reason.
      const followed = await request(`${server.url}/v1/cases/${caseNumber}/report`, { headers: bearer(caseSecret) });
      expect(followed.body.links.map((l: { status: string }) => l.status)).toEqual(['removed', 'refused']);
      expect(followed.body.links[0].removedAt).not.toBeNull();
      expect(followed.body.links[1].reason).toBe('The site says the person consented');

      // The answer, from a template, in her language.
      const draft = await analyst.call('GET', `reports/${entry.ref}/answer-draft?template=removed&language=fr`);
      expect(draft.body.text).toContain(caseNumber);
      expect(draft.body.text).toContain('3018');
      expect(draft.body.text).toContain('226-2-1');
      expect(draft.body.text).toContain('https://m.photoshare.example/p/123 : retiré');
      expect((await analyst.call('POST', `reports/${entry.ref}/answer`, { text: draft.body.text })).status).toBe(200);
      const withAnswer = await request(`${server.url}/v1/cases/${caseNumber}/report`, { headers: bearer(caseSecret) });
      expect(withAnswer.body.answer.text).toBe(draft.body.text.trim());
      expect((await rawDatabase()).includes(Buffer.from('Bonne nouvelle'))).toBe(false);

      // Adding links later reopens the work; closing erases the personal data.
      const more = await request(`${server.url}/v1/cases/${caseNumber}/report/links`, {
        headers: bearer(caseSecret),
        body: { links: [{ url: 'https://photoshare.example/p/456' }, { url: 'https://m.photoshare.example/p/123' }] },
      });
      expect(more.body.links).toHaveLength(3);
      const closed = await analyst.call('POST', `reports/${entry.ref}/close`);
      expect(closed.body).toMatchObject({ status: 'closed', description: null, contact: null });
      expect(closed.body.personalErasedAt).not.toBeNull();

      // Every analyst action is in the audit log, without the personal data.
      const audit = await server.server.rempart.store.listAudit({ limit: 1000 });
      const actions = audit.filter((e) => e.actor.kind === 'operator' && e.actor.id === 'alice').map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining(['operator.login', 'report.view', 'link.status', 'notice.create', 'notice.email_sent', 'notice.answer', 'report.answer', 'report.close', 'platform.notice_settings']),
      );
      expect(JSON.stringify(audit)).not.toContain(CONTACT);
      expect(JSON.stringify(audit)).not.toContain('zèbre');
    });

    it('shows the analyst and the victim what platforms did with copies matching the case (feedback)', async () => {
      const { caseNumber, caseSecret, value } = await newCase();
      await request(`${server.url}/v1/cases/${caseNumber}/report`, {
        headers: bearer(caseSecret),
        body: { ageBracket: 'adult', links: [{ url: 'https://photoshare.example/p/feedback' }] },
      });
      const ref = (await analyst.call('GET', 'queue')).body.queue.find((q: { caseNumber: string }) => q.caseNumber === caseNumber).ref;
      expect((await analyst.call('GET', `reports/${ref}`)).body.platformFeedback).toEqual({ platformsBlocking: 0, entries: [] });

      // Two platforms meet a copy at upload; one blocks it, the other says it does not match.
      const otherKey = await server.createPlatformKey(`VidShare-${caseNumber}`);
      for (const [key, outcome] of [[platformKey, 'blocked'], [otherKey, 'not_blocked']] as const) {
        const matched = await request(`${server.url}/v1/match`, { headers: bearer(key), body: { hashes: [{ algorithm: 'pdq', value }] } });
        const id = matched.body.results[0].matches[0].id as string;
        const told = await request(`${server.url}/v1/feedback`, { headers: bearer(key), body: { feedback: [{ id, outcome, tags: ['upload'] }] } });
        expect(told.body.recorded).toBe(1);
      }
      const seen = (await analyst.call('GET', `reports/${ref}`)).body;
      expect(seen.platformFeedback.platformsBlocking).toBe(1);
      // Match counts are written in batches, a moment after the answers.
      await expect.poll(async () => (await analyst.call('GET', `reports/${ref}`)).body.matchCount).toBe(2);
      expect(seen.platformFeedback.entries.map((e: { platform: string; value: string; tags: string[] }) => [e.platform, e.value, e.tags]).sort()).toEqual([
        ['PhotoShare', 'Blocked', ['upload']],
        [`VidShare-${caseNumber}`, 'NotBlocked', ['upload']],
      ]);
      expect(seen.platformFeedback.entries[0].itemRef).toMatch(/^i_/);
      const victimSees = await request(`${server.url}/v1/cases/${caseNumber}`, { headers: bearer(caseSecret) });
      expect(victimSees.body.platformsBlocked).toBe(1);
    });

    it('refuses bad reports with messages naming the field', async () => {
      const { caseNumber, caseSecret } = await newCase();
      const post = (body: unknown) => request(`${server.url}/v1/cases/${caseNumber}/report`, { headers: bearer(caseSecret), body });
      expect((await post({ ageBracket: 'adult', links: [{ url: 'ftp://files.example/x' }] })).body.message).toMatch(/links\[0\]\.url must be an http/);
      expect((await post({ ageBracket: 'adult', links: [{ url: 'not a link' }] })).body.message).toMatch(/links\[0\]\.url/);
      expect((await post({ ageBracket: 'adult', links: [{ url: 'https://x.example/' }], contact: 'nope' })).body.message).toMatch(/contact/);
      expect((await post({ ageBracket: 'teen', links: [{ url: 'https://x.example/' }] })).status).toBe(400);
      expect((await post({ ageBracket: 'adult', links: [] })).status).toBe(400);
      expect((await request(`${server.url}/v1/cases/${caseNumber}/report`, { headers: bearer('wrong-secret'), body: { ageBracket: 'adult', links: [{ url: 'https://x.example/' }] } })).status).toBe(401);
      expect((await request(`${server.url}/v1/cases/${caseNumber}/report`, { headers: bearer(caseSecret) })).status).toBe(404);
      expect((await post({ ageBracket: 'adult', links: [{ url: 'https://x.example/a' }] })).status).toBe(201);
      expect((await post({ ageBracket: 'adult', links: [{ url: 'https://x.example/b' }] })).status).toBe(409);
    });

    it('erases the personal data when the victim withdraws her case', async () => {
      const { caseNumber, caseSecret } = await newCase();
      const contact = 'withdrawing.person.81@example.org';
      await request(`${server.url}/v1/cases/${caseNumber}/report`, {
        headers: bearer(caseSecret),
        body: { ageBracket: 'adult', contact, description: 'Texte à effacer 81', links: [{ url: 'https://photoshare.example/p/81' }] },
      });
      const ref = (await analyst.call('GET', 'queue')).body.queue.find((q: { caseNumber: string }) => q.caseNumber === caseNumber).ref;
      expect((await analyst.call('GET', `reports/${ref}`)).body.contact).toBe(contact);
      expect((await request(`${server.url}/v1/cases/${caseNumber}`, { method: 'DELETE', headers: bearer(caseSecret) })).status).toBe(200);
      await expect.poll(async () => (await analyst.call('GET', `reports/${ref}`)).body.status).toBe('withdrawn');
      const after = (await analyst.call('GET', `reports/${ref}`)).body;
      expect(after).toMatchObject({ contact: null, description: null });
      expect(after.links[0].status).toBe('withdrawn');
      expect((await analyst.call('GET', 'queue')).body.queue.map((q: { ref: string }) => q.ref)).not.toContain(ref);
    });
  });

  describe('minors', () => {
    it('are flagged, first in the queue, never noticed before the referral, exported, then noticed as minors', async () => {
      const adultFirst = await newCase();
      await request(`${server.url}/v1/cases/${adultFirst.caseNumber}/report`, {
        headers: bearer(adultFirst.caseSecret),
        body: { ageBracket: 'adult', links: [{ url: 'https://photoshare.example/adult/1' }] },
      });
      const { caseNumber, caseSecret } = await newCase();
      await request(`${server.url}/v1/cases/${caseNumber}/report`, {
        headers: bearer(caseSecret),
        body: { ageBracket: 'minor', description: 'J’ai 15 ans', links: [{ url: 'https://photoshare.example/minor/1' }] },
      });
      const queue = (await analyst.call('GET', 'queue')).body.queue as Array<{ ref: string; caseNumber: string; minor: boolean }>;
      expect(queue[0]).toMatchObject({ caseNumber, minor: true });
      const ref = queue[0]!.ref;
      const report = (await analyst.call('GET', `reports/${ref}`)).body;
      const link = report.links[0].ref;
      await analyst.call('POST', `links/${link}/status`, { status: 'checked' });
      const blocked = await analyst.call('POST', `reports/${ref}/notices`, { links: [link], channel: 'platform' });
      expect(blocked.status).toBe(409);
      expect(blocked.body.message).toMatch(/minor/);

      const exported = await analyst.call('GET', `reports/${ref}/export`);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-disposition')).toContain(`rempart-${ref}.json`);
      expect(exported.body).toMatchObject({
        format: 'rempart.minor-report/1',
        exportedBy: 'alice',
        report: { ref, caseNumber, ageBracket: 'minor', description: 'J’ai 15 ans' },
        links: [{ url: 'https://photoshare.example/minor/1', platform: 'PhotoShare', status: 'checked' }],
      });
      expect((await analyst.call('GET', `reports/${queue.find((q) => !q.minor)!.ref}/export`)).status).toBe(409);

      expect((await analyst.call('POST', `reports/${ref}/minor`, { referral: 'PHAROS-2026-0042' })).status).toBe(200);
      // The platform's notice contact gets the notice by email as well.
      await analyst.call('PUT', 'platforms/PhotoShare', { domains: ['photoshare.example', 'cdn-photoshare.example'], noticeEmail: 'legal@photoshare.example', deadlineHours: 24 });
      const mailsBefore = smtp.mails.length;
      const sent = await analyst.call('POST', `reports/${ref}/notices`, { links: [link], channel: 'platform' });
      expect(sent.status).toBe(200);
      const mails = await smtp.waitFor(mailsBefore + 1);
      const copy = mails.find((m) => m.to.includes('legal@photoshare.example'))!;
      expect(copy.raw.replace(/=\r?\n/g, '')).toContain('https://photoshare.example/minor/1');
      expect(copy.raw).toContain('227-23');
      expect(copy.raw).not.toContain('15 ans');
      const notice = (await request(`${server.url}/v1/notices/${sent.body.notices[0]}`, { headers: bearer(platformKey) })).body;
      expect(notice.category).toBe('minor');
      expect(Math.abs(Date.parse(notice.deadlineAt) - Date.parse(notice.createdAt) - 24 * 3_600_000)).toBeLessThan(1000);
      expect(JSON.stringify(notice)).not.toContain('15 ans');
    });
  });

  describe('the analysts’ console', () => {
    it('lives on the operators’ listener only, and needs a session, a TOTP code and the CSRF token', async () => {
      expect((await fetch(`${server.url}/console/`)).status).toBe(404);
      expect((await fetch(`${server.url}/console/api/queue`)).status).toBe(404);
      const page = await fetch(`${consoleUrl}/console/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect((await fetch(`${consoleUrl}/console/api/queue`)).status).toBe(401);

      const login = (code: string, password = PASSWORD) =>
        fetch(`${consoleUrl}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'alice', password, code }) });
      expect((await login('000000')).status).toBe(401);
      expect((await login(totpCode(totpSecret), 'wrong password!!')).status).toBe(401);
      expect((await login(totpCode(totpSecret, Date.now() - 10 * 60_000))).status).toBe(401);
      // (A code used once is refused the second time: test/operators.test.ts, with a controlled clock.)
      const cookie = analyst.cookie;
      const noCsrf = await analyst.call('POST', 'logout', undefined, { csrf: false });
      expect(noCsrf.status).toBe(403);
      const setCookie = (await fetch(`${consoleUrl}/console/api/session`, { headers: { cookie } })).status;
      expect(setCookie).toBe(200);
      const failures = (await server.server.rempart.store.listAudit({ limit: 1000 })).filter((e) => e.action === 'operator.login_failed');
      expect(failures.length).toBeGreaterThanOrEqual(3);
    });

    it('shows figures per period and per platform, and exports them as CSV', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const stats = await analyst.call('GET', `stats?from=${today}&to=${today}&period=day`);
      expect(stats.status).toBe(200);
      const day = stats.body.periods.find((p: { period: string }) => p.period === today);
      expect(day.reports).toBeGreaterThanOrEqual(4);
      expect(day.minorReports).toBeGreaterThanOrEqual(1);
      expect(day.removals).toBeGreaterThanOrEqual(1);
      const photoShare = stats.body.platforms.find((p: { platform: string }) => p.platform === 'PhotoShare');
      expect(photoShare.removals).toBeGreaterThanOrEqual(1);
      expect(photoShare.medianHoursNoticeToRemoval).toBeGreaterThanOrEqual(0);
      const csv = await analyst.call('GET', `stats.csv?from=${today}&to=${today}&period=day`);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(String(csv.body).split('\n')[0]).toContain('median_hours_notice_to_removal');
      expect(String(csv.body)).toContain(`period,${today},`);
      expect(String(csv.body)).toContain('platform,');
      expect((await analyst.call('GET', 'stats?from=2026-13-01&to=2026-12-01')).status).toBe(400);
    });
  });
});

describe('operator command line', () => {
  it('creates an account from a password on standard input and prints its TOTP secret once', async () => {
    const { runCli } = await import('./helpers/process.js');
    const os = await import('node:os');
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-operator-cli-'));
    const env = { REMPART_OPERATOR_PASSWORD_COST: '10' };
    const added = await runCli(['operator', 'add', 'bob', '--json', '--data-dir', dataDir], { input: 'a long enough password\n', env });
    expect(added.code).toBe(0);
    const created = JSON.parse(added.stdout) as { name: string; totpSecret: string; totpUri: string };
    expect(created.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(created.totpUri).toMatch(/^otpauth:\/\/totp\/Rempart:bob\?/);
    const short = await runCli(['operator', 'add', 'carol', '--data-dir', dataDir], { input: 'short\n', env });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const list = await runCli(['operator', 'list', '--data-dir', dataDir], { env });
    expect(list.stdout).toContain('"name":"bob"');
    expect(list.stdout).not.toContain(created.totpSecret);
    expect((await runCli(['operator', 'disable', 'bob', '--data-dir', dataDir], { env })).code).toBe(0);
    const database = fs.readFileSync(path.join(dataDir, 'rempart.sqlite'));
    expect(database.includes(Buffer.from(created.totpSecret))).toBe(false);
    expect(database.includes(Buffer.from('a long enough password'))).toBe(false);
  });
});
