/**
 * Notices: an analyst asks a site to remove checked links. To a registered platform the
 * notice is available through its API (`GET /v1/notices`) and pushed by signed webhook;
 * the platform answers per link (removed / refused with a reason). To any other site it is
 * an email with what Article 16 of the Digital Services Act requires, sent through SMTP
 * when configured; the analyst records the reply. Deadlines are tracked; a notice still
 * open after its deadline is overdue. Only links go out: never the victim's data.
 */
import { randomBytes } from 'node:crypto';
import { RempartError } from '../../errors.js';
import type { Language, LinkRecord, NoticeOutcome, NoticeRecord, ReportRecord } from '../../store/takedown.js';
import type { Actor, PlatformRecord, Store } from '../../store/types.js';
import type { WebhookDispatcher } from '../../webhooks/dispatcher.js';
import { dsaNoticeText, type NoticeText } from './dsa-notice.js';
import { checkEmail } from './links.js';
import type { Mailer } from './mailer.js';

export interface NoticePolicy {
  /** Hours a platform has to answer, unless its settings say otherwise. */
  deadlineHours: number;
  /** Hours for notices about minors (the shorter of this and the platform's). */
  minorDeadlineHours: number;
  /** Who signs notices (DSA Article 16(2)(c)); email notices need the email. */
  notifier: { name: string; email: string | null };
}

/** What a platform sees of a notice: links and the legal ground, nothing of the victim. */
export interface PlatformNotice {
  id: string;
  category: NoticeRecord['category'];
  createdAt: string;
  deadlineAt: string;
  overdue: boolean;
  status: 'open' | 'answered';
  explanation: string;
  notifier: { name: string; email: string | null };
  links: Array<{ id: string; url: string; outcome: NoticeOutcome | null; reason: string | null; answeredAt: string | null }>;
}

export interface NoticeAnswer {
  link: string;
  outcome: NoticeOutcome;
  reason?: string;
}

type NoticeStore = Pick<
  Store,
  | 'getReport'
  | 'getReportById'
  | 'listLinks'
  | 'createNotice'
  | 'markNoticeSent'
  | 'getNotice'
  | 'listNotices'
  | 'answerNotice'
  | 'getPlatformNoticeSettings'
  | 'listPlatforms'
  | 'audit'
>;

const MAX_REASON = 1000;
const MAX_EXPLANATION = 4000;

