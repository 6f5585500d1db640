import { RempartError } from '../errors.js';
import { bytesToHex, hexToBytes } from '../hashing/index.js';
import { md5ToStored } from '../hashing/video/digest.js';
import { FEEDBACK_VALUES, type FeedbackEntry, type FeedbackValue, type NewFeedback } from '../store/feedback.js';
import type { PlatformRecord, Store } from '../store/types.js';
import type { EngineEvents } from './events.js';
import type { ExchangeProjector } from './exchange.js';

/** Rempart's own API spells StopNCII's feedback values in snake case. */
export const OUTCOMES: Readonly<Record<string, FeedbackValue>> = {
  blocked: 'Blocked',
  not_blocked: 'NotBlocked',
  pending_review: 'PendingReview',
  none: 'None',
  unknown: 'Unknown',
  quality_unknown: 'QualityUnknown',
};
export const OUTCOME_NAMES = Object.keys(OUTCOMES);

export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 100;

export interface FeedbackPolicy {
  /** Platforms saying "not blocked" (not what the hash claims) that send a hash to review; 0 = never. */
  quarantineAfter: number;
  maxBatch: number;
}

/** Follower mode: reports on followed hashes go to their banks (src/follow/feedback-forwarder.ts). */
export interface FeedbackForwarding {
  forwardFeedback(entries: readonly NewFeedback[]): Promise<{ queued: string[]; unknown: string[] }>;
}

/** Where hashes that enough platforms dispute are sent (the review queue). */
export interface DisputeHandler {
  disputed(refs: readonly string[], reporters: ReadonlyMap<string, number>): Promise<void>;
}

type FeedbackRoles = Pick<
  Store,
  | 'recordFeedback'
  | 'feedbackOfRefs'
  | 'feedbackOfCase'
  | 'countPlatformsReporting'
  | 'countPlatformsBlocking'
  | 'getCaseByNumber'
  | 'exchangeRefsOfValues'
  | 'touchExchangeRefs'
>;

/**
 * Platforms' reports on what they did with each match, through Rempart's own API (by hash
 * id) and StopNCII's SubmitFeedback (by hash value). A report moves the hash's exchange
 * record (its CSPFeedbacks changed), is announced as `feedback.recorded`, and enough
 * "not blocked" reports from different platforms send the hash to review.
 */
export class FeedbackService {
  /** Set once the review queue exists (quarantine). */
  disputes: DisputeHandler | undefined;
  /** Set in follower mode: reports are the banks' to keep, not this instance's. */
  forwarding: FeedbackForwarding | undefined;

