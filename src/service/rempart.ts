import fs from 'node:fs';
import type { Config } from '../config.js';
import { createIndex } from '../index/create.js';
import { ExactIndex } from '../index/exact.js';
import { EXACT_ALGORITHMS } from '../hashing/video/digest.js';
import { Matcher } from '../index/matcher.js';
import { HashingPool, type ImageHashes } from '../pipeline/pool.js';
import type { VideoHashes, VideoHashRequest } from '../pipeline/video/hash-video.js';
import { VideoHashingPool } from '../pipeline/video/pool.js';
import { sniffVideoFormat } from '../pipeline/video/sniff.js';
import { openStore } from '../store/open.js';
import type { ErasureStatus, Store } from '../store/types.js';
import { WebhookDispatcher } from '../webhooks/dispatcher.js';
import { CaseService } from './cases.js';
import { type DataCipher, loadOrCreateDataKey } from './data-key.js';
import { EngineEvents } from './events.js';
import { ExchangeProjector } from './exchange.js';
import { FeedbackService } from './feedback.js';
import { FeedWebhooks } from './feed-webhooks.js';
import { Follower } from '../follow/follower.js';
import { ReviewService } from './review.js';
import { SubmissionScreen } from './screening.js';
import { StopNciiService } from './stopncii.js';
import { IndexLoader } from './index-loader.js';
import { Credentials } from './credentials.js';
import { MatchRecorder } from './match-recorder.js';
import { MatchService } from './matching.js';
import { VideoMatchService } from './video-matching.js';
import { loadOrCreatePepper } from './pepper.js';
import { PlatformService } from './platforms.js';
import { RateLimitService } from './rate-limits.js';
import { nearDuplicateRadius } from './registration-rules.js';
import { PlatformSettingsService } from './platform-settings.js';
import { SyncService } from './sync.js';
import { CaseworkService } from './takedown/casework.js';
import { smtpMailer, type Mailer } from './takedown/mailer.js';
import { NoticeService } from './takedown/notices.js';
import { OperatorService } from './takedown/operators.js';
import { ReportingService } from './takedown/reporting.js';
import { ReportService } from './takedown/reports.js';
import { TemplateService } from './takedown/templates.js';
import { WebhookService } from './webhooks.js';

const PEPPER_FINGERPRINT = 'pepper_fingerprint';
/** Fingerprint of the data key that sealed last (the newest sealing key any process started with). */
const DATA_KEY_FINGERPRINT = 'data_key_fingerprint';

/**
 * The engine assembled from its parts: the one place that knows how store, index,
 * worker pool and services fit together. The HTTP API and the CLI both start here,
 * with `await Rempart.open(config)`.
 */
export class Rempart {
  readonly credentials: Credentials;
  readonly matcher: Matcher;
  readonly cases: CaseService;
  readonly platforms: PlatformService;
  readonly matching: MatchService;
  /** Videos: MD5 and time-aligned frame matching, one answer per registered item. */
  readonly videoMatching: VideoMatchService;
  /** What each platform chose for itself (stricter thresholds). */
  readonly platformSettings: PlatformSettingsService;
  /** The projection behind the StopNCII-compatible feed, and the feed itself. */
  readonly exchange: ExchangeProjector;
  readonly stopncii: StopNciiService;
  /** Platforms' reports on their matches (blocked, not blocked…). */
  readonly feedback: FeedbackService;
  /** Abuse controls: victims' submissions screened against the allow-list and for bursts; operators' review queue. */
  readonly screen: SubmissionScreen;
  readonly review: ReviewService;
  readonly sync: SyncService;
  /** Request counts of the public endpoints' rate limits (shared by replicas on PostgreSQL). */
  readonly rateLimits: RateLimitService;
  /** What the engine announces (matches, registrations, withdrawals, erasure): observers subscribe here. */
  readonly events: EngineEvents;
  /** Match counters are written in batches, off the platforms' hot path (an observer of `matches`). */
  readonly matchRecorder: MatchRecorder;
  /** The operator's key for personal data and secrets at rest. */
  readonly dataCipher: DataCipher;
  /** Signed webhook deliveries to platforms (the server starts the loop: startBackgroundWork). */
  readonly webhookDispatcher: WebhookDispatcher;
  readonly webhooks: WebhookService;
  /** `feed.changes` webhooks to subscribed platforms when the change log grows. */
  readonly feedWebhooks: FeedWebhooks;
  /** The takedown process (issue 15): victims' reports, analysts, notices, templates, figures. */
  readonly reports: ReportService;
  readonly notices: NoticeService;
  readonly casework: CaseworkService;
  readonly templates: TemplateService;
  readonly operators: OperatorService;
  readonly reporting: ReportingService;
  private readonly mailer: Mailer | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private hashingPool: HashingPool | undefined;
  private videoHashingPool: VideoHashingPool | undefined;
  private readonly indexLoader: IndexLoader;
  private loaded = false;

