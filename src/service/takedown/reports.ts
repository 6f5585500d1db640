/**
 * Victims' reports: the links where her content appears, her age bracket, a short
 * description and an optional contact, attached to her case. The description and contact
 * are sealed with the operator's data key before they reach the store, are readable only
 * in the analysts' console, and are erased when the case is withdrawn, when the report is
 * closed, and after the retention period. Nothing of them is ever sent to a platform.
 */
import { randomBytes } from 'node:crypto';
import { RempartError } from '../../errors.js';
import type { LinkRecord, NewLink, ReportRecord } from '../../store/takedown.js';
import type { Actor, CaseRecord, Store } from '../../store/types.js';
import type { CaseService } from '../cases.js';
import type { DataCipher } from '../data-key.js';
import type { EngineEvents } from '../events.js';
import type { ReportInput, ReportLinkInput, VictimReport } from '../report-shapes.js';
import { checkEmail, normaliseLink, platformForHost } from './links.js';

export const MAX_LINKS_PER_REQUEST = 100;
export const MAX_DESCRIPTION = 2000;
const MAX_SITE_HINT = 200;

export interface ReportPolicy {
  /** Personal data of a report is erased this many days after it was made, whatever its state. */
  retentionDays: number;
}

type TakedownStore = Pick<
  Store,
  | 'createReport'
  | 'getReport'
  | 'getReportById'
  | 'getReportByCase'
  | 'addLinks'
  | 'listLinks'
  | 'closeReport'
  | 'erasePersonalData'
  | 'reportsDueForErasure'
  | 'listPlatformNoticeSettings'
  | 'audit'
  | 'getCaseByNumber'
>;

/** The sealing context binds a sealed field to its report and field name. */
export function sealContext(report: { ref: string }, field: 'description' | 'contact' | 'answer'): string {
  return `report:${report.ref}:${field}`;
}

