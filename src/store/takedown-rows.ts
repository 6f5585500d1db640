/**
 * Rows of the takedown tables as both backends return them, and their one mapper each to
 * the records of ./takedown.ts. The backends differ only in the timestamp and JSON columns
 * (see ./columns.ts): each passes its own normaliser.
 */
import { type ColumnTypes, type Columns, timeOrNull } from './columns.js';
import type {
  AnswerTemplate,
  LinkEvent,
  LinkRecord,
  LinkStatus,
  NoticeLink,
  NoticeRecord,
  OperatorRecord,
  OperatorSession,
  PlatformNoticeSettings,
  ReportRecord,
  ReportingRows,
} from './takedown.js';
import type { Actor } from './types.js';

export interface ReportRow<C extends ColumnTypes> {
  id: number;
  ref: string;
  case_id: number;
  case_number: string;
  age_bracket: ReportRecord['ageBracket'];
  language: ReportRecord['language'];
  description_sealed: string | null;
  contact_sealed: string | null;
  answer_sealed: string | null;
  answer_at: C['time'] | null;
  answer_by: string | null;
  status: ReportRecord['status'];
  created_at: C['time'];
  updated_at: C['time'];
  closed_at: C['time'] | null;
  personal_erased_at: C['time'] | null;
  minor_handled_at: C['time'] | null;
  minor_handled_by: string | null;
  minor_referral: string | null;
}

export interface LinkRow<C extends ColumnTypes> {
  id: number;
  ref: string;
  report_id: number;
  url: string;
  host: string;
  site_hint: string | null;
  platform_id: number | null;
  status: LinkStatus;
  reason: string | null;
  created_at: C['time'];
  updated_at: C['time'];
  removed_at: C['time'] | null;
}

export interface LinkEventRow<C extends ColumnTypes> {
  id: number;
  link_id: number;
  at: C['time'];
  actor_kind: Actor['kind'];
  actor_id: string;
  status: LinkStatus;
  note: string | null;
  notice_ref: string | null;
}

export interface NoticeRow<C extends ColumnTypes> {
  id: number;
  ref: string;
  report_id: number;
  channel: NoticeRecord['channel'];
  platform_id: number | null;
  recipient: string | null;
  category: NoticeRecord['category'];
  explanation: string;
  language: NoticeRecord['language'];
  created_at: C['time'];
  created_by: string;
  deadline_at: C['time'];
  sent_at: C['time'] | null;
  send_error: string | null;
  closed_at: C['time'] | null;
}

/** A notice's link, joined with the link's ref and URL. */
export interface NoticeLinkRow<C extends ColumnTypes> {
  notice_id: number;
  link_id: number;
  link_ref: string;
  url: string;
  outcome: NoticeLink['outcome'];
  reason: string | null;
  answered_at: C['time'] | null;
  answered_by: string | null;
}

export interface SettingsRow<C extends ColumnTypes> {
  platform_id: number;
  domains: C['json'];
  notice_email: string | null;
  deadline_hours: number | null;
}

export interface TemplateRow<C extends ColumnTypes> {
  key: string;
  language: ReportRecord['language'];
  title: string;
  body: string;
  updated_at: C['time'];
  updated_by: string;
}

export interface OperatorRow<C extends ColumnTypes> {
  id: number;
  name: string;
  password_hash: string;
  totp_sealed: string;
  totp_last_step: number;
  failed_logins: number;
  locked_until: C['time'] | null;
  created_at: C['time'];
  disabled_at: C['time'] | null;
}

export interface SessionRow<C extends ColumnTypes> {
  token_hash: string;
  operator_id: number;
  csrf_token: string;
  created_at: C['time'];
  last_seen_at: C['time'];
  expires_at: C['time'];
}

/** The rows of the reporting queries (reports, links, notices, removals in a period). */
export interface ReportingQueryRows<C extends ColumnTypes> {
  reports: { created_at: C['time']; age_bracket: ReportRecord['ageBracket'] }[];
  links: { created_at: C['time']; removed_at: C['time'] | null; platform_id: number | null; status: LinkStatus }[];
  notices: { created_at: C['time']; channel: NoticeRecord['channel']; platform_id: number | null; category: NoticeRecord['category'] }[];
  removals: { removed_at: C['time']; created_at: C['time']; first_notice_at: C['time'] | null; platform_id: number | null }[];
}

