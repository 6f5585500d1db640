/**
 * Store roles of the takedown process (issue 15): victims' reports and their links, the
 * notices sent about them, the platform directory (domains, notice contacts), answer
 * templates, and the analysts' accounts and sessions. Asynchronous like every role.
 *
 * Personal data (a report's description and contact, the answer to the victim, operators'
 * TOTP secrets) arrives here already sealed with the operator's data key: the store never
 * sees it in the clear.
 */
import type { Actor } from './types.js';

export type AgeBracket = 'minor' | 'adult';
export type Language = 'fr' | 'en';
export type ReportStatus = 'open' | 'closed' | 'withdrawn';

/**
 * Where a link stands. received → under_review → checked (illegal, ready for a notice) or
 * not_found / not_illegal (nothing to send); notice_sent → removed or refused (with the
 * platform's reason); withdrawn when the victim withdrew her case first.
 */
export const LINK_STATUSES = [
  'received',
  'under_review',
  'checked',
  'not_found',
  'not_illegal',
  'notice_sent',
  'removed',
  'refused',
  'withdrawn',
] as const;
export type LinkStatus = (typeof LINK_STATUSES)[number];
/** Statuses after which nothing more is expected for a link. */
export const FINAL_LINK_STATUSES: readonly LinkStatus[] = ['not_found', 'not_illegal', 'removed', 'refused', 'withdrawn'];

export interface ReportRecord {
  id: number;
  /** Opaque id shown in the console ("r_…"); also the sealing context of its personal data. */
  ref: string;
  caseId: number;
  caseNumber: string;
  ageBracket: AgeBracket;
  /** The victim's language, for the answer. */
  language: Language;
  descriptionSealed: string | null;
  contactSealed: string | null;
  answerSealed: string | null;
  answerAt: string | null;
  answerBy: string | null;
  status: ReportStatus;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  personalErasedAt: string | null;
  /** Minors: when and by whom the report was handled on the minors' path (referral to the authorities). */
  minorHandledAt: string | null;
  minorHandledBy: string | null;
  /** The authorities' reference for the referral (e.g. a PHAROS number); never personal data. */
  minorReferral: string | null;
}

export interface NewLink {
  ref: string;
  url: string;
  host: string;
  /** The platform or site the victim named, as she typed it. */
  siteHint: string | null;
  /** The registered platform whose domains cover the host, if any. */
  platformId: number | null;
}

export interface LinkRecord extends NewLink {
  id: number;
  reportId: number;
  status: LinkStatus;
  /** Why it was refused or judged not illegal (shown to the victim). */
  reason: string | null;
  createdAt: string;
  updatedAt: string;
  removedAt: string | null;
}

export interface LinkEvent {
  id: number;
  linkId: number;
  at: string;
  actor: Actor;
  status: LinkStatus;
  note: string | null;
  noticeRef: string | null;
}

export type NoticeChannel = 'platform' | 'email';
export type NoticeCategory = 'ncii' | 'minor';
export type NoticeOutcome = 'removed' | 'refused';

export interface NoticeLink {
  linkId: number;
  linkRef: string;
  url: string;
  outcome: NoticeOutcome | null;
  reason: string | null;
  answeredAt: string | null;
  answeredBy: string | null;
}

export interface NoticeRecord {
  id: number;
  /** Opaque id shown to the platform ("n_…"). */
  ref: string;
  reportId: number;
  channel: NoticeChannel;
  platformId: number | null;
  /** Email notices: the address it went (or goes) to. */
  recipient: string | null;
  category: NoticeCategory;
  /** The analyst's explanation of why the content is illegal (part of the notice). */
  explanation: string;
  language: Language;
  createdAt: string;
  createdBy: string;
  deadlineAt: string;
  /** Email: when the SMTP server accepted it (null: not sent yet, or sending failed). Platform: createdAt. */
  sentAt: string | null;
  sendError: string | null;
  /** When every link had an answer. */
  closedAt: string | null;
  links: NoticeLink[];
}

export interface ReportStore {
  createReport(input: {
    ref: string;
    caseId: number;
    ageBracket: AgeBracket;
    language: Language;
    descriptionSealed: string | null;
    contactSealed: string | null;
    links: NewLink[];
    actor: Actor;
  }): Promise<ReportRecord>;
  getReport(ref: string): Promise<ReportRecord | undefined>;
  getReportById(id: number): Promise<ReportRecord | undefined>;
  getReportByCase(caseId: number): Promise<ReportRecord | undefined>;
  /** Adds links not already on the report (same normalised URL); returns those added. Reopens a closed report. */
  addLinks(reportId: number, links: NewLink[], actor: Actor): Promise<LinkRecord[]>;
  listLinks(reportId: number): Promise<LinkRecord[]>;
  getLink(ref: string): Promise<LinkRecord | undefined>;
  /** Moves a link to a status and logs the event, in one transaction. */
  setLinkStatus(linkId: number, status: LinkStatus, event: { actor: Actor; note?: string | null; reason?: string | null }): Promise<LinkRecord>;
  linkEvents(reportId: number): Promise<LinkEvent[]>;
  /** Re-points links at the platform now covering their host (after an operator edits domains). */
  setLinkPlatform(linkId: number, platformId: number | null): Promise<void>;
  setAnswer(reportId: number, answer: { sealed: string; at: string; by: string }): Promise<void>;
  setMinorHandled(reportId: number, handled: { at: string; by: string; referral: string | null }): Promise<void>;
  /** Closes (or marks withdrawn) a report and erases its personal data in the same transaction. */
  closeReport(reportId: number, status: 'closed' | 'withdrawn', at: string): Promise<void>;
  /** Erases description, contact (and, when asked, the answer); false if already erased. */
  erasePersonalData(reportId: number, at: string, options?: { answer?: boolean }): Promise<boolean>;
  /**
   * Reports still holding personal data that must go: created before `createdBefore`, or
   * whose case has been withdrawn (a crash between the withdrawal and the erasure).
   */
  reportsDueForErasure(createdBefore: string): Promise<number[]>;
  /** Reports with at least one link needing an analyst or an answer, for the queue. */
  openReports(): Promise<ReportRecord[]>;
  listReports(options?: { limit?: number; status?: ReportStatus }): Promise<ReportRecord[]>;
  /** Links of many reports at once (the queue's counts). */
  linksOfReports(reportIds: readonly number[]): Promise<LinkRecord[]>;

