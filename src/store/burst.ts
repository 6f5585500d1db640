/**
 * Abuse controls' memory of recent submissions (src/service/screening.ts): per address,
 * a sample of each submission's hashes for the burst window, so that the Nth
 * near-identical submission from one address is held for review however many replicas
 * share the store. The address is only ever a keyed hash; rows expire with the window and
 * go with their case when it is withdrawn.
 */
export interface SubmittedHash {
  algorithm: string;
  bytes: Uint8Array;
}

/**
 * A victim's submission to remember for burst counting: `CaseStore.createCase` writes it
 * with the case, in the same commit (one durable write per registration, not two).
 */
export interface RememberedSubmission {
  /** The address's keyed hash. */
  address: string;
  /** When, in ms since the epoch. */
  at: number;
  /** A sample of the submission's hashes. */
  hashes: readonly SubmittedHash[];
  /** Every submission from before this (ms) is forgotten in the same write. */
  forgetBefore: number;
}

/** What screening reads before a victim's submission, in one round trip. */
export interface ScreeningState {
  /** The allow-list's version (it changes whenever the list does). */
  allowListVersion: string;
  /** The address's submissions since `since`, newest first, at most `limit` (none without an address). */
  recent: SubmittedHash[][];
}

export interface BurstStore {
  /** The address's submissions since `since` (ms since the epoch), newest first, at most `limit`. */
  recentSubmissions(address: string, since: number, limit: number): Promise<SubmittedHash[][]>;
  /** The allow-list's version and the address's recent submissions, read together (see ScreeningState). */
  screeningState(address: string | undefined, since: number, limit: number): Promise<ScreeningState>;
  /** Forgets the submissions of withdrawn cases (their hashes leave with the case); returns how many. */
  eraseSubmissionsOfWithdrawnCases(): Promise<number>;
}
