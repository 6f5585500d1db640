/** What the console API answers (the fields the console uses). */

export interface Session {
  operator: string;
  csrfToken: string;
  expiresAt: string;
}

export type { HeldView, QueueEntry } from '../../../service/console-shapes.js';

export interface LinkEvent {
  at: string;
  actor: { kind: string; id: string };
  status: string;
  note: string | null;
  noticeRef: string | null;
}

export interface ConsoleLink {
  ref: string;
  url: string;
  host: string;
  siteHint: string | null;
  platform: string | null;
  status: string;
  reason: string | null;
  createdAt: string;
  history: LinkEvent[];
}

export interface NoticeLink {
  linkRef: string;
  url: string;
  outcome: 'removed' | 'refused' | null;
  reason: string | null;
  answeredAt: string | null;
  answeredBy: string | null;
}

export interface Notice {
  ref: string;
  reportId: number;
  channel: 'platform' | 'email';
  platform: string | null;
  recipient: string | null;
  category: 'ncii' | 'minor';
  createdAt: string;
  createdBy: string;
  deadlineAt: string;
  sentAt: string | null;
  sendError: string | null;
  closedAt: string | null;
  overdue: boolean;
  links: NoticeLink[];
}

export interface ConsoleReport {
  ref: string;
  caseNumber: string;
  caseStatus: string;
  minor: boolean;
  minorHandledAt: string | null;
  minorHandledBy: string | null;
  minorReferral: string | null;
  language: 'fr' | 'en';
  status: 'open' | 'closed' | 'withdrawn';
  createdAt: string;
  closedAt: string | null;
  personalErasedAt: string | null;
  description: string | null;
  contact: string | null;
  answer: { text: string; at: string; by: string | null } | null;
  links: ConsoleLink[];
  notices: Notice[];
  matchCount: number;
  platformFeedback: {
    platformsBlocking: number;
    entries: Array<{ platform: string; itemRef: string; value: string; tags: string[]; firstAt: string; at: string }>;
  };
}

export interface PlatformEntry {
  platformId: number;
  name: string;
  revoked: boolean;
  domains: string[];
  noticeEmail: string | null;
  deadlineHours: number | null;
  webhook: { url: string; updatedAt: string } | null;
}

export interface Template {
  key: string;
  language: 'fr' | 'en';
  title: string;
  body: string;
  edited: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface Figures {
  from: string;
  to: string;
  period: string;
  periods: Array<{ period: string; reports: number; minorReports: number; links: number; notices: number; emailNotices: number; removals: number; refusals: number }>;
  platforms: Array<{ platform: string; notices: number; removals: number; medianHoursNoticeToRemoval: number | null; medianHoursReportToRemoval: number | null }>;
}

/** The console's frame, as views see it. */
export interface Shell {
  main: HTMLElement;
  /** Shows a view: replaces the content and focuses its first heading (unless told not to). */
  show(content: HTMLElement, moveFocus?: boolean): void;
  /** The session has ended (401): back to the login form. */
  sessionEnded(message?: string): void;
}
