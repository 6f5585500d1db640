/**
 * Abuse controls' state. The allow-list: hashes of known-benign images (stock photos,
 * memes) that nobody may get blocked. The review queue: submissions held back from the
 * bank (near an allow-listed hash, or a burst of near-identical submissions from one
 * address) until an operator releases or rejects them. Held hashes are not in `hashes`,
 * so they match nothing and appear in no feed; they are erased with their case.
 */
import type { Actor, NewItem } from './types.js';

export interface AllowListEntry {
  id: number;
  algorithm: string;
  bytes: Uint8Array;
  /** Where it comes from (e.g. "stock: unsplash 2024"), never personal data. */
  label: string | null;
  addedAt: string;
}

export interface AllowListStore {
  /** Adds entries in one transaction (one audit entry); a value already listed is skipped and counted. */
  addAllowListed(entries: readonly { algorithm: string; bytes: Uint8Array; label: string | null }[], actor: Actor): Promise<{ added: number; already: number }>;
  /** Removes entries by id; returns how many were listed. */
  removeAllowListed(ids: readonly number[], actor: Actor): Promise<number>;
  /** Entries with id > afterId, in id order, at most `limit`. */
  allowListPage(afterId: number, limit: number): Promise<AllowListEntry[]>;
  /** Changes whenever the list does (the engine reloads its copy when it moves). */
  allowListVersion(): Promise<string>;
}

/** 'dispute': platforms reported the hash as not matching its content (quarantine). */
export type HoldReason = 'allow_list' | 'burst' | 'dispute';
export type HoldStatus = 'held' | 'released' | 'rejected';

export interface HeldSubmission {
  id: number;
  /** Public id for operators (`hold_…`). */
  ref: string;
  caseId: number;
  caseNumber: string;
  reason: HoldReason;
  /** Why, for the reviewer: allow-list entries met and their distances, or the burst's size. */
  detail: Record<string, unknown>;
  /** The held items with their hashes; empty once decided (released items live in the bank, rejected ones are erased). */
  items: NewItem[];
  hashCount: number;
  status: HoldStatus;
  heldAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
}

export interface ReviewStore {
  holdItems(input: { ref: string; caseId: number; reason: HoldReason; detail: Record<string, unknown>; items: NewItem[] }, actor: Actor): Promise<HeldSubmission>;
  listHeld(options?: { status?: HoldStatus; limit?: number }): Promise<HeldSubmission[]>;
  getHeld(ref: string): Promise<HeldSubmission | undefined>;
  /**
   * Moves a held submission to `status` if it is still held (one transaction, audited);
   * undefined if it is not held any more (another operator was first). A rejection erases
   * the items' hash values in that same transaction (and, below the tables, as a withdrawal
   * does: see `erasureSettled`); a release keeps them until `eraseHeldItems`, so that it
   * can add them to the bank first.
   */
  decideHeld(ref: string, status: 'released' | 'rejected', actor: Actor): Promise<HeldSubmission | undefined>;
  /** Forgets a decided submission's hash values. */
  eraseHeldItems(ref: string): Promise<void>;
  /** Hashes of the case still held, and rejected after review. */
  heldCountsOfCase(caseId: number): Promise<{ held: number; rejected: number }>;
  /** Erases the held hashes of withdrawn cases; returns how many submissions. */
  eraseHeldOfWithdrawnCases(): Promise<number>;
  /** The live items these refs name (a hash's `h_…` or an item's `i_…`), with their hashes (to hold them before removing them). */
  liveItemsOfRefs(refs: readonly string[]): Promise<{ itemId: number; itemRef: string; caseId: number; item: NewItem }[]>;
}
