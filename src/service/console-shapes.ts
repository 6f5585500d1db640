/**
 * What the analysts' console API answers, as types only: shared by the casework service and
 * the console page (which cannot import Node code), like case-shapes.ts for the victim's page.
 */
import type { HoldReason, HoldStatus } from '../store/review.js';

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

/** What an operator sees of a held submission (never the hash values): `rempart review list`, the console's review queue. */
export interface HeldView {
  ref: string;
  caseNumber: string;
  reason: HoldReason;
  /** allow_list: `{met: [{item, allowListed, label, distance}]}`; burst: `{similarSubmissions, windowMinutes}`; dispute: `{items, notBlocked}`. */
  detail: Record<string, unknown>;
  hashCount: number;
  status: HoldStatus;
  heldAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
}
