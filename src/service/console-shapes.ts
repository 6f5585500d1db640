/**
 * What the analysts' console API answers, as types only: shared by the casework service and
 * the console page (which cannot import Node code), like case-shapes.ts for the victim's page.
 */

/** One report in the analysts' queue. */
export interface QueueEntry {
  ref: string;
  caseNumber: string;
  minor: boolean;
  minorHandled: boolean;
  createdAt: string;
  /** The oldest link still waiting for the hotline (received or under review). */
  waitingSince: string | null;
  links: number;
  toReview: number;
  awaitingAnswer: number;
  removed: number;
  overdueNotices: number;
}