  /** Creates a notice over some links of one report; the links move to notice_sent. */
  createNotice(input: {
    ref: string;
    reportId: number;
    channel: NoticeChannel;
    platformId: number | null;
    recipient: string | null;
    category: NoticeCategory;
    explanation: string;
    language: Language;
    deadlineAt: string;
    linkIds: readonly number[];
    actor: Actor;
  }): Promise<NoticeRecord>;
  markNoticeSent(noticeId: number, result: { sentAt: string | null; error: string | null }): Promise<void>;
  getNotice(ref: string): Promise<NoticeRecord | undefined>;
  listNotices(options?: { platformId?: number; reportId?: number; open?: boolean; afterId?: number; limit?: number }): Promise<NoticeRecord[]>;
  /** Records the answer for one link of a notice; the link moves to removed/refused; closes the notice when complete. */
  answerNotice(
    noticeId: number,
    linkId: number,
    answer: { outcome: NoticeOutcome; reason: string | null; at: string; actor: Actor },
  ): Promise<NoticeRecord>;
  /** Raw rows for the hotline's reporting over [from, to). */
  reportingRows(from: string, to: string): Promise<ReportingRows>;
}

export interface ReportingRows {
  reports: { createdAt: string; ageBracket: AgeBracket }[];
  links: { createdAt: string; removedAt: string | null; platformId: number | null; status: LinkStatus }[];
  notices: { createdAt: string; channel: NoticeChannel; platformId: number | null; category: NoticeCategory }[];
  /** Removals in the period, with the time the link's first notice was sent. */
  removals: { removedAt: string; linkCreatedAt: string; firstNoticeAt: string | null; platformId: number | null }[];
}

export interface PlatformNoticeSettings {
  platformId: number;
  /** Domains whose hosts (and subdomains) belong to the platform, lowercase. */
  domains: string[];
  /** Where email notices go, if the platform wants them by email too. */
  noticeEmail: string | null;
  /** Hours the platform has to answer a notice (null: the service default). */
  deadlineHours: number | null;
}

export interface PlatformDirectoryStore {
  getPlatformNoticeSettings(platformId: number): Promise<PlatformNoticeSettings>;
  listPlatformNoticeSettings(): Promise<PlatformNoticeSettings[]>;
  setPlatformNoticeSettings(settings: PlatformNoticeSettings): Promise<void>;
}

export interface AnswerTemplate {
  key: string;
  language: Language;
  title: string;
  body: string;
  updatedAt: string;
  updatedBy: string;
}

export interface TemplateStore {
  /** Templates operators have edited (defaults live in code). */
  listTemplates(): Promise<AnswerTemplate[]>;
  saveTemplate(template: AnswerTemplate): Promise<void>;
}

export interface OperatorRecord {
  id: number;
  name: string;
  passwordHash: string;
  totpSealed: string;
  /** The last TOTP time step accepted: a code is never accepted twice. */
  totpLastStep: number;
  failedLogins: number;
  lockedUntil: string | null;
  createdAt: string;
  disabledAt: string | null;
}

export interface OperatorSession {
  tokenHash: string;
  operatorId: number;
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  /** Absolute end, whatever the activity. */
  expiresAt: string;
}

export interface OperatorStore {
  createOperator(input: { name: string; passwordHash: string; totpSealed: string; at: string }): Promise<OperatorRecord>;
  getOperatorByName(name: string): Promise<OperatorRecord | undefined>;
  getOperatorById(id: number): Promise<OperatorRecord | undefined>;
  listOperators(): Promise<OperatorRecord[]>;
  updateOperator(
    id: number,
    patch: Partial<Pick<OperatorRecord, 'passwordHash' | 'totpSealed' | 'totpLastStep' | 'failedLogins' | 'lockedUntil' | 'disabledAt'>>,
  ): Promise<void>;
  /**
   * Accepts a TOTP time step once: true (failures reset, lock lifted) only if no equal or
   * later step was accepted before. One statement, so two logins with one code (two
   * requests, two replicas) cannot both pass.
   */
  acceptTotpStep(operatorId: number, step: number): Promise<boolean>;
  /**
   * Counts a failed login in one statement (parallel guesses are all counted); the
   * `maxFailures`-th in a row locks the account until `lockUntil` and restarts the count.
   */
  recordLoginFailure(operatorId: number, maxFailures: number, lockUntil: string): Promise<void>;
  createSession(session: OperatorSession): Promise<void>;
  getSession(tokenHash: string): Promise<OperatorSession | undefined>;
  touchSession(tokenHash: string, lastSeenAt: string): Promise<void>;
  deleteSession(tokenHash: string): Promise<void>;
  deleteOperatorSessions(operatorId: number): Promise<void>;
  deleteExpiredSessions(now: string, idleBefore: string): Promise<number>;
}
