import { RempartError } from '../errors.js';
import { listAlgorithms } from '../hashing/index.js';
import type { PlatformSettingsStore } from '../store/platform-settings.js';
import type { Actor, PlatformRecord } from '../store/types.js';
import { PLATFORM_KEY_CACHE_MS } from './platforms.js';

/** Platforms whose chosen thresholds are kept in memory at most (then the cache starts over). */
const CHOSEN_CACHE_ENTRIES = 10_000;

export interface ThresholdView {
  /** The bank's threshold (what a platform gets unless it chooses). */
  bank: number;
  /** The loosest the operator lets a platform choose. */
  maximum: number;
  /** What the platform chose, or null. */
  chosen: number | null;
  /** What its matches use: its choice, never above the maximum. */
  effective: number;
}

/**
 * A platform's own match thresholds: each may be stricter than the bank's, and never
 * looser than the operator's maximum (by default the bank's threshold itself). An
 * operator who later lowers the maximum lowers every choice above it at once.
 */
export class PlatformSettingsService {
  /**
   * Each platform's choice as read at most PLATFORM_KEY_CACHE_MS ago, for the match path:
   * on PostgreSQL a read per /v1/match was a database round trip on every upload checked.
   * A change through this process applies at once; through another replica, within that
   * time, as a key's revocation does.
   */
  private readonly chosenCache = new Map<number, { chosen: Record<string, number>; readAt: number }>();

  constructor(
    private readonly store: PlatformSettingsStore,
    private readonly bank: Readonly<Record<string, number>>,
    private readonly maximums: Readonly<Record<string, number>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The thresholds this platform's matches use, per algorithm. */
  async effectiveThresholds(platform: Pick<PlatformRecord, 'id'>): Promise<Record<string, number>> {
    const chosen = await this.chosenRecently(platform.id);
    const effective: Record<string, number> = { ...this.bank };
    for (const [algorithm, threshold] of Object.entries(chosen)) {
      if (algorithm in effective) effective[algorithm] = Math.min(threshold, this.maximumOf(algorithm));
    }
    return effective;
  }

  async describe(platform: Pick<PlatformRecord, 'id'>): Promise<Record<string, ThresholdView>> {
    const chosen = await this.store.platformThresholds(platform.id);
    return Object.fromEntries(
      listAlgorithms().map((a) => {
        const bank = this.bank[a.name] ?? a.defaultThreshold;
        const maximum = this.maximumOf(a.name);
        const own = chosen[a.name] ?? null;
        return [a.name, { bank, maximum, chosen: own, effective: own === null ? bank : Math.min(own, maximum) }];
      }),
    );
  }

  /** `{pdq: 20, blockhash: null}`: sets pdq to 20 and blockhash back to the bank's threshold. */
  async setThresholds(
    platform: Pick<PlatformRecord, 'id'>,
    changes: Readonly<Record<string, unknown>>,
    actor: Actor,
  ): Promise<Record<string, ThresholdView>> {
    const entries = Object.entries(changes);
    if (entries.length === 0) throw new RempartError('BAD_REQUEST', 'thresholds must name at least one algorithm');
    const known = listAlgorithms().map((a) => a.name);
    const checked: Record<string, number | null> = {};
    for (const [algorithm, value] of entries) {
      if (!known.includes(algorithm)) {
        throw new RempartError('BAD_REQUEST', `thresholds.${algorithm}: unknown algorithm (known: ${known.join(', ')})`);
      }
      const maximum = this.maximumOf(algorithm);
      if (value !== null && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > maximum)) {
        throw new RempartError(
          'BAD_REQUEST',
          `thresholds.${algorithm} must be an integer from 0 to ${maximum} (the operator's maximum; the bank's threshold is ${this.bank[algorithm]}), or null for the bank's`,
        );
      }
      checked[algorithm] = value;
    }
    await this.store.setPlatformThresholds(platform.id, checked, actor);
    this.chosenCache.delete(platform.id);
    return this.describe(platform);
  }

  private async chosenRecently(platformId: number): Promise<Record<string, number>> {
    const now = this.now();
    const cached = this.chosenCache.get(platformId);
    if (cached && now - cached.readAt < PLATFORM_KEY_CACHE_MS) return cached.chosen;
    const chosen = await this.store.platformThresholds(platformId);
    if (this.chosenCache.size >= CHOSEN_CACHE_ENTRIES) this.chosenCache.clear();
    this.chosenCache.set(platformId, { chosen, readAt: now });
    return chosen;
  }

  private maximumOf(algorithm: string): number {
    return this.maximums[algorithm] ?? this.bank[algorithm] ?? 0;
  }
}
