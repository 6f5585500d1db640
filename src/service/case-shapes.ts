/**
 * What the victims' endpoints answer, as types only: the service returns them, the API
 * serialises them, and the victim's page (src/web/client) reads them with the same names.
 * No imports but types, so the browser bundle can share this file.
 */
import type { CaseStatus as CaseState } from '../store/types.js';

export interface RegisteredCase {
  caseNumber: string;
  /** Shown once; only its slow hash is stored. */
  caseSecret: string;
  hashCount: number;
  /** Hashes held back for an operator's review (near a known-benign image, or a burst); they go live if released. */
  heldHashes: number;
  createdAt: string;
}

export interface CaseStatus {
  caseNumber: string;
  status: CaseState;
  hashCount: number;
  matchCount: number;
  /** Platforms that reported having blocked copies of the case's images (never which ones). */
  platformsBlocked: number;
  /** Hashes waiting for an operator's review, and hashes refused after it. */
  heldHashes: number;
  rejectedHashes: number;
  createdAt: string;
  withdrawnAt: string | null;
}

export interface WithdrawnCase extends CaseStatus {
  /** Hashes erased by this withdrawal (0 if the case was already withdrawn). */
  removedHashes: number;
}
