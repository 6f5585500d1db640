/**
 * What each platform chose for itself: for now, a stricter match threshold per algorithm
 * than the bank's (the service caps it at the operator's maximum).
 */
import type { Actor } from './types.js';

export interface PlatformSettingsStore {
  /** The thresholds this platform chose, per algorithm (absent: the bank's). */
  platformThresholds(platformId: number): Promise<Record<string, number>>;
  /**
   * Sets (a number) or clears (null) the platform's threshold per algorithm, in one
   * transaction with its audit entry; returns the platform's thresholds after the change.
   */
  setPlatformThresholds(platformId: number, changes: Readonly<Record<string, number | null>>, actor: Actor): Promise<Record<string, number>>;
}