  /** Opens the store (checking it was made with this pepper), then assembles the services. */
  static async open(config: Config): Promise<Rempart> {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const pepper = loadOrCreatePepper(config.dataDir, config.pepper);
    const credentials = new Credentials(pepper, config.secretCost);
    const events = new EngineEvents();
    const store = await openStore({
      dataDir: config.dataDir,
      database: config.database,
      poolSize: config.databasePoolSize,
      onErasure: (event) => events.emit('erasure', event),
      onConnectionError: (error) => events.emit('database.connection', error),
    });
    try {
      await checkPepper(store, credentials, config.dataDir);
      // Size the multi-index tables for the bank as it is now; they retune as it grows.
      const expectedSize = Math.max(await store.countHashes(), 1000);
      const dataCipher = loadOrCreateDataKey(config.dataDir, { key: config.dataKey, file: config.dataKeyFile });
      await checkDataKey(store, dataCipher);
      return new Rempart(config, store, events, credentials, dataCipher, pepper, expectedSize);
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  private constructor(
    readonly config: Config,
    readonly store: Store,
    events: EngineEvents,
    credentials: Credentials,
    dataCipher: DataCipher,
    pepper: string,
    expectedSize: number,
  ) {
    this.events = events;
    this.credentials = credentials;
    this.dataCipher = dataCipher;
    // Exact digests (a video's MD5) are matched by equality in a hash map, never by distance.
    this.matcher = new Matcher((algorithm) =>
      EXACT_ALGORITHMS.has(algorithm) ? new ExactIndex() : createIndex(config.index, { expectedSize }),
    );
    this.matchRecorder = new MatchRecorder(this.store).observe(this.events);
    this.exchange = new ExchangeProjector(this.store, { tombstoneSeconds: config.tombstoneDays * 86_400 });
    this.feedback = new FeedbackService(this.store, this.exchange, this.events, {
      quarantineAfter: config.quarantineAfter,
      maxBatch: config.maxBatch,
    });
    this.stopncii = new StopNciiService(this.store, this.exchange, {
      feedback: this.feedback,
      feedbackOf: (refs) => this.feedback.ofRefs(refs),
    });
    const feedbackOfWithdrawn = { eraseWithdrawn: async () => void (await store.eraseFeedbackOfWithdrawnCases()) };
    const submissionsOfWithdrawn = { eraseWithdrawn: async () => void (await store.eraseSubmissionsOfWithdrawnCases()) };
    this.screen = new SubmissionScreen(this.store, {
      thresholds: config.thresholds,
      burst: config.holdBurst,
      burstWindowMs: config.holdBurstMinutes * 60_000,
      index: config.index,
    }, pepper);
    this.review = new ReviewService(this.store, this.matcher);
    // Quarantine: hashes enough platforms dispute go to the review queue.
    this.feedback.disputes = this.review;
    this.cases = new CaseService(
      this.store,
      this.matcher,
      this.credentials,
      {
        qualityFloor: config.pdqQualityFloor,
        maxHashes: config.maxBatch,
        maxVideoSeconds: config.maxVideoSeconds,
        maxHashesPerCase: config.maxHashesPerCase,
        nearDuplicateRadius: (algorithm) => nearDuplicateRadius(config.thresholds[algorithm] ?? 0),
      },
      this.events,
      this.matchRecorder,
      {
        derivedCopies: [this.exchange, feedbackOfWithdrawn, submissionsOfWithdrawn, this.review],
        platformsBlocking: (caseId) => this.feedback.platformsBlocking(caseId),
        screening: {
          screen: (items, address) => this.screen.screen(items, address),
          hold: (caseId, held, actor) => this.review.hold(caseId, held, actor),
          heldCounts: (caseId) => this.review.heldCounts(caseId),
        },
      },
    );
    this.platforms = new PlatformService(this.store, this.credentials);
    this.indexLoader = new IndexLoader(this.store, this.matcher);
    this.platformSettings = new PlatformSettingsService(this.store, config.thresholds, config.platformMaxThresholds);
    // Follower mode: matches come from the followed banks' copy, with their own refs and source.
    let matchFacts: Pick<Store, 'hashFacts' | 'registeredWith'> = this.store;
    let matchIndex = this.matcher;
    if (config.follow.length > 0) {
      const follower = new Follower(this.store, config.follow, { index: config.index, pollMs: config.followPollSeconds * 1000 });
      this.follower = follower;
      // Platforms' feedback on followed hashes goes on to the bank each comes from.
      this.feedback.forwarding = follower;
      matchIndex = follower.matcher;
      matchFacts = {
        async hashFacts(ids: readonly number[]) {
          const found = await follower.facts(ids);
          return new Map([...found].map(([id, f]) => [id, { id, itemId: 0, ...f }]));
        },
        registeredWith: (ids: readonly number[], algorithm: string) => follower.registeredWith(ids, algorithm),
      };
    }
    this.matching = new MatchService(matchFacts, matchIndex, this.events, this, config.thresholds, {
      maxBatch: config.maxBatch,
      maxMatchesPerHash: config.maxMatchesPerHash,
      budgetMs: config.matchBudgetSeconds * 1000,
    }, this.platformSettings);
    this.videoMatching = new VideoMatchService(matchFacts, matchIndex, this.events, this, {
      frameThreshold: () => this.matching.thresholdOf('pdq'),
      qualityFloor: config.pdqQualityFloor,
      limits: { maxMatchesPerFrame: config.maxMatchesPerHash, budgetMs: config.matchBudgetSeconds * 1000 },
    }, this.platformSettings);
    this.sync = new SyncService(this.store);
    this.rateLimits = new RateLimitService(this.store, this.credentials);
    this.webhookDispatcher = new WebhookDispatcher(this.store, this.dataCipher, {
      baseDelayMs: config.webhookRetryBaseMs,
      maxAttempts: config.webhookMaxAttempts,
      timeoutMs: config.webhookTimeoutMs,
    });
    this.webhooks = new WebhookService(this.store, this.store, this.store, this.dataCipher);
    this.feedWebhooks = new FeedWebhooks(this.store, this.webhookDispatcher);

    const notifier = { name: config.notifierName, email: config.notifierEmail ?? null };
    this.mailer =
      config.smtpUrl === undefined || config.notifierEmail === undefined
        ? undefined
        : smtpMailer(config.smtpUrl, { name: config.notifierName, email: config.notifierEmail });
    this.reports = new ReportService(this.store, this.cases, this.dataCipher, { retentionDays: config.reportRetentionDays });
    this.reports.observe(this.events, (error) => this.events.onListenerError(error, 'case.withdrawn'));
    this.templates = new TemplateService(this.store, this.store);
    this.notices = new NoticeService(this.store, this.webhookDispatcher, this.mailer, {
      deadlineHours: config.noticeDeadlineHours,
      minorDeadlineHours: config.minorNoticeDeadlineHours,
      notifier,
    });
    this.casework = new CaseworkService(this.store, this.notices, this.templates, this.dataCipher, notifier);
    this.operators = new OperatorService(this.store, this.dataCipher, pepper, {
      passwordCost: config.operatorPasswordCost,
      idleMinutes: config.operatorIdleMinutes,
    });
    this.reporting = new ReportingService(this.store);
  }

  /** Starts the background work a serving process does: webhook deliveries. */
  startBackgroundWork(onError: (error: unknown) => void): void {
    this.webhookDispatcher.events.on('error', onError);
    this.webhookDispatcher.start();
    this.feedWebhooks.start(5_000, onError);
    // Personal data past its retention (or left by an interrupted withdrawal), expired sessions.
    const sweep = () => {
      this.reports.sweep().catch(onError);
      this.operators.purgeExpiredSessions().catch(onError);
    };
    sweep();
    this.sweepTimer = setInterval(sweep, 60 * 60 * 1000);
    this.sweepTimer.unref();
  }

  /** Follower mode: the other banks this instance follows (undefined: a bank of its own). */
  readonly follower: Follower | undefined;

  /** The worker pool, started on first use (CLI commands that do not hash never start it). */
  get pool(): HashingPool {
    this.hashingPool ??= new HashingPool({
      threads: this.config.hashThreads,
      maxInputBytes: this.config.maxImageBytes,
      maxPixels: this.config.maxImagePixels,
      decodeTimeoutSeconds: this.config.decodeTimeoutSeconds,
      queueTimeoutSeconds: this.config.queueTimeoutSeconds,
    }, { onWorkerFailure: (error) => this.events.emit('worker.failed', error) });
    return this.hashingPool;
  }

  hashImage: HashingPool['hashImage'] = (bytes, options) => this.pool.hashImage(bytes, options);

  /** The video pool (own threads, one ffmpeg process per video), started on first use. */
  get videoPool(): VideoHashingPool {
    const c = this.config;
    this.videoHashingPool ??= new VideoHashingPool({
      concurrency: c.videoConcurrency,
      queueTimeoutMs: c.videoQueueTimeoutSeconds * 1000,
      ffmpegPath: c.ffmpegPath,
      limits: {
        maxVideoBytes: c.maxVideoBytes,
        maxVideoSeconds: c.maxVideoSeconds,
        videoTimeoutSeconds: c.videoTimeoutSeconds,
        videoCpuSeconds: c.videoCpuSeconds,
        videoMemoryBytes: c.videoMemoryBytes,
      },
    });
    return this.videoHashingPool;
  }

  hashVideo = (bytes: Uint8Array, request: VideoHashRequest): Promise<VideoHashes> => this.videoPool.hashVideo(bytes, request);

  /**
   * Hashes an upload that may be an image or a video, told apart by its bytes (never by
   * a Content-Type): a video is sampled for registration (2.5 frames a second and scene
   * cuts, each with its centred window).
   */
  hashMedia = (bytes: Uint8Array, options: Parameters<HashingPool['hashImage']>[1] = {}): Promise<ImageHashes | VideoHashes> =>
    sniffVideoFormat(bytes)
      ? this.hashVideo(bytes, { dihedral: options?.dihedral === true, keep: 'samples', windows: true })
      : this.hashImage(bytes, options);

  /** Whether withdrawn values may still be in the store's files. */
  erasureStatus(): Promise<ErasureStatus> {
    return this.store.erasureStatus();
  }

  /** True once every stored hash is in the index. */
  get ready(): boolean {
    return this.follower ? this.follower.ready : this.loaded;
  }

  /** Hashes in the in-memory index (all algorithms). */
  indexedHashes(): number {
    return this.follower ? this.follower.size() : this.matcher.size();
  }

  /**
   * Loads every stored hash into the index (ready afterwards), then keeps following the
   * store for hashes other processes add (`rempart import`).
   */
  async loadIndex(options: { follow?: boolean; onError?: (error: unknown) => void } = {}) {
    if (this.follower) {
      // Read-only: the local copy of the followed banks, then their feeds.
      const copy = await this.follower.load();
      if (options.follow !== false) {
        if (options.onError) {
          this.follower.events.on('failed', options.onError);
          this.follower.forwarding?.on('failed', options.onError).on('dropped', options.onError);
        }
        this.follower.start();
      }
      return { ...copy, seq: 0 };
    }
    const loaded = await this.indexLoader.load();
    this.loaded = true;
    if (options.follow !== false) {
      // PostgreSQL wakes followers by LISTEN/NOTIFY (polling is the safety net); SQLite's
      // other processes (`rempart import`) are seen by polling.
      const pollMs = this.store.backend === 'postgres' ? 5_000 : 1_000;
      this.indexLoader.follow({ pollMs, ...(options.onError ? { onError: options.onError } : {}) });
      this.exchange.start(1000, options.onError ?? (() => {}));
    }
    return loaded;
  }

  async close(): Promise<void> {
    await this.follower?.stop();
    await this.indexLoader.stop();
    await this.exchange.stop();
    clearInterval(this.sweepTimer);
    await this.feedWebhooks.stop();
    await this.webhookDispatcher.stop();
    this.mailer?.close();
    await this.hashingPool?.close();
    await this.videoHashingPool?.close();
    try {
      await this.matchRecorder.close();
    } finally {
      await this.store.close();
    }
  }
}

/** A database hashed with one pepper cannot be used with another: every secret would fail. */
async function checkPepper(store: Store, credentials: Credentials, dataDir: string): Promise<void> {
  const fingerprint = credentials.fingerprint();
  const stored = await store.getSetting(PEPPER_FINGERPRINT);
  if (stored === undefined) await store.setSetting(PEPPER_FINGERPRINT, fingerprint);
  else if (stored !== fingerprint) {
    throw new Error(
      `the pepper does not match the one this database was created with (in ${store.location}, pepper from ${dataDir}); ` +
        'restore the original pepper file or REMPART_PEPPER, or every case secret and API key will fail',
    );
  }
}

/**
 * Every process on one database must open what the others sealed: a replica that created
 * a data key of its own (a new data directory) would seal with a key the others lack, and
 * fail on theirs. So a process must hold the newest sealing key recorded in the database;
 * it then records its own. Rotation: add the new key as a second line on every replica
 * first, then move it first.
 */
async function checkDataKey(store: Store, cipher: DataCipher): Promise<void> {
  const recorded = await store.getSetting(DATA_KEY_FINGERPRINT);
  if (recorded !== undefined && !cipher.holds(recorded)) {
    throw new Error(
      `the data key does not match this database: its personal data is sealed with data key ${recorded}, which this process does not have ` +
        `(sealing key here: ${cipher.keyId}, in ${store.location}). Give every replica the same key (REMPART_DATA_KEY or REMPART_DATA_KEY_FILE, ` +
        'or copy data.key from the first data directory), or personal data sealed by one replica will not open on another',
    );
  }
  if (recorded !== cipher.keyId) await store.setSetting(DATA_KEY_FINGERPRINT, cipher.keyId);
}
