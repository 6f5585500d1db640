/**
 * Follower mode (`rempart serve --follow URL --follow-key rk_…`): a read-only Rempart that
 * keeps its own index equal to other Rempart banks' hash lists, by their change feeds, and
 * answers `/v1/match` and `/v1/match/image` locally. A platform runs it next to its upload
 * service; a hotline follows a peer's bank. Per source, the cursor and the hashes held are
 * in the local store, so a restart serves at once and resumes where it stopped.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createIndex, type IndexKind } from '../index/create.js';
import { ExactIndex } from '../index/exact.js';
import { Matcher } from '../index/matcher.js';
import { EXACT_ALGORITHMS } from '../hashing/video/digest.js';
import type { FollowStore, FollowedFacts } from '../store/follow.js';
import type { NewFeedback } from '../store/feedback.js';
import { FeedbackForwarder, type ForwarderOptions } from './feedback-forwarder.js';
import { RempartError } from '../errors.js';
import { verifyWebhookSignature } from '../webhooks/signature.js';
import { RemoteFeed } from './remote-feed.js';

export interface FollowSource {
  url: string;
  key: string;
  /** Webhook-triggered: the secret of the bank's `feed.changes` webhook to this follower (no long-poll). */
  webhookSecret?: string;
}

export interface FollowerOptions {
  index: IndexKind;
  /** Long-poll wait asked of the source (seconds). */
  waitSeconds?: number;
  /** Webhook-triggered sources: read at the latest this long after the last read (ms), webhook or not. */
  pollMs?: number;
  /** First pause after a failed read (doubles up to maxRetryMs). */
  retryMs?: number;
  maxRetryMs?: number;
  /** Sending platforms' feedback on to the banks. */
  forwarding?: ForwarderOptions;
}

export interface SourceStatus {
  url: string;
  cursor: number;
  /** Whether the follower has read the source's feed to its end at least once since it started (or had before). */
  caughtUp: boolean;
  lastError: string | null;
}

interface SourceState extends SourceStatus {
  id: number;
  feed: RemoteFeed;
  webhookSecret: string | undefined;
  /** A webhook said the bank changed since the last read began. */
  woken: boolean;
  wake: (() => void) | undefined;
}

const LOAD_PAGE = 10_000;

