/**
 * The analysts' work on reports, behind the console: the queue (minors first, then oldest
 * first), a report with its personal data opened (every opening audited), link checks,
 * the answer to the victim from a template, the minors' path and its export for the
 * authorities, closing (which erases the personal data), and the platform directory.
 */
import { RempartError } from '../../errors.js';
import type {
  Language,
  LinkEvent,
  LinkRecord,
  LinkStatus,
  NoticeRecord,
  PlatformNoticeSettings,
  ReportRecord,
} from '../../store/takedown.js';
import { FINAL_LINK_STATUSES } from '../../store/takedown.js';
import type { FeedbackValue } from '../../store/feedback.js';
import type { Actor, PlatformRecord, Store } from '../../store/types.js';
import type { DataCipher } from '../data-key.js';
import { checkEmail, normaliseDomain, platformForHost } from './links.js';
import type { NoticeService } from './notices.js';
import { sealContext } from './reports.js';
import { renderTemplate, type TemplateService } from './templates.js';
import type { QueueEntry } from '../console-shapes.js';

export type { QueueEntry } from '../console-shapes.js';

/** Statuses an analyst sets by hand (the others come from notices and answers). */
export const ANALYST_LINK_STATUSES = ['under_review', 'checked', 'not_found', 'not_illegal'] as const;
export type AnalystLinkStatus = (typeof ANALYST_LINK_STATUSES)[number];

export interface ConsoleLink extends LinkRecord {
  platform: string | null;
  history: LinkEvent[];
}

export interface ConsoleReport {
  ref: string;
  caseNumber: string;
  caseStatus: string;
  minor: boolean;
  minorHandledAt: string | null;
  minorHandledBy: string | null;
  minorReferral: string | null;
  language: Language;
  status: ReportRecord['status'];
  createdAt: string;
  closedAt: string | null;
  personalErasedAt: string | null;
  description: string | null;
  contact: string | null;
  answer: { text: string; at: string; by: string | null } | null;
  links: ConsoleLink[];
  notices: Array<NoticeRecord & { platform: string | null; overdue: boolean }>;
  /** Matches platforms found on the case's hashes (proactive detection). */
  matchCount: number;
  /**
   * What platforms said they did with copies matching the case's hashes (their feedback):
   * how many active platforms blocked copies, and each platform's latest word per item.
   */
  platformFeedback: {
    platformsBlocking: number;
    entries: Array<{ platform: string; itemRef: string; value: FeedbackValue; tags: string[]; firstAt: string; at: string }>;
  };
}

type CaseworkStore = Pick<
  Store,
  | 'openReports'
  | 'listReports'
  | 'linksOfReports'
  | 'getReport'
  | 'getReportById'
  | 'listLinks'
  | 'getLink'
  | 'setLinkStatus'
  | 'linkEvents'
  | 'setLinkPlatform'
  | 'setAnswer'
  | 'setMinorHandled'
  | 'closeReport'
  | 'listNotices'
  | 'getCaseByNumber'
  | 'feedbackOfCase'
  | 'countPlatformsBlocking'
  | 'listPlatforms'
  | 'getPlatformNoticeSettings'
  | 'listPlatformNoticeSettings'
  | 'setPlatformNoticeSettings'
  | 'audit'
>;

/** Format of the minors' export; bump on any incompatible change (docs/takedown.md describes it). */
export const MINOR_EXPORT_FORMAT = 'rempart.minor-report/1';