export class NoticeService {
  constructor(
    private readonly store: NoticeStore,
    private readonly webhooks: Pick<WebhookDispatcher, 'enqueue'>,
    private readonly mailer: Mailer | undefined,
    private readonly policy: NoticePolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get emailConfigured(): boolean {
    return this.mailer !== undefined && this.policy.notifier.email !== null;
  }

  /**
   * Sends notices about checked links of a report: to their registered platforms (one
   * notice per platform), or by email to `recipient`. Minors' reports go out only once an
   * analyst has handled them on the minors' path, and then as `minor` notices.
   */
  async send(
    reportRef: string,
    input: { links: string[]; channel: 'platform' | 'email'; recipient?: string; explanation?: string; language?: Language },
    actor: Actor,
  ): Promise<NoticeRecord[]> {
    const report = await this.store.getReport(reportRef);
    if (!report) throw new RempartError('NOT_FOUND', `no report ${reportRef}`);
    if (report.status !== 'open') throw new RempartError('CONFLICT', `report ${reportRef} is ${report.status}`);
    if (report.ageBracket === 'minor' && report.minorHandledAt === null) {
      throw new RempartError(
        'CONFLICT',
        'this report concerns a minor: record its referral to the authorities (minors’ path) before any notice is sent',
      );
    }
    if (input.links.length === 0) throw new RempartError('BAD_REQUEST', 'choose at least one link');
    const all = new Map((await this.store.listLinks(report.id)).map((link) => [link.ref, link]));
    const links = input.links.map((ref) => {
      const link = all.get(ref);
      if (!link) throw new RempartError('BAD_REQUEST', `link ${ref} is not a link of report ${reportRef}`);
      if (link.status !== 'checked' && link.status !== 'refused') {
        throw new RempartError('CONFLICT', `link ${ref} is ${link.status}: only links checked as illegal (or refused, to try again) get a notice`);
      }
      return link;
    });
    const explanation = (input.explanation ?? '').trim();
    if (explanation.length > MAX_EXPLANATION) throw new RempartError('BAD_REQUEST', `explanation is longer than ${MAX_EXPLANATION} characters`);
    const category = report.ageBracket === 'minor' ? 'minor' : 'ncii';
    const language = input.language ?? 'en';

    if (input.channel === 'platform') {
      const byPlatform = new Map<number, LinkRecord[]>();
      for (const link of links) {
        if (link.platformId === null) {
          throw new RempartError('BAD_REQUEST', `link ${link.ref} (${link.host}) belongs to no registered platform: send it by email`);
        }
        byPlatform.set(link.platformId, [...(byPlatform.get(link.platformId) ?? []), link]);
      }
      const platforms = new Map((await this.store.listPlatforms()).map((p) => [p.id, p]));
      const created: NoticeRecord[] = [];
      for (const [platformId, platformLinks] of byPlatform) {
        const platform = platforms.get(platformId);
        if (!platform || platform.revokedAt !== null) {
          throw new RempartError('CONFLICT', `platform ${platform?.name ?? platformId} is revoked: send these links by email`);
        }
        const settings = await this.store.getPlatformNoticeSettings(platformId);
        const notice = await this.store.createNotice({
          ref: newNoticeRef(),
          reportId: report.id,
          channel: 'platform',
          platformId,
          recipient: null,
          category,
          explanation,
          language,
          deadlineAt: this.deadline(category, settings.deadlineHours),
          linkIds: platformLinks.map((l) => l.id),
          actor,
        });
        await this.store.audit(actor, 'notice.create', notice.ref, { channel: 'platform', platform: platform.name, links: platformLinks.length, category });
        await this.webhooks.enqueue(platformId, 'notice.created', this.platformView(notice));
        // The platform's notice contact also gets the notice by email, when it has one.
        if (settings.noticeEmail !== null && this.mailer && this.policy.notifier.email !== null) {
          await this.emailCopy(notice, settings.noticeEmail, actor);
        }
        created.push(notice);
      }
      return created;
    }

    if (input.recipient === undefined) throw new RempartError('BAD_REQUEST', 'recipient (the site’s notice email address) is required');
    const recipient = checkEmail(input.recipient, 'recipient');
    if (this.policy.notifier.email === null) {
      throw new RempartError('CONFLICT', 'email notices need the notifier’s email address: set REMPART_NOTIFIER_EMAIL');
    }
    let notice = await this.store.createNotice({
      ref: newNoticeRef(),
      reportId: report.id,
      channel: 'email',
      platformId: null,
      recipient,
      category,
      explanation,
      language,
      deadlineAt: this.deadline(category, null),
      linkIds: links.map((l) => l.id),
      actor,
    });
    await this.store.audit(actor, 'notice.create', notice.ref, { channel: 'email', recipient, links: links.length, category });
    if (this.mailer) notice = await this.deliverEmail(notice, actor);
    return [notice];
  }

  /** The email text of a notice (what was, or is to be, sent). */
  emailText(notice: NoticeRecord): NoticeText {
    return dsaNoticeText({
      ref: notice.ref,
      category: notice.category,
      language: notice.language,
      urls: notice.links.map((l) => l.url),
      explanation: notice.explanation,
      notifier: { name: this.policy.notifier.name, email: this.policy.notifier.email ?? '' },
      createdAt: notice.createdAt,
      deadlineAt: notice.deadlineAt,
    });
  }

  /** Sends (again) an email notice through SMTP; records when it was accepted or why it failed. */
  async deliverEmail(notice: NoticeRecord, actor: Actor): Promise<NoticeRecord> {
    if (notice.channel !== 'email' || notice.recipient === null) throw new RempartError('BAD_REQUEST', `notice ${notice.ref} is not an email notice`);
    if (!this.mailer) throw new RempartError('CONFLICT', 'no SMTP server is configured (REMPART_SMTP_URL): send the notice by hand and mark it sent');
    const { subject, text } = this.emailText(notice);
    try {
      await this.mailer.send({ to: notice.recipient, subject, text, reference: notice.ref });
      await this.store.markNoticeSent(notice.id, { sentAt: this.now().toISOString(), error: null });
      await this.store.audit(actor, 'notice.email_sent', notice.ref, { recipient: notice.recipient });
    } catch (error) {
      const message = (error as Error).message.slice(0, 300);
      await this.store.markNoticeSent(notice.id, { sentAt: null, error: message });
      await this.store.audit(actor, 'notice.email_failed', notice.ref, { recipient: notice.recipient, error: message });
    }
    return (await this.store.getNotice(notice.ref))!;
  }

  private async emailCopy(notice: NoticeRecord, to: string, actor: Actor): Promise<void> {
    const { subject, text } = this.emailText(notice);
    try {
      await this.mailer!.send({ to, subject, text, reference: notice.ref });
      await this.store.audit(actor, 'notice.email_sent', notice.ref, { recipient: to });
    } catch (error) {
      await this.store.audit(actor, 'notice.email_failed', notice.ref, { recipient: to, error: (error as Error).message.slice(0, 300) });
    }
  }

  /** An analyst sent an email notice by hand (no SMTP configured). */
  async markSent(ref: string, actor: Actor): Promise<NoticeRecord> {
    const notice = await this.notice(ref);
    await this.store.markNoticeSent(notice.id, { sentAt: this.now().toISOString(), error: null });
    await this.store.audit(actor, 'notice.marked_sent', ref, null);
    return (await this.store.getNotice(ref))!;
  }

  async notice(ref: string): Promise<NoticeRecord> {
    const notice = await this.store.getNotice(ref);
    if (!notice) throw new RempartError('NOT_FOUND', `no notice ${ref}`);
    return notice;
  }

  async list(options: { open?: boolean; reportId?: number; limit?: number } = {}): Promise<NoticeRecord[]> {
    return this.store.listNotices(options);
  }

  isOverdue(notice: NoticeRecord): boolean {
    return notice.closedAt === null && notice.deadlineAt < this.now().toISOString();
  }

  // ---- the platform's side (API key) ----

  async listForPlatform(platform: PlatformRecord, options: { status?: 'open' | 'all'; after?: string; limit?: number } = {}) {
    let afterId = 0;
    if (options.after !== undefined) {
      const after = await this.store.getNotice(options.after);
      if (!after || after.platformId !== platform.id) throw new RempartError('BAD_REQUEST', `after: no notice ${options.after} of yours`);
      afterId = after.id;
    }
    const limit = options.limit ?? 100;
    const notices = await this.store.listNotices({
      platformId: platform.id,
      open: options.status === 'all' ? undefined : true,
      afterId,
      limit: limit + 1,
    });
    const page = notices.slice(0, limit);
    return { notices: page.map((n) => this.platformView(n)), next: notices.length > limit ? page.at(-1)!.ref : null };
  }

  async getForPlatform(platform: PlatformRecord, ref: string): Promise<PlatformNotice> {
    return this.platformView(await this.ownNotice(platform, ref));
  }

  async answerAsPlatform(platform: PlatformRecord, ref: string, answers: NoticeAnswer[]): Promise<PlatformNotice> {
    const notice = await this.ownNotice(platform, ref);
    const updated = await this.applyAnswers(notice, answers, { kind: 'platform', id: platform.name });
    return this.platformView(updated);
  }

  /** An analyst records a site's reply to an email notice (or overrides a platform's). */
  async recordOutcome(ref: string, answers: NoticeAnswer[], actor: Actor): Promise<NoticeRecord> {
    return this.applyAnswers(await this.notice(ref), answers, actor);
  }

  platformView(notice: NoticeRecord): PlatformNotice {
    return {
      id: notice.ref,
      category: notice.category,
      createdAt: notice.createdAt,
      deadlineAt: notice.deadlineAt,
      overdue: this.isOverdue(notice),
      status: notice.closedAt === null ? 'open' : 'answered',
      explanation: notice.explanation,
      notifier: this.policy.notifier,
      links: notice.links.map((l) => ({ id: l.linkRef, url: l.url, outcome: l.outcome, reason: l.reason, answeredAt: l.answeredAt })),
    };
  }

  private async applyAnswers(notice: NoticeRecord, answers: NoticeAnswer[], actor: Actor): Promise<NoticeRecord> {
    if (answers.length === 0) throw new RempartError('BAD_REQUEST', 'answers must hold at least one answer');
    const byRef = new Map(notice.links.map((l) => [l.linkRef, l]));
    const checked = answers.map((answer, i) => {
      const link = byRef.get(answer.link);
      if (!link) throw new RempartError('BAD_REQUEST', `answers[${i}].link: ${answer.link} is not a link of notice ${notice.ref}`);
      if (answer.outcome !== 'removed' && answer.outcome !== 'refused') {
        throw new RempartError('BAD_REQUEST', `answers[${i}].outcome must be "removed" or "refused"`);
      }
      const reason = answer.reason?.trim() ?? '';
      if (answer.outcome === 'refused' && reason === '') throw new RempartError('BAD_REQUEST', `answers[${i}].reason is required when refusing`);
      if (reason.length > MAX_REASON) throw new RempartError('BAD_REQUEST', `answers[${i}].reason is longer than ${MAX_REASON} characters`);
      return { link, outcome: answer.outcome, reason: reason === '' ? null : reason };
    });
    let updated = notice;
    const at = this.now().toISOString();
    for (const { link, outcome, reason } of checked) {
      updated = await this.store.answerNotice(notice.id, link.linkId, { outcome, reason, at, actor });
    }
    await this.store.audit(actor, 'notice.answer', notice.ref, {
      removed: checked.filter((c) => c.outcome === 'removed').length,
      refused: checked.filter((c) => c.outcome === 'refused').length,
    });
    return updated;
  }

  private async ownNotice(platform: PlatformRecord, ref: string): Promise<NoticeRecord> {
    const notice = await this.store.getNotice(ref);
    // Another platform's notice is "not found": platforms never learn of each other's notices.
    if (!notice || notice.platformId !== platform.id) throw new RempartError('NOT_FOUND', `no notice ${ref}`);
    return notice;
  }

  private deadline(category: NoticeRecord['category'], platformHours: number | null): string {
    let hours = platformHours ?? this.policy.deadlineHours;
    if (category === 'minor') hours = Math.min(hours, this.policy.minorDeadlineHours);
    return new Date(this.now().getTime() + hours * 3_600_000).toISOString();
  }
}

function newNoticeRef(): string {
  return `n_${randomBytes(9).toString('base64url')}`;
}

export type { ReportRecord };
