import type { Actor, PlatformRecord, Store } from '../store/types.js';
import type { WebhookDispatcher } from '../webhooks/dispatcher.js';

export const FEED_EVENT = 'feed.changes';

/** What a `feed.changes` webhook carries: where the new changes are, not the changes themselves. */
export interface FeedChangesData {
  /** Read `GET /v1/sync?after=…` from here (or from your own cursor, if it is lower). */
  after: number;
  /** The feed's cursor when this was sent: reading up to it catches up. */
  cursor: number;
}

const CURSOR_SETTING = 'feed_webhooks.cursor';
/** How stale another replica's (or the CLI's) subscription change may be seen; this process sees its own at once. */
const SUBSCRIBERS_TTL_MS = 2_000;
const subscriptionSetting = (platformId: number) => `platform.${platformId}.feed_webhook`;

type FeedWebhookStore = Pick<Store, 'lastSeq' | 'watchChanges' | 'getSetting' | 'setSetting' | 'listPlatforms' | 'audit'>;

/**
 * Pushes a signed `feed.changes` webhook to each subscribed platform when the change log
 * grows, so that platforms keeping a copy need not poll: the event names the cursor
 * range, the platform reads it through `/v1/sync` as usual. Announcements coalesce (one
 * pass at a time; changes arriving during a pass make one more pass), the range already
 * announced is kept in the store so a restart neither repeats nor skips it, and delivery
 * is the webhook module's (durable, retried, at least once). Replicas on one database
 * may each announce the same range: at least once, not exactly once.
 */
export class FeedWebhooks {
  private stopWatching: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  /** Subscribers read at most every SUBSCRIBERS_TTL_MS: a pass runs per burst of registrations. */
  private subscriberCache: { readAt: number; platforms: PlatformRecord[] } | undefined;

  constructor(
    private readonly store: FeedWebhookStore,
    private readonly dispatcher: Pick<WebhookDispatcher, 'enqueue'>,
  ) {}

  /** Follows the change log (store hints, and a poll for writes the hints miss). */
  start(pollMs: number, onError: (error: unknown) => void): void {
    if (this.stopWatching) return;
    const kick = () => this.kick(onError);
    this.stopWatching = this.store.watchChanges(kick);
    this.timer = setInterval(kick, pollMs);
    this.timer.unref();
    kick();
  }

  async stop(): Promise<void> {
    this.stopWatching?.();
    this.stopWatching = undefined;
    clearInterval(this.timer);
    await this.running;
  }

  private kick(onError: (error: unknown) => void): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .then(() => undefined, onError)
      .finally(() => {
        this.running = undefined;
        if (this.again && this.stopWatching) {
          this.again = false;
          this.kick(onError);
        }
      });
  }

  /** Announces the changes since the last announcement; returns the deliveries queued. */
  async runOnce(): Promise<number> {
    // Nobody to tell (subscribers are read at most every 2 s): nothing to read or write per
    // registration; the cursor stands still and the first subscriber moves it to the head
    // when it subscribes (below).
    const subscribers = await this.subscribers();
    if (subscribers.length === 0) return 0;
    const seq = await this.store.lastSeq();
    const stored = await this.store.getSetting(CURSOR_SETTING);
    // The first start announces nothing of the past: subscribers catch up by reading the feed.
    if (stored === undefined) {
      await this.store.setSetting(CURSOR_SETTING, String(seq));
      return 0;
    }
    const after = Number(stored);
    if (seq <= after) return 0;
    let queued = 0;
    for (const platform of subscribers) {
      const data: FeedChangesData = { after, cursor: seq };
      if (await this.dispatcher.enqueue(platform.id, FEED_EVENT, data)) queued++;
    }
    // After the deliveries are queued: a crash in between repeats this range, never skips it.
    await this.store.setSetting(CURSOR_SETTING, String(seq));
    return queued;
  }

  async subscribed(platform: Pick<PlatformRecord, 'id'>): Promise<boolean> {
    return (await this.store.getSetting(subscriptionSetting(platform.id))) === 'on';
  }

  /** Turns `feed.changes` webhooks on or off for a platform (they go to its webhook URL). */
  async subscribe(platform: Pick<PlatformRecord, 'id' | 'name'>, enabled: boolean, actor: Actor): Promise<void> {
    this.subscriberCache = undefined;
    if (enabled && (await this.subscribers()).length === 0) {
      // The cursor stood still while nobody subscribed: the first subscriber hears of changes
      // from now on (it reads the past through /v1/sync), not of everything since then.
      await this.store.setSetting(CURSOR_SETTING, String(await this.store.lastSeq()));
    }
    await this.store.setSetting(subscriptionSetting(platform.id), enabled ? 'on' : 'off');
    this.subscriberCache = undefined;
    await this.store.audit(actor, 'platform.feed_webhook', platform.name, { enabled });
  }

  private async subscribers(): Promise<PlatformRecord[]> {
    const cached = this.subscriberCache;
    if (cached && Date.now() - cached.readAt < SUBSCRIBERS_TTL_MS) return cached.platforms;
    const readAt = Date.now();
    const active = (await this.store.listPlatforms()).filter((p) => p.revokedAt === null);
    const flags = await Promise.all(active.map((p) => this.subscribed(p)));
    const platforms = active.filter((_, i) => flags[i]);
    this.subscriberCache = { readAt, platforms };
    return platforms;
  }
}
