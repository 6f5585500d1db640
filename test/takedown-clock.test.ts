/**
 * What the takedown process does with time (issue 15 items 2 and 4): a report's personal
 * data is erased once the retention period has passed, and a notice still open after its
 * deadline is overdue. Real engine, real SQLite file; only the services' clocks move.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { Rempart } from '../src/service/rempart.js';
import { NoticeService } from '../src/service/takedown/notices.js';
import { ReportService } from '../src/service/takedown/reports.js';
import type { Actor } from '../src/store/types.js';
import { hexHashValues } from './helpers/codes.js';

const DAY = 86_400_000;
const analyst: Actor = { kind: 'operator', id: 'analyst-clock' };
let rempart: Rempart;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-takedown-clock-'));
  rempart = await Rempart.open(resolveConfig({ dataDir, hashThreads: '1', reportRetentionDays: '30', notifierEmail: 'notices@hotline.example.org' }));
});
afterAll(async () => {
  await rempart?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function newReport(seed: number) {
  const [value] = hexHashValues(seed, 1);
  const registered = await rempart.cases.register([{ algorithm: 'pdq', value: value!, quality: 90 }]);
  await rempart.reports.report(registered.caseNumber, registered.caseSecret, {
    ageBracket: 'adult',
    links: [{ url: `https://files.example.net/v/${seed}` }],
    description: `shared by an ex-partner (${seed})`,
    contact: `victim${seed}@example.org`,
  });
  const record = await rempart.store.getReportByCase((await rempart.cases.authenticate(registered.caseNumber, registered.caseSecret)).id);
  return record!;
}

/** The same engine's report service, as seen `days` from now. */
const reportsAt = (days: number) =>
  new ReportService(rempart.store, rempart.cases, rempart.dataCipher, { retentionDays: 30 }, () => new Date(Date.now() + days * DAY));

describe('retention of personal data', () => {
  it('erases the description and contact once the retention period has passed, and not before', async () => {
    const report = await newReport(1);
    expect(report.descriptionSealed).not.toBeNull();
    expect(report.contactSealed).not.toBeNull();

    expect(await reportsAt(29).sweep()).toBe(0);
    expect((await rempart.store.getReport(report.ref))!.personalErasedAt).toBeNull();

    expect(await reportsAt(31).sweep()).toBe(1);
    const erased = (await rempart.store.getReport(report.ref))!;
    expect(erased).toMatchObject({ descriptionSealed: null, contactSealed: null });
    expect(erased.personalErasedAt).not.toBeNull();
    // The links stay: they are the hotline's work, not the victim's personal data.
    expect(await rempart.store.listLinks(report.id)).toHaveLength(1);
    // Nothing left to erase on the next pass.
    expect(await reportsAt(32).sweep()).toBe(0);
  });
});

describe('notice deadlines', () => {
  it('marks a notice overdue after its deadline while it is open, and never once it is answered', async () => {
    const report = await newReport(2);
    const [link] = await rempart.store.listLinks(report.id);
    await rempart.casework.setLinkStatus(link!.ref, 'checked', undefined, analyst);
    const [notice] = await rempart.notices.send(
      report.ref,
      { links: [link!.ref], channel: 'email', recipient: 'abuse@files.example.net' },
      analyst,
    );
    const deadline = Date.parse(notice!.deadlineAt);
    // The default deadline for an adult's content: 48 hours (the service reads its clock for the
    // deadline and the store for createdAt, a few milliseconds apart).
    expect(Math.abs(deadline - Date.parse(notice!.createdAt) - 48 * 3_600_000)).toBeLessThan(5_000);

    const noticesAt = (ms: number) =>
      new NoticeService(rempart.store, rempart.webhookDispatcher, undefined, { deadlineHours: 48, minorDeadlineHours: 24, notifier: { name: 'Hotline', email: null } }, () => new Date(ms));
    expect(noticesAt(deadline - 60_000).isOverdue(notice!)).toBe(false);
    expect(noticesAt(deadline + 60_000).isOverdue(notice!)).toBe(true);
    // What the console lists uses the same rule.
    expect(rempart.notices.isOverdue(notice!)).toBe(false);

    const answered = await rempart.notices.recordOutcome(notice!.ref, [{ link: link!.ref, outcome: 'removed' }], analyst);
    expect(answered.closedAt).not.toBeNull();
    expect(noticesAt(deadline + 60_000).isOverdue(answered)).toBe(false);
  });
});
