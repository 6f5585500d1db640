/**
 * What platforms report about their matches: per matched item (an image or video, named by
 * its own ref `i_…` or by any of its hashes' refs `h_…`), each platform's latest word (StopNCII's vocabulary: Blocked, NotBlocked, PendingReview…) and
 * tags. Operators read it per hash and per case; victims see only how many platforms
 * blocked copies; enough "not matching" reports send a hash to review (quarantine).
 */
import type { Actor } from './types.js';

export const FEEDBACK_VALUES = [
  'Unknown',
  'None',
  'QualityUnknown',
  'PendingReview',
  'Blocked',
  'NotBlocked',
  'Withdrawn',
  'Deleted',
] as const;
export type FeedbackValue = (typeof FEEDBACK_VALUES)[number];

export interface NewFeedback {
  /** Opaque ref as matches and feeds name it: a hash's (`h_…`) or an item's (`i_…`). */
  ref: string;
  value: FeedbackValue;
  tags: readonly string[];
}

export interface FeedbackEntry {
  /** The ref asked about (or the item's, when listing a case). */
  ref: string;
  /** The item the report is about. */
  itemRef: string;
  platformId: number;
  /** The platform's name (StopNCII's `source`). */
  platform: string;
  value: FeedbackValue;
  tags: string[];
  /** When this platform first reported on this hash, and when it last did. */
  firstAt: string;
  at: string;
}

export interface RecordedFeedback {
  /** The refs given that named a live hash or item, in the order given. */
  recorded: string[];
  unknown: string[];
  /**
   * Every live hash of the items reported on (a video's MD5 and its frames, an image's
   * whole-picture hash and its derived ones): a report is about the item, so each of
   * their feed records changed.
   */
  itemHashRefs: string[];
}

export interface FeedbackStore {
  /**
   * Stores each entry as the platform's latest report on the item the ref names (one
   * transaction, one audit entry). Refs that name no live hash or item are left out and returned.
   */
  recordFeedback(platformId: number, entries: readonly NewFeedback[], actor: Actor): Promise<RecordedFeedback>;
  /** Every platform's latest report on the items these refs name, newest first (one entry per ref and platform). */
  feedbackOfRefs(refs: readonly string[]): Promise<FeedbackEntry[]>;
  /** Every report on the items of one case, newest first (`ref` is the item's). */
  feedbackOfCase(caseId: number): Promise<FeedbackEntry[]>;
  /** For each ref, how many active platforms' latest report on its item is `value`. */
  countPlatformsReporting(refs: readonly string[], value: FeedbackValue): Promise<Map<string, number>>;
  /** How many active platforms reported having blocked a copy of any hash of the case. */
  countPlatformsBlocking(caseId: number): Promise<number>;
  /** Erases the reports on withdrawn cases' hashes; returns how many. */
  eraseFeedbackOfWithdrawnCases(): Promise<number>;
}