/** The mappers of one backend: each takes that backend's rows. */
export interface TakedownRowMappers<C extends ColumnTypes> {
  report(row: ReportRow<C>): ReportRecord;
  link(row: LinkRow<C>): LinkRecord;
  linkEvent(row: LinkEventRow<C>): LinkEvent;
  notice(row: NoticeRow<C>, links: NoticeLink[]): NoticeRecord;
  noticeLink(row: NoticeLinkRow<C>): NoticeLink;
  settings(row: SettingsRow<C>): PlatformNoticeSettings;
  template(row: TemplateRow<C>): AnswerTemplate;
  operator(row: OperatorRow<C>): OperatorRecord;
  session(row: SessionRow<C>): OperatorSession;
  reporting(rows: ReportingQueryRows<C>): ReportingRows;
}

export function takedownRowMappers<C extends ColumnTypes>(columns: Columns<C>): TakedownRowMappers<C> {
  const time = (value: C['time']) => columns.time(value);
  const maybe = (value: C['time'] | null) => timeOrNull(columns, value);
  return {
    report: (row) => ({
      id: row.id,
      ref: row.ref,
      caseId: row.case_id,
      caseNumber: row.case_number,
      ageBracket: row.age_bracket,
      language: row.language,
      descriptionSealed: row.description_sealed,
      contactSealed: row.contact_sealed,
      answerSealed: row.answer_sealed,
      answerAt: maybe(row.answer_at),
      answerBy: row.answer_by,
      status: row.status,
      createdAt: time(row.created_at),
      updatedAt: time(row.updated_at),
      closedAt: maybe(row.closed_at),
      personalErasedAt: maybe(row.personal_erased_at),
      minorHandledAt: maybe(row.minor_handled_at),
      minorHandledBy: row.minor_handled_by,
      minorReferral: row.minor_referral,
    }),
    link: (row) => ({
      id: row.id,
      ref: row.ref,
      reportId: row.report_id,
      url: row.url,
      host: row.host,
      siteHint: row.site_hint,
      platformId: row.platform_id,
      status: row.status,
      reason: row.reason,
      createdAt: time(row.created_at),
      updatedAt: time(row.updated_at),
      removedAt: maybe(row.removed_at),
    }),
    linkEvent: (row) => ({
      id: row.id,
      linkId: row.link_id,
      at: time(row.at),
      actor: { kind: row.actor_kind, id: row.actor_id },
      status: row.status,
      note: row.note,
      noticeRef: row.notice_ref,
    }),
    notice: (row, links) => ({
      id: row.id,
      ref: row.ref,
      reportId: row.report_id,
      channel: row.channel,
      platformId: row.platform_id,
      recipient: row.recipient,
      category: row.category,
      explanation: row.explanation,
      language: row.language,
      createdAt: time(row.created_at),
      createdBy: row.created_by,
      deadlineAt: time(row.deadline_at),
      sentAt: maybe(row.sent_at),
      sendError: row.send_error,
      closedAt: maybe(row.closed_at),
      links,
    }),
    noticeLink: (row) => ({
      linkId: row.link_id,
      linkRef: row.link_ref,
      url: row.url,
      outcome: row.outcome,
      reason: row.reason,
      answeredAt: maybe(row.answered_at),
      answeredBy: row.answered_by,
    }),
    settings: (row) => ({
      platformId: row.platform_id,
      domains: columns.json<string[]>(row.domains),
      noticeEmail: row.notice_email,
      deadlineHours: row.deadline_hours,
    }),
    template: (row) => ({
      key: row.key,
      language: row.language,
      title: row.title,
      body: row.body,
      updatedAt: time(row.updated_at),
      updatedBy: row.updated_by,
    }),
    operator: (row) => ({
      id: row.id,
      name: row.name,
      passwordHash: row.password_hash,
      totpSealed: row.totp_sealed,
      totpLastStep: row.totp_last_step,
      failedLogins: row.failed_logins,
      lockedUntil: maybe(row.locked_until),
      createdAt: time(row.created_at),
      disabledAt: maybe(row.disabled_at),
    }),
    session: (row) => ({
      tokenHash: row.token_hash,
      operatorId: row.operator_id,
      csrfToken: row.csrf_token,
      createdAt: time(row.created_at),
      lastSeenAt: time(row.last_seen_at),
      expiresAt: time(row.expires_at),
    }),
    reporting: (rows) => ({
      reports: rows.reports.map((r) => ({ createdAt: time(r.created_at), ageBracket: r.age_bracket })),
      links: rows.links.map((l) => ({ createdAt: time(l.created_at), removedAt: maybe(l.removed_at), platformId: l.platform_id, status: l.status })),
      notices: rows.notices.map((n) => ({ createdAt: time(n.created_at), channel: n.channel, platformId: n.platform_id, category: n.category })),
      removals: rows.removals.map((r) => ({
        removedAt: time(r.removed_at),
        linkCreatedAt: time(r.created_at),
        firstNoticeAt: maybe(r.first_notice_at),
        platformId: r.platform_id,
      })),
    }),
  };
}