export class Follower {
  readonly matcher: Matcher;
  /** 'applied' ({url, added, removed, cursor}) after each page applied; 'failed' (Error) when a read fails (it is retried). */
  readonly events = new EventEmitter();
  private sources: SourceState[] = [];
  private loaded = false;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];
  private forwarder: FeedbackForwarder | undefined;

  constructor(
    private readonly store: FollowStore,
    private readonly config: readonly FollowSource[],
    private readonly options: FollowerOptions,
  ) {
    // As at the bank: exact digests (a video's MD5) by equality, perceptual hashes by distance.
    this.matcher = new Matcher((algorithm) =>
      EXACT_ALGORITHMS.has(algorithm) ? new ExactIndex() : createIndex(options.index, { expectedSize: 100_000 }),
    );
  }

  /** Registers the sources and indexes the hashes held from them (no network). */
  async load(): Promise<{ hashes: number; milliseconds: number }> {
    const start = performance.now();
    for (const source of this.config) {
      const { id, cursor } = await this.store.followSource(source.url);
      // A source read before (cursor > 0) is served from the local copy at once, even if it is unreachable now.
      this.sources.push({
        id,
        url: source.url,
        cursor,
        caughtUp: cursor > 0,
        lastError: null,
        feed: new RemoteFeed(source.url, source.key),
        webhookSecret: source.webhookSecret,
        woken: false,
        wake: undefined,
      });
    }
    this.forwarder = new FeedbackForwarder(
      this.store,
      this.sources.map((s, i) => ({ id: s.id, url: s.url, key: this.config[i]!.key })),
      this.options.forwarding,
    );
    let hashes = 0;
    // A bank no longer followed keeps its rows (following it again resumes) but matches nothing.
    const followed = new Set(this.sources.map((s) => s.id));
    for (let after = 0; ; ) {
      const page = await this.store.followedPage(after, LOAD_PAGE);
      for (const h of page) {
        if (!followed.has(h.sourceId)) continue;
        this.matcher.add(h.algorithm, h.id, h.bytes);
        hashes++;
      }
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1]!.id;
    }
    this.loaded = true;
    return { hashes, milliseconds: Math.round(performance.now() - start) };
  }

  /** Follows every source until stop(). */
  start(): void {
    if (this.loops.length > 0) return;
    this.loops = this.sources.map((source) => this.follow(source));
    this.forwarder?.start();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all([...this.loops, this.forwarder?.stop()]);
  }

  /** Sends platforms' feedback on followed hashes to their banks (queued durably first). */
  forwardFeedback(entries: readonly NewFeedback[]): Promise<{ queued: string[]; unknown: string[] }> {
    if (!this.forwarder) throw new RempartError('NOT_READY', 'the follower is loading its copy of the banks; retry in a moment');
    return this.forwarder.queue(entries);
  }

  /** The feedback sender's events ('forwarded', 'failed', 'dropped'), once loaded. */
  get forwarding(): EventEmitter | undefined {
    return this.forwarder?.events;
  }

  /** Ready to answer: the local copy is indexed and each source has been read to its end once (now or before a restart). */
  get ready(): boolean {
    return this.loaded && this.sources.every((s) => s.caughtUp);
  }

  /**
   * A signed `feed.changes` webhook arrived: the bank whose secret signs it is read now.
   * Returns its URL, or undefined when no webhook-triggered bank's secret signs it.
   */
  webhook(timestamp: string | undefined, body: string, signature: string | undefined): string | undefined {
    if (!this.loaded) throw new RempartError('NOT_READY', 'the follower is loading its copy of the banks; retry in a moment');
    const source = this.sources.find((s) => s.webhookSecret !== undefined && verifyWebhookSignature(s.webhookSecret, timestamp, body, signature));
    if (!source) return undefined;
    source.woken = true;
    source.wake?.();
    return source.url;
  }

  status(): SourceStatus[] {
    return this.sources.map(({ url, cursor, caughtUp, lastError }) => ({ url, cursor, caughtUp, lastError }));
  }

  facts(ids: readonly number[]): Promise<Map<number, FollowedFacts>> {
    return this.store.followedFacts(ids);
  }

  /** Of these followed hash ids, those whose item also holds a hash of `algorithm` (HashStore.registeredWith, by item: feeds name no cases). */
  registeredWith(ids: readonly number[], algorithm: string): Promise<Set<number>> {
    return this.store.followedItemsHolding(ids, algorithm);
  }

  size(): number {
    return this.matcher.size();
  }

  private untilWoken(source: SourceState): Promise<void> {
    if (source.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        source.wake = undefined;
        this.abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs ?? 60_000);
      source.wake = done;
      this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  private async follow(source: SourceState): Promise<void> {
    const signal = this.abort.signal;
    const firstRetry = this.options.retryMs ?? 500;
    let retry = firstRetry;
    let more = true;
    while (!signal.aborted) {
      try {
        // Catching up: no wait. Caught up: long-poll, so a new change arrives within moments;
        // or, webhook-triggered, wait for the bank's webhook (or the poll interval) and read.
        if (!more && source.webhookSecret !== undefined) await this.untilWoken(source);
        if (signal.aborted) break;
        source.woken = false;
        const wait = more || source.webhookSecret !== undefined ? 0 : (this.options.waitSeconds ?? 25);
        const page = await source.feed.read(source.cursor, wait, signal);
        if (page.changes.length > 0 || page.cursor > source.cursor) {
          const { added, removed } = await this.store.applyFollowed(source.id, page.changes, page.cursor);
          // Another process on the same store may have written this page first: the store
          // returns what the page holds either way, and the index takes what it lacks.
          for (const h of added) if (!this.matcher.has(h.algorithm, h.id)) this.matcher.add(h.algorithm, h.id, h.bytes);
          for (const id of removed) this.matcher.remove(id);
          source.cursor = page.cursor;
          this.events.emit('applied', { url: source.url, added: added.length, removed: removed.length, cursor: page.cursor });
        }
        more = page.more;
        if (!more) source.caughtUp = true;
        source.lastError = null;
        retry = firstRetry;
      } catch (error) {
        if (signal.aborted) break;
        source.lastError = error instanceof Error ? error.message : String(error);
        this.events.emit('failed', error);
        await sleep(retry, undefined, { signal }).catch(() => {});
        retry = Math.min(retry * 2, this.options.maxRetryMs ?? 30_000);
        more = true;
      }
    }
  }
}
