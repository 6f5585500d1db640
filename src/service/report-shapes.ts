/**
 * What the victim's report endpoints answer, as types only (shared with the victim's page,
 * like case-shapes.ts). No description or contact ever comes back: only whether one was given.
 */
export type AgeBracket = 'minor' | 'adult';
export type VictimLinkStatus =
  | 'received'
  | 'under_review'
  | 'checked'
  | 'not_found'
  | 'not_illegal'
  | 'notice_sent'
  | 'removed'
  | 'refused'
  | 'withdrawn';

export interface ReportLinkInput {
  url: string;
  /** The platform or site, if she knows it. */
  site?: string;
}

export interface ReportInput {
  ageBracket: AgeBracket;
  links: ReportLinkInput[];
  description?: string;
  /** An email address the hotline may write to. */
  contact?: string;
  language?: 'fr' | 'en';
}

export interface VictimLink {
  id: string;
  url: string;
  host: string;
  status: VictimLinkStatus;
  /** Why a platform refused, or why the hotline could not act. */
  reason: string | null;
  updatedAt: string;
  removedAt: string | null;
}

export interface VictimReport {
  caseNumber: string;
  status: 'open' | 'closed' | 'withdrawn';
  ageBracket: AgeBracket;
  createdAt: string;
  hasDescription: boolean;
  hasContact: boolean;
  links: VictimLink[];
  /** The hotline's answer to her, once written. */
  answer: { text: string; at: string } | null;
}