export class CaseworkService {
  constructor(
    private readonly store: CaseworkStore,
    private readonly notices: NoticeService,
    private readonly templates: TemplateService,
    private readonly cipher: DataCipher,
    private readonly hotline: { name: string; email: string | null },
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Reports needing the hotline: minors' first, then by how long their oldest open link has waited. */
  async queue(): Promise<QueueEntry[]> {
    const reports = await this.store.openReports();
    const links = await this.store.linksOfReports(reports.map((r) => r.id));
    const openNotices = await this.store.listNotices({ open: true, limit: 10_000 });
    const entries = reports.map((report): QueueEntry => {
      const own = links.filter((l) => l.reportId === report.id);
      const waiting = own.filter((l) => l.status === 'received' || l.status === 'under_review' || l.status === 'checked');
      return {
        ref: report.ref,
        caseNumber: report.caseNumber,
        minor: report.ageBracket === 'minor',
        minorHandled: report.minorHandledAt !== null,
        createdAt: report.createdAt,
        waitingSince: waiting.length ? waiting.map((l) => l.createdAt).sort()[0]! : null,
        links: own.length,
        toReview: waiting.length,
        awaitingAnswer: own.filter((l) => l.status === 'notice_sent').length,
        removed: own.filter((l) => l.status === 'removed').length,
        overdueNotices: openNotices.filter((n) => n.reportId === report.id && this.notices.isOverdue(n)).length,
      };
    });
    return entries.sort(
      (a, b) =>
        Number(b.minor) - Number(a.minor) ||
        Number(b.toReview > 0) - Number(a.toReview > 0) ||
        (a.waitingSince ?? a.createdAt).localeCompare(b.waitingSince ?? b.createdAt) ||
        a.createdAt.localeCompare(b.createdAt),
    );
  }

  /** A report as the console shows it, personal data opened; the opening is audited. */
  async report(ref: string, actor: Actor): Promise<ConsoleReport> {
    const report = await this.reportNamed(ref);
    await this.store.audit(actor, 'report.view', report.ref, null);
    return this.view(report);
  }

  async setLinkStatus(linkRef: string, status: string, note: string | undefined, actor: Actor): Promise<ConsoleReport> {
    if (!(ANALYST_LINK_STATUSES as readonly string[]).includes(status)) {
      throw new RempartError('BAD_REQUEST', `status must be one of ${ANALYST_LINK_STATUSES.join(', ')}`);
    }
    const link = await this.store.getLink(linkRef);
    if (!link) throw new RempartError('NOT_FOUND', `no link ${linkRef}`);
    if (link.status === 'notice_sent' || link.status === 'withdrawn' || link.status === 'removed') {
      throw new RempartError('CONFLICT', `link ${linkRef} is ${link.status}: its status comes from the notice now`);
    }
    const text = note?.trim() ?? '';
    if (text.length > 1000) throw new RempartError('BAD_REQUEST', 'note is longer than 1,000 characters');
    // The reason shown to the victim for links the hotline cannot act on.
    const reason = status === 'not_found' || status === 'not_illegal' ? text || null : null;
    await this.store.setLinkStatus(link.id, status as LinkStatus, { actor, note: text || null, reason });
    const report = (await this.store.getReportById(link.reportId))!;
    await this.store.audit(actor, 'link.status', link.ref, { status, report: report.ref });
    return this.view(report);
  }

  /** The answer template filled with the report's facts, for the analyst to edit. */
  async draftAnswer(ref: string, key: string, language: Language): Promise<{ title: string; text: string }> {
    const report = await this.reportNamed(ref);
    const template = await this.templates.get(key, language);
    const links = await this.store.listLinks(report.id);
    return {
      title: template.title,
      text: renderTemplate(template.body, {
        caseNumber: report.caseNumber,
        linkCount: String(links.length),
        removedCount: String(links.filter((l) => l.status === 'removed').length),
        links: links.map((l) => `- ${l.url} : ${statusWord(l.status, language)}${l.reason ? ` (${l.reason})` : ''}`).join('\n'),
        hotline: this.hotline.name,
      }),
    };
  }

  /** Saves the answer the victim reads on her page (sealed: it may speak of her situation). */
  async answer(ref: string, text: string, actor: Actor): Promise<ConsoleReport> {
    const report = await this.reportNamed(ref);
    if (report.status === 'withdrawn') throw new RempartError('CONFLICT', 'the victim withdrew this case');
    const body = text.replace(/\r\n/g, '\n').trim();
    if (body === '' || body.length > 20_000) throw new RempartError('BAD_REQUEST', 'the answer must be 1 to 20,000 characters');
    await this.store.setAnswer(report.id, { sealed: this.cipher.seal(body, sealContext(report, 'answer')), at: this.now().toISOString(), by: actor.id });
    await this.store.audit(actor, 'report.answer', report.ref, null);
    return this.view((await this.store.getReportById(report.id))!);
  }

  /** Records the minors' path: the report was passed on to the authorities (reference optional). */
  async handleMinor(ref: string, referral: string | undefined, actor: Actor): Promise<ConsoleReport> {
    const report = await this.reportNamed(ref);
    if (report.ageBracket !== 'minor') throw new RempartError('CONFLICT', `report ${ref} does not concern a minor`);
    const text = referral?.trim() ?? '';
    if (text.length > 200) throw new RempartError('BAD_REQUEST', 'referral is longer than 200 characters');
    await this.store.setMinorHandled(report.id, { at: this.now().toISOString(), by: actor.id, referral: text || null });
    await this.store.audit(actor, 'report.minor_handled', report.ref, { referral: text || null });
    return this.view((await this.store.getReportById(report.id))!);
  }

  /**
   * A minor's report for the authorities, in the documented JSON format (docs/takedown.md):
   * everything the hotline knows, the personal data included, so the export is audited.
   */
  async exportMinor(ref: string, actor: Actor): Promise<Record<string, unknown>> {
    const report = await this.reportNamed(ref);
    if (report.ageBracket !== 'minor') throw new RempartError('CONFLICT', `report ${ref} does not concern a minor`);
    const view = await this.view(report);
    await this.store.audit(actor, 'report.export', report.ref, { format: MINOR_EXPORT_FORMAT });
    return {
      format: MINOR_EXPORT_FORMAT,
      exportedAt: this.now().toISOString(),
      exportedBy: actor.id,
      hotline: this.hotline,
      report: {
        ref: view.ref,
        caseNumber: view.caseNumber,
        receivedAt: view.createdAt,
        ageBracket: 'minor',
        language: view.language,
        description: view.description,
        contact: view.contact,
        referral: view.minorReferral,
        handledAt: view.minorHandledAt,
        handledBy: view.minorHandledBy,
      },
      links: view.links.map((link) => ({
        id: link.ref,
        url: link.url,
        host: link.host,
        siteNamedByReporter: link.siteHint,
        platform: link.platform,
        reportedAt: link.createdAt,
        status: link.status,
        removedAt: link.removedAt,
        history: link.history.map((e) => ({ at: e.at, status: e.status, by: `${e.actor.kind}:${e.actor.id}`, note: e.note, notice: e.noticeRef })),
      })),
      notices: view.notices.map((n) => ({
        id: n.ref,
        channel: n.channel,
        platform: n.platform,
        recipient: n.recipient,
        createdAt: n.createdAt,
        sentAt: n.sentAt,
        deadlineAt: n.deadlineAt,
        links: n.links.map((l) => ({ id: l.linkRef, outcome: l.outcome, reason: l.reason, answeredAt: l.answeredAt })),
      })),
    };
  }

  /** Closes a report: its personal data is erased at once (the answer stays for the victim). */
  async close(ref: string, actor: Actor): Promise<ConsoleReport> {
    const report = await this.reportNamed(ref);
    if (report.status !== 'open') throw new RempartError('CONFLICT', `report ${ref} is already ${report.status}`);
    await this.store.closeReport(report.id, 'closed', this.now().toISOString());
    await this.store.audit(actor, 'report.close', report.ref, null);
    return this.view((await this.store.getReportById(report.id))!);
  }

  async recentReports(limit = 100): Promise<QueueEntry[]> {
    const reports = await this.store.listReports({ limit });
    const links = await this.store.linksOfReports(reports.map((r) => r.id));
    return reports.map((report) => {
      const own = links.filter((l) => l.reportId === report.id);
      return {
        ref: report.ref,
        caseNumber: report.caseNumber,
        minor: report.ageBracket === 'minor',
        minorHandled: report.minorHandledAt !== null,
        createdAt: report.createdAt,
        waitingSince: null,
        links: own.length,
        toReview: own.filter((l) => !FINAL_LINK_STATUSES.includes(l.status) && l.status !== 'notice_sent').length,
        awaitingAnswer: own.filter((l) => l.status === 'notice_sent').length,
        removed: own.filter((l) => l.status === 'removed').length,
        overdueNotices: 0,
      };
    });
  }

  // ---- platform directory ----

  async platforms(): Promise<Array<PlatformNoticeSettings & { name: string; revoked: boolean }>> {
    const settings = new Map((await this.store.listPlatformNoticeSettings()).map((s) => [s.platformId, s]));
    return (await this.store.listPlatforms()).map((p) => ({
      ...(settings.get(p.id) ?? { platformId: p.id, domains: [], noticeEmail: null, deadlineHours: null }),
      name: p.name,
      revoked: p.revokedAt !== null,
    }));
  }

  /** Sets a platform's domains and notice contact; open links on those domains are re-attributed. */
  async setPlatformSettings(
    name: string,
    input: { domains: string[]; noticeEmail?: string | null; deadlineHours?: number | null },
    actor: Actor,
  ): Promise<PlatformNoticeSettings> {
    const platform = await this.platformNamed(name);
    if (input.domains.length > 200) throw new RempartError('BAD_REQUEST', 'at most 200 domains per platform');
    const domains = [...new Set(input.domains.map(normaliseDomain))].sort();
    const noticeEmail = input.noticeEmail == null || input.noticeEmail.trim() === '' ? null : checkEmail(input.noticeEmail, 'noticeEmail');
    const deadlineHours = input.deadlineHours ?? null;
    if (deadlineHours !== null && !(Number.isInteger(deadlineHours) && deadlineHours >= 1 && deadlineHours <= 2160)) {
      throw new RempartError('BAD_REQUEST', 'deadlineHours must be a whole number of hours from 1 to 2160');
    }
    const settings = { platformId: platform.id, domains, noticeEmail, deadlineHours };
    await this.store.setPlatformNoticeSettings(settings);
    await this.store.audit(actor, 'platform.notice_settings', platform.name, { domains, noticeEmail, deadlineHours });
    await this.reattributeOpenLinks();
    return settings;
  }

  private async reattributeOpenLinks(): Promise<void> {
    const directory = await this.store.listPlatformNoticeSettings();
    const reports = await this.store.openReports();
    for (const link of await this.store.linksOfReports(reports.map((r) => r.id))) {
      if (link.status === 'notice_sent' || FINAL_LINK_STATUSES.includes(link.status)) continue;
      const platformId = platformForHost(link.host, directory);
      if (platformId !== link.platformId) await this.store.setLinkPlatform(link.id, platformId);
    }
  }

  private async platformNamed(name: string): Promise<PlatformRecord> {
    const platform = (await this.store.listPlatforms()).find((p) => p.name === name);
    if (!platform) throw new RempartError('NOT_FOUND', `no platform named "${name}"`);
    return platform;
  }

  private async reportNamed(ref: string): Promise<ReportRecord> {
    const report = await this.store.getReport(ref);
    if (!report) throw new RempartError('NOT_FOUND', `no report ${ref}`);
    return report;
  }

  private async view(report: ReportRecord): Promise<ConsoleReport> {
    const [links, events, notices, platforms, record, feedback, platformsBlocking] = await Promise.all([
      this.store.listLinks(report.id),
      this.store.linkEvents(report.id),
      this.store.listNotices({ reportId: report.id, limit: 1000 }),
      this.store.listPlatforms(),
      this.store.getCaseByNumber(report.caseNumber),
      this.store.feedbackOfCase(report.caseId),
      this.store.countPlatformsBlocking(report.caseId),
    ]);
    const names = new Map(platforms.map((p) => [p.id, p.name]));
    return {
      ref: report.ref,
      caseNumber: report.caseNumber,
      caseStatus: record?.status ?? 'unknown',
      minor: report.ageBracket === 'minor',
      minorHandledAt: report.minorHandledAt,
      minorHandledBy: report.minorHandledBy,
      minorReferral: report.minorReferral,
      language: report.language,
      status: report.status,
      createdAt: report.createdAt,
      closedAt: report.closedAt,
      personalErasedAt: report.personalErasedAt,
      description: this.cipher.openOptional(report.descriptionSealed, sealContext(report, 'description')),
      contact: this.cipher.openOptional(report.contactSealed, sealContext(report, 'contact')),
      answer:
        report.answerSealed === null || report.answerAt === null
          ? null
          : { text: this.cipher.open(report.answerSealed, sealContext(report, 'answer')), at: report.answerAt, by: report.answerBy },
      links: links.map((link) => ({
        ...link,
        platform: link.platformId === null ? null : (names.get(link.platformId) ?? null),
        history: events.filter((e) => e.linkId === link.id),
      })),
      notices: notices.map((n) => ({ ...n, platform: n.platformId === null ? null : (names.get(n.platformId) ?? null), overdue: this.notices.isOverdue(n) })),
      matchCount: record?.matchCount ?? 0,
      platformFeedback: {
        platformsBlocking,
        entries: feedback.map((f) => ({ platform: f.platform, itemRef: f.itemRef, value: f.value, tags: f.tags, firstAt: f.firstAt, at: f.at })),
      },
    };
  }
}

const STATUS_WORDS: Record<Language, Record<LinkStatus, string>> = {
  fr: {
    received: 'reçu',
    under_review: 'en cours d’examen',
    checked: 'en cours d’examen',
    not_found: 'contenu introuvable',
    not_illegal: 'pas de retrait possible',
    notice_sent: 'demande de retrait envoyée',
    removed: 'retiré',
    refused: 'retrait refusé',
    withdrawn: 'dossier retiré',
  },
  en: {
    received: 'received',
    under_review: 'under review',
    checked: 'under review',
    not_found: 'content not found',
    not_illegal: 'no removal possible',
    notice_sent: 'removal request sent',
    removed: 'removed',
    refused: 'removal refused',
    withdrawn: 'case withdrawn',
  },
};

function statusWord(status: LinkStatus, language: Language): string {
  return STATUS_WORDS[language][status];
}