  constructor(
    private readonly store: FeedbackRoles,
    private readonly projector: ExchangeProjector,
    private readonly events: EngineEvents,
    private readonly policy: FeedbackPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  /** Rempart's API: `[{id: "h_…", outcome: "blocked", tags: […]}]`. */
  async report(platform: PlatformRecord, items: readonly { id: string; outcome: string; tags?: readonly string[] }[]) {
    this.checkBatch(items.length, 'feedback');
    const entries = items.map((item, i): NewFeedback => {
      const value = OUTCOMES[item.outcome];
      if (value === undefined) {
        throw new RempartError('BAD_REQUEST', `feedback[${i}].outcome must be one of ${OUTCOME_NAMES.join(', ')}, got "${item.outcome}"`);
      }
      return { ref: item.id, value, tags: checkTags(item.tags ?? [], `feedback[${i}].tags`) };
    });
    if (this.forwarding) {
      // The bank keeps the reports (and moves its feed records); nothing is recorded here.
      const { queued, unknown } = await this.forwarding.forwardFeedback(entries);
      return { recorded: queued, unknown, itemHashRefs: [] };
    }
    return this.record(platform, entries);
  }

  /**
   * StopNCII's SubmitFeedback: feedback by hash value, applied to every live hash with that
   * value. The client sends no signal type; the value's length tells it: 64 hex characters
   * for ImagePDQ, 32 for VideoMD5 (stored padded to 32 bytes, see hashing/video/digest.ts).
   */
  async reportByValue(
    platform: PlatformRecord,
    signalTypes: { pdq: string; md5: string },
    items: readonly { hashValue: string; feedbackValue: string; tags?: readonly string[] }[],
  ): Promise<{ recorded: number; unknownHashValues: string[] }> {
    this.checkBatch(items.length, 'hashFeedbacks');
    const values = items.map((item, i) => {
      const hex = typeof item.hashValue === 'string' ? item.hashValue.toLowerCase() : '';
      const isPdq = /^[0-9a-f]{64}$/.test(hex);
      if (!isPdq && !/^[0-9a-f]{32}$/.test(hex)) {
        throw new RempartError('HASH_FORMAT', `hashFeedbacks[${i}].hashValue must be 64 hex characters (ImagePDQ) or 32 (VideoMD5)`);
      }
      if (!(FEEDBACK_VALUES as readonly string[]).includes(item.feedbackValue)) {
        throw new RempartError(
          'BAD_REQUEST',
          `hashFeedbacks[${i}].feedbackValue must be one of ${FEEDBACK_VALUES.join(', ')}, got "${item.feedbackValue}"`,
        );
      }
      const stored = isPdq ? hexToBytes(hex) : md5ToStored(hex);
      return { hex, signalType: isPdq ? signalTypes.pdq : signalTypes.md5, key: bytesToHex(stored), stored, tags: checkTags(item.tags ?? [], `hashFeedbacks[${i}].tags`) };
    });
    await this.projector.catchUp();
    const refsByValue = new Map<string, Map<string, string[]>>();
    for (const signalType of new Set(values.map((v) => v.signalType))) {
      const stored = values.filter((v) => v.signalType === signalType).map((v) => v.stored);
      refsByValue.set(signalType, await this.store.exchangeRefsOfValues(signalType, stored));
    }
    const entries: NewFeedback[] = [];
    const unknownHashValues: string[] = [];
    items.forEach((item, i) => {
      const { hex, signalType, key, tags } = values[i]!;
      const refs = refsByValue.get(signalType)!.get(key);
      if (!refs) unknownHashValues.push(hex);
      for (const ref of refs ?? []) entries.push({ ref, value: item.feedbackValue as FeedbackValue, tags });
    });
    const { recorded } = await this.record(platform, entries);
    return { recorded: recorded.length, unknownHashValues };
  }

  private async record(platform: PlatformRecord, entries: readonly NewFeedback[]) {
    const result = await this.store.recordFeedback(platform.id, entries, { kind: 'platform', id: platform.name });
    if (result.recorded.length === 0) return result;
    // The exchange records carry the feedback, which is about the whole item (a video's MD5 and
    // its frames, an image's whole-picture hash whichever of its hashes matched): move every one
    // of them so that feed readers see it.
    await this.store.touchExchangeRefs(result.itemHashRefs, () => Math.floor(this.now() / 1000));
    const byValue: Partial<Record<FeedbackValue, number>> = {};
    for (const e of entries) if (result.recorded.includes(e.ref)) byValue[e.value] = (byValue[e.value] ?? 0) + 1;
    this.events.emit('feedback.recorded', { platform: platform.name, refs: result.recorded, byValue });
    await this.checkDisputes(entries.filter((e) => e.value === 'NotBlocked').map((e) => e.ref));
    return result;
  }

  private async checkDisputes(refs: readonly string[]): Promise<void> {
    if (this.policy.quarantineAfter === 0 || refs.length === 0 || !this.disputes) return;
    const counts = await this.store.countPlatformsReporting(refs, 'NotBlocked');
    const disputed = [...counts].filter(([, n]) => n >= this.policy.quarantineAfter).map(([ref]) => ref);
    if (disputed.length > 0) await this.disputes.disputed(disputed, counts);
  }

  private checkBatch(length: number, field: string): void {
    if (length === 0) throw new RempartError('BAD_REQUEST', `${field} must hold at least one entry`);
    if (length > this.policy.maxBatch) {
      throw new RempartError('BAD_REQUEST', `${field} takes at most ${this.policy.maxBatch} entries per call, got ${length}`);
    }
  }

  /** Operators: every platform's latest report on one hash. */
  forHash(ref: string): Promise<FeedbackEntry[]> {
    return this.store.feedbackOfRefs([ref]);
  }

  /** Operators: every report on the hashes of one case. */
  async forCase(caseNumber: string): Promise<FeedbackEntry[]> {
    const record = await this.store.getCaseByNumber(caseNumber);
    if (!record) throw new RempartError('NOT_FOUND', `no case ${caseNumber}`);
    return this.store.feedbackOfCase(record.id);
  }

  /** Victims: how many platforms report having blocked copies of the case's images. */
  platformsBlocking(caseId: number): Promise<number> {
    return this.store.countPlatformsBlocking(caseId);
  }

  /** Feedback for the StopNCII feed's CSPFeedbacks. */
  ofRefs(refs: readonly string[]): Promise<FeedbackEntry[]> {
    return this.store.feedbackOfRefs(refs);
  }
}

function checkTags(tags: readonly string[], field: string): string[] {
  if (tags.length > MAX_TAGS) throw new RempartError('BAD_REQUEST', `${field} takes at most ${MAX_TAGS} tags`);
  tags.forEach((tag, i) => {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH) {
      throw new RempartError('BAD_REQUEST', `${field}[${i}] must be a string of 1 to ${MAX_TAG_LENGTH} characters`);
    }
  });
  return [...new Set(tags)];
}