export class ReportService {
  constructor(
    private readonly store: TakedownStore,
    private readonly cases: Pick<CaseService, 'authenticate'>,
    private readonly cipher: DataCipher,
    private readonly policy: ReportPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Erases a report's personal data as soon as its case is withdrawn. */
  observe(events: EngineEvents, onError: (error: unknown) => void = () => {}): this {
    events.on('case.withdrawn', ({ caseId }) => {
      this.onCaseWithdrawn(caseId).catch(onError);
    });
    return this;
  }

  /** A victim's report on her case (one per case; more links come through addLinks). */
  async report(caseNumber: string, secret: string, input: ReportInput): Promise<VictimReport> {
    const record = await this.activeCase(caseNumber, secret);
    const links = await this.newLinks(input.links);
    if (links.length === 0) throw new RempartError('BAD_REQUEST', 'links must hold at least one link');
    const description = checkDescription(input.description);
    const contact = input.contact === undefined || input.contact.trim() === '' ? null : checkEmail(input.contact, 'contact');
    const ref = `r_${randomBytes(9).toString('base64url')}`;
    const actor: Actor = { kind: 'victim', id: record.number };
    await this.store.createReport({
      ref,
      caseId: record.id,
      ageBracket: input.ageBracket,
      language: input.language ?? 'fr',
      descriptionSealed: this.cipher.sealOptional(description, sealContext({ ref }, 'description')),
      contactSealed: this.cipher.sealOptional(contact, sealContext({ ref }, 'contact')),
      links,
      actor,
    });
    await this.store.audit(actor, 'report.create', ref, { links: links.length, ageBracket: input.ageBracket });
    return this.view(record);
  }

  async addLinks(caseNumber: string, secret: string, input: ReportLinkInput[]): Promise<VictimReport> {
    const record = await this.activeCase(caseNumber, secret);
    const report = await this.store.getReportByCase(record.id);
    if (!report) throw new RempartError('NOT_FOUND', 'this case has no report yet: send one first');
    const links = await this.newLinks(input);
    const actor: Actor = { kind: 'victim', id: record.number };
    const added = await this.store.addLinks(report.id, links, actor);
    await this.store.audit(actor, 'report.add_links', report.ref, { links: added.length });
    return this.view(record);
  }

  /** What the victim sees: per link, where it stands; the hotline's answer. */
  async read(caseNumber: string, secret: string): Promise<VictimReport> {
    return this.view(await this.cases.authenticate(caseNumber, secret));
  }

  /** Erases personal data due for erasure (retention, or a withdrawal whose erasure was interrupted). */
  async sweep(): Promise<number> {
    const cutoff = new Date(this.now().getTime() - this.policy.retentionDays * 86_400_000).toISOString();
    let erased = 0;
    for (const id of await this.store.reportsDueForErasure(cutoff)) {
      const report = await this.store.getReportById(id);
      if (!report) continue;
      const withdrawn = (await this.store.getCaseByNumber(report.caseNumber))?.status === 'withdrawn';
      if (withdrawn) await this.store.closeReport(id, 'withdrawn', this.now().toISOString());
      else await this.store.erasePersonalData(id, this.now().toISOString());
      await this.store.audit({ kind: 'system', id: 'retention' }, 'report.erase', report.ref, { reason: withdrawn ? 'withdrawn' : 'retention' });
      erased++;
    }
    return erased;
  }

  private async onCaseWithdrawn(caseId: number): Promise<void> {
    const report = await this.store.getReportByCase(caseId);
    if (!report || report.status === 'withdrawn') return;
    await this.store.closeReport(report.id, 'withdrawn', this.now().toISOString());
    await this.store.audit({ kind: 'system', id: 'withdrawal' }, 'report.erase', report.ref, { reason: 'withdrawn' });
  }

  private async activeCase(caseNumber: string, secret: string): Promise<CaseRecord> {
    const record = await this.cases.authenticate(caseNumber, secret);
    if (record.status === 'withdrawn') throw new RempartError('CASE_WITHDRAWN', `case ${record.number} was withdrawn`);
    return record;
  }

  private async newLinks(input: readonly ReportLinkInput[]): Promise<NewLink[]> {
    if (input.length > MAX_LINKS_PER_REQUEST) {
      throw new RempartError('BAD_REQUEST', `at most ${MAX_LINKS_PER_REQUEST} links per request, got ${input.length}`);
    }
    const directory = await this.store.listPlatformNoticeSettings();
    const seen = new Set<string>();
    const links: NewLink[] = [];
    input.forEach((link, i) => {
      const { url, host } = normaliseLink(link.url, `links[${i}].url`);
      if (seen.has(url)) return;
      seen.add(url);
      const site = link.site?.trim() ?? '';
      if (site.length > MAX_SITE_HINT) throw new RempartError('BAD_REQUEST', `links[${i}].site is longer than ${MAX_SITE_HINT} characters`);
      links.push({
        ref: `l_${randomBytes(9).toString('base64url')}`,
        url,
        host,
        siteHint: site === '' ? null : site,
        platformId: platformForHost(host, directory),
      });
    });
    return links;
  }

  private async view(record: CaseRecord): Promise<VictimReport> {
    const report = await this.store.getReportByCase(record.id);
    if (!report) throw new RempartError('NOT_FOUND', 'this case has no report');
    const links = await this.store.listLinks(report.id);
    return {
      caseNumber: record.number,
      status: report.status,
      ageBracket: report.ageBracket,
      createdAt: report.createdAt,
      hasDescription: report.descriptionSealed !== null,
      hasContact: report.contactSealed !== null,
      links: links.map(victimLink),
      answer:
        report.answerSealed === null || report.answerAt === null
          ? null
          : { text: this.cipher.open(report.answerSealed, sealContext(report, 'answer')), at: report.answerAt },
    };
  }
}

function victimLink(link: LinkRecord) {
  return {
    id: link.ref,
    url: link.url,
    host: link.host,
    // "checked" is the analysts' working state: to her, the link is still under review.
    status: link.status === 'checked' ? ('under_review' as const) : link.status,
    reason: link.reason,
    updatedAt: link.updatedAt,
    removedAt: link.removedAt,
  };
}

function checkDescription(input: string | undefined): string | null {
  if (input === undefined) return null;
  const text = input.replace(/\r\n/g, '\n').trim();
  if (text.length > MAX_DESCRIPTION) throw new RempartError('BAD_REQUEST', `description is longer than ${MAX_DESCRIPTION} characters`);
  return text === '' ? null : text;
}

export type { ReportRecord };
