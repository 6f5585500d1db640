import { createHmac } from 'node:crypto';
import { hammingDistance } from '../hashing/hamming.js';
import { createIndex } from '../index/create.js';
import { Matcher } from '../index/matcher.js';
import type { BurstStore, RememberedSubmission, SubmittedHash } from '../store/burst.js';
import type { AllowListStore, HoldReason } from '../store/review.js';
import type { NewItem } from '../store/types.js';

export interface ScreeningPolicy {
  /** Match threshold per algorithm: "near" an allow-listed hash or an earlier submission. */
  thresholds: Readonly<Record<string, number>>;
  /** The Nth near-identical submission from one address within the window is held; 0 = never. */
  burst: number;
  burstWindowMs: number;
  index: 'mih' | 'linear';
}

export interface ScreenedSubmission {
  /** Items that go live at once. */
  live: NewItem[];
  /** Items held for review, grouped by reason, with what the reviewer needs to judge. */
  held: { reason: HoldReason; items: NewItem[]; detail: Record<string, unknown> }[];
  /** Written with the case (CaseStore.createCase): counts this submission in its address's later bursts. */
  submission?: RememberedSubmission;
}

/** At most this many recent submissions are remembered per address. */
const MAX_RECENT_PER_ADDRESS = 50;
const ALLOW_LIST_PAGE = 10_000;
/** Hashes of a submission compared with an address's earlier ones (bounded cost per registration). */
const MAX_COMPARED_PER_SUBMISSION = 64;

function evenSample<T>(all: T[], n: number): T[] {
  if (all.length <= n) return all;
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
}

/**
 * Anyone may register hashes without an account, so the bank can be poisoned with hashes
 * of harmless popular images to get them blocked. Before a victim's submission goes live,
 * this holds back (for an operator's review) each item near a hash of the operators'
 * allow-list, and every item of a submission that is the Nth near-identical one from one
 * address in a short window. Addresses are never stored nor logged: only a keyed hash of
 * each (the key derived from the pepper, so that replicas sharing a store count together),
 * kept with a sample of the submission's hashes for the window's length, and erased with
 * the case when it is withdrawn.
 */
export class SubmissionScreen {
  private allowList = new Matcher(() => createIndex('linear'));
  private labels = new Map<number, string | null>();
  private loadedVersion: string | undefined;
  private loading: Promise<void> | undefined;
  private readonly addressKey: Buffer;

  constructor(
    private readonly store: Pick<AllowListStore, 'allowListPage'> & Pick<BurstStore, 'screeningState'>,
    private readonly policy: ScreeningPolicy,
    /** The server's pepper (the same on every replica): the addresses' key is derived from it. */
    pepper: string,
    private readonly now: () => number = Date.now,
  ) {
    this.addressKey = createHmac('sha256', pepper).update('rempart:burst-address-key:v1').digest();
  }

  async screen(items: readonly NewItem[], address: string | undefined): Promise<ScreenedSubmission> {
    // One read of the store per submission: the allow-list's version and the address's recent submissions.
    const counting = address !== undefined && this.policy.burst > 0;
    const now = this.now();
    const since = now - this.policy.burstWindowMs;
    const key = counting ? createHmac('sha256', this.addressKey).update(address).digest('base64url') : undefined;
    const state = await this.store.screeningState(key, since, MAX_RECENT_PER_ADDRESS);
    await this.refreshAllowList(state.allowListVersion);
    const live: NewItem[] = [];
    const nearAllowList: NewItem[] = [];
    const met: { item: number; allowListed: number; label: string | null; distance: number }[] = [];
    items.forEach((item, i) => {
      const hits = item.hashes.flatMap((h) =>
        this.allowList.search(h.algorithm, h.bytes, this.thresholdOf(h.algorithm)).map((m) => ({ ...m, algorithm: h.algorithm })),
      );
      if (hits.length === 0) {
        live.push(item);
        return;
      }
      nearAllowList.push(item);
      const best = hits.reduce((a, b) => (b.distance < a.distance ? b : a));
      met.push({ item: i, allowListed: best.id, label: this.labels.get(best.id) ?? null, distance: best.distance });
    });
    const held: ScreenedSubmission['held'] = [];
    if (nearAllowList.length > 0) held.push({ reason: 'allow_list', items: nearAllowList, detail: { met } });

    if (key === undefined) return { live, held };
    // A video brings thousands of frame hashes: an even sample is enough to tell near-identical submissions.
    const hashes: SubmittedHash[] = evenSample(
      items.flatMap((item) => item.hashes.map((h) => ({ algorithm: h.algorithm, bytes: h.bytes }))),
      MAX_COMPARED_PER_SUBMISSION,
    );
    const similar = this.countSimilar(state.recent, hashes);
    if (similar + 1 >= this.policy.burst && live.length > 0) {
      held.push({
        reason: 'burst',
        items: live.splice(0),
        detail: { similarSubmissions: similar + 1, windowMinutes: Math.round(this.policy.burstWindowMs / 60_000) },
      });
    }
    return { live, held, submission: { address: key, at: now, hashes, forgetBefore: since } };
  }

  /** Entries on the allow-list now (for operators' figures). */
  allowListSize(): number {
    return this.labels.size;
  }

  private thresholdOf(algorithm: string): number {
    return this.policy.thresholds[algorithm] ?? 0;
  }

  /** Reloads the allow-list when its version moved (another process may have changed it). */
  private async refreshAllowList(version: string): Promise<void> {
    if (version === this.loadedVersion) return;
    this.loading ??= (async () => {
      const matcher = new Matcher(() => createIndex(this.policy.index, { expectedSize: 1000 }));
      const labels = new Map<number, string | null>();
      for (let after = 0; ; ) {
        const page = await this.store.allowListPage(after, ALLOW_LIST_PAGE);
        for (const entry of page) {
          matcher.add(entry.algorithm, entry.id, entry.bytes);
          labels.set(entry.id, entry.label);
        }
        if (page.length < ALLOW_LIST_PAGE) break;
        after = page[page.length - 1]!.id;
      }
      this.allowList = matcher;
      this.labels = labels;
      this.loadedVersion = version;
    })().finally(() => {
      this.loading = undefined;
    });
    await this.loading;
  }

  /**
   * How many of the address's earlier submissions in the window were near-identical to this
   * one (two replicas counting the same moment may both miss the other: a burst is held one
   * submission later at worst).
   */
  private countSimilar(earlier: readonly SubmittedHash[][], hashes: readonly SubmittedHash[]): number {
    return earlier.filter((e) =>
      e.some((a) => hashes.some((b) => a.algorithm === b.algorithm && hammingDistance(a.bytes, b.bytes) <= this.thresholdOf(a.algorithm))),
    ).length;
  }
}
