import { randomBytes } from 'node:crypto';
import { RempartError } from '../errors.js';
import { type WireHash, bytesToHex, parseHash } from '../hashing/index.js';
import type { Matcher } from '../index/matcher.js';
import type { AllowListEntry, AllowListStore, HeldSubmission, HoldStatus, ReviewStore } from '../store/review.js';
import type { Actor, CaseStore } from '../store/types.js';
import { ERASURE_WAIT_MS, withItem } from './cases.js';
import type { HeldView } from './console-shapes.js';
import type { ScreenedSubmission } from './screening.js';

const MAX_LABEL = 200;

export interface AllowListInput extends WireHash {
  label?: string | null;
}

export type { HeldView } from './console-shapes.js';

/**
 * Operators' side of the abuse controls: the allow-list of benign hashes, and the queue
 * of submissions held for review (release puts the items in the bank, where they match
 * and enter the feeds; reject erases their values).
 */
export class ReviewService {
  constructor(
    private readonly store: AllowListStore & ReviewStore & Pick<CaseStore, 'addItems' | 'removeItems' | 'erasureSettled'>,
    /** The serving process's index (released items match at once); the CLI's is not served. */
    private readonly matcher: Matcher,
  ) {}

  /** Parks the held part of a submission under its new case. */
  async hold(caseId: number, held: ScreenedSubmission['held'], actor: Actor): Promise<void> {
    for (const group of held) {
      await this.store.holdItems({ ref: newHoldRef(), caseId, reason: group.reason, detail: group.detail, items: group.items }, actor);
    }
  }

  /**
   * Quarantine (DisputeHandler of the feedback service): enough platforms reported these
   * hashes as not matching their content, so their items leave the bank (no match; the
   * feeds announce removals) and wait for an operator, who releases or rejects them. Held
   * before removed: a crash in between leaves an item both live and held, never lost.
   */
  async disputed(refs: readonly string[], reporters: ReadonlyMap<string, number>): Promise<void> {
    const live = await this.store.liveItemsOfRefs(refs);
    if (live.length === 0) return;
    const actor: Actor = { kind: 'system', id: 'quarantine' };
    const byCase = new Map<number, typeof live>();
    for (const entry of live) byCase.set(entry.caseId, [...(byCase.get(entry.caseId) ?? []), entry]);
    for (const [caseId, entries] of byCase) {
      const detail = { items: entries.map((e) => e.itemRef), notBlocked: Object.fromEntries(refs.map((ref) => [ref, reporters.get(ref) ?? 0])) };
      await this.store.holdItems({ ref: newHoldRef(), caseId, reason: 'dispute', detail, items: entries.map((e) => e.item) }, actor);
    }
    for (const id of await this.store.removeItems(live.map((e) => e.itemId), actor)) this.matcher.remove(id);
  }

  async allowListAdd(inputs: readonly AllowListInput[], actor: Actor): Promise<{ added: number; already: number }> {
    if (inputs.length === 0) throw new RempartError('BAD_REQUEST', 'no allow-list entries given');
    const entries = inputs.map((input, i) => {
      try {
        const parsed = parseHash(input);
        const label = input.label ?? null;
        if (label !== null && (typeof label !== 'string' || label.length > MAX_LABEL)) {
          throw new RempartError('BAD_REQUEST', `label must be a string of at most ${MAX_LABEL} characters`);
        }
        return { algorithm: parsed.algorithm.name, bytes: parsed.bytes, label };
      } catch (error) {
        if (error instanceof RempartError && error.code === 'BAD_REQUEST') throw new RempartError('BAD_REQUEST', `entry ${i + 1}: ${error.message}`);
        throw withItem(error, i);
      }
    });
    return this.store.addAllowListed(entries, actor);
  }

  allowListRemove(ids: readonly number[], actor: Actor): Promise<number> {
    return this.store.removeAllowListed(ids, actor);
  }

  async *allowListEntries(): AsyncIterable<AllowListEntry & { value: string }> {
    for (let after = 0; ; ) {
      const page = await this.store.allowListPage(after, 1000);
      for (const entry of page) yield { ...entry, value: bytesToHex(entry.bytes) };
      if (page.length < 1000) return;
      after = page[page.length - 1]!.id;
    }
  }

  async list(status: HoldStatus | undefined, limit = 100): Promise<HeldView[]> {
    return (await this.store.listHeld({ ...(status ? { status } : {}), limit })).map(toView);
  }

  /** Puts a held submission's items in the bank (they match and enter the feeds). */
  async release(ref: string, actor: Actor): Promise<HeldView> {
    const decided = await this.decide(ref, 'released', actor);
    try {
      const stored = await this.store.addItems(decided.caseId, decided.items, actor);
      for (const h of stored.flatMap((item) => item.hashes)) if (!this.matcher.has(h.algorithm, h.id)) this.matcher.add(h.algorithm, h.id, h.bytes);
    } catch (error) {
      throw new RempartError('CONFLICT', `${ref} could not be released into case ${decided.caseNumber}: ${(error as Error).message}`);
    }
    await this.store.eraseHeldItems(ref);
    return toView({ ...decided, items: [] });
  }

  /**
   * Refuses a held submission: its hash values are erased with the decision. Answers once
   * they have left the store's files too (as a withdrawal does), or after ERASURE_WAIT_MS.
   */
  async reject(ref: string, actor: Actor): Promise<HeldView> {
    const decided = await this.decide(ref, 'rejected', actor);
    await this.store.erasureSettled(ERASURE_WAIT_MS);
    return toView(decided);
  }

  heldCounts(caseId: number): Promise<{ held: number; rejected: number }> {
    return this.store.heldCountsOfCase(caseId);
  }

  async eraseWithdrawn(): Promise<void> {
    await this.store.eraseHeldOfWithdrawnCases();
  }

  private async decide(ref: string, status: 'released' | 'rejected', actor: Actor): Promise<HeldSubmission> {
    const decided = await this.store.decideHeld(ref, status, actor);
    if (decided) return decided;
    const existing = await this.store.getHeld(ref);
    if (!existing) throw new RempartError('NOT_FOUND', `no held submission ${ref}`);
    throw new RempartError('CONFLICT', `${ref} was already ${existing.status} (${existing.decidedAt} by ${existing.decidedBy})`);
  }
}

function newHoldRef(): string {
  return `hold_${randomBytes(12).toString('base64url')}`;
}

function toView(held: HeldSubmission): HeldView {
  const { ref, caseNumber, reason, detail, hashCount, status, heldAt, decidedAt, decidedBy } = held;
  return { ref, caseNumber, reason, detail, hashCount, status, heldAt, decidedAt, decidedBy };
}
