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

export interface BurstStore {
  /** The address's submissions since `since` (ms since the epoch), newest first, at most `limit`. */
  recentSubmissions(address: string, since: number, limit: number): Promise<SubmittedHash[][]>;
  /** Remembers a submission (its case, its time in ms, a sample of its hashes); forgets every submission from before `forgetBefore`. */
  rememberSubmission(input: { address: string; caseId: number; at: number; hashes: readonly SubmittedHash[] }, forgetBefore: number): Promise<void>;
  /** Forgets the submissions of withdrawn cases (their hashes leave with the case); returns how many. */
  eraseSubmissionsOfWithdrawnCases(): Promise<number>;
}
