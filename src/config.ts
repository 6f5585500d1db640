import os from 'node:os';
import path from 'node:path';
import { listAlgorithms, getAlgorithm } from './hashing/index.js';

/**
 * Service configuration: defaults < environment (REMPART_*) < command-line flags.
 * Every value is checked once, here, with a message naming the setting.
 */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /**
   * PostgreSQL URL (postgres://…, optional ?schema=) for several replicas on one database;
   * undefined: the embedded SQLite file in dataDir.
   */
  database: string | undefined;
  /** Connections each process keeps to PostgreSQL at most (plus one for LISTEN). */
  databasePoolSize: number;
  /** Inclusive Hamming-distance thresholds per algorithm name. */
  thresholds: Record<string, number>;
  /**
   * The loosest threshold a platform may choose for itself, per algorithm (default: the
   * bank's threshold, so platforms can only be stricter).
   */
  platformMaxThresholds: Record<string, number>;
  /** PDQ hashes below this quality are refused at registration. */
  pdqQualityFloor: number;
  /** Hashing worker threads. */
  hashThreads: number;
  maxImageBytes: number;
  /** Largest JSON request body (hashes to register or match). */
  maxJsonBytes: number;
  maxImagePixels: number;
  /** A decode taking longer is refused (IMAGE_TIMEOUT) so one image cannot hold a worker. */
  decodeTimeoutSeconds: number;
  /** Matcher implementation: multi-index hashing (default) or the linear scan. */
  index: 'mih' | 'linear';
  /** scrypt cost (log2 N) for case secrets. */
  secretCost: number;
  /** Pepper for secrets and API keys; when absent, kept in `<dataDir>/pepper`. */
  pepper: string | undefined;
  logLevel: string;
  /** Maximum hashes per batch match call and per case registration. */
  maxBatch: number;
  /** Matches returned per query hash, closest first (the rest are cut, with `truncated`). */
  maxMatchesPerHash: number;
  /** Matching time one request may take (in slices that let other requests run) before 503 OVERLOADED. */
  matchBudgetSeconds: number;
  /** Hashes one case may hold once near-duplicates are collapsed (victims' registrations). */
  maxHashesPerCase: number;
  /** Requests per minute per client address on the public (victim) endpoints; 0 = off. */
  rateLimitPerMinute: number;
  /** Trust X-Forwarded-For from this many proxy hops (behind a reverse proxy), 0 = none. */
  trustProxyHops: number;
  /** Longest wait of an image for a hashing thread before 503 OVERLOADED with Retry-After. */
  queueTimeoutSeconds: number;
  /** Time a client has to send its whole request (headers and body) before 408 and the connection closes. */
  requestTimeoutSeconds: number;
  /** Time a client has to send its request headers. */
  headersTimeoutSeconds: number;
  /**
   * A connection that sends no request, or stops reading its response, this long is closed
   * (a request being worked on is not: its own limits apply); also bounds keep-alive.
   */
  idleTimeoutSeconds: number;
  /**
   * Client addresses in the request log: of authenticated platforms only (default), of every
   * request ('all', an operator's explicit choice: it ties victims' addresses to their cases),
   * or of none.
   */
  logClientAddresses: 'platforms' | 'all' | 'none';
  /** Days a withdrawn hash value may be kept so that StopNCII-feed clients learn of its removal (0 = none). */
  tombstoneDays: number;
  /** The operator's data key (personal data and webhook secrets at rest); when absent, read from dataKeyFile. */
  dataKey: string | undefined;
  /** File holding the data key(s); when absent too, `<dataDir>/data.key` (created on first start). */
  dataKeyFile: string | undefined;
  /** Webhooks: first retry delay (doubles per attempt), attempts in all, and per-attempt timeout. */
  webhookRetryBaseMs: number;
  webhookMaxAttempts: number;
  webhookTimeoutMs: number;
  /** The operators' listener (analysts' console): loopback by default, never the public one. */
  operatorHost: string;
  /** Its port (0: any free port; -1: no operator listener). */
  operatorPort: number;
  /** scrypt cost (log2 N) for operators' passwords. */
  operatorPasswordCost: number;
  /** An operator session unused this long ends. */
  operatorIdleMinutes: number;
  /** Personal data of a victim's report is erased this many days after the report, whatever its state. */
  reportRetentionDays: number;
  /** Hours a site has to answer a notice (platforms may have their own), and for minors' notices. */
  noticeDeadlineHours: number;
  minorNoticeDeadlineHours: number;
  /** SMTP server for email notices, e.g. smtps://user:password@smtp.example.org:465 (absent: send by hand). */
  smtpUrl: string | undefined;
  /** Who signs notices (DSA Article 16(2)(c)). */
  notifierName: string;
  notifierEmail: string | undefined;
  /** Platforms reporting "not blocked" on a hash that send it to review (quarantine); 0 = never. */
  quarantineAfter: number;
  /** The ffmpeg that decodes videos; unset: /usr/bin/ffmpeg, else the npm package's (development). */
  ffmpegPath: string | undefined;
  maxVideoBytes: number;
  /** Longest video accepted, seconds. */
  maxVideoSeconds: number;
  /** Wall-clock seconds one video decode may take (VIDEO_TIMEOUT beyond). */
  videoTimeoutSeconds: number;
  /** CPU seconds one ffmpeg process may use (VIDEO_TOO_COSTLY beyond). */
  videoCpuSeconds: number;
  /** Address space of one ffmpeg process, bytes (VIDEO_TOO_COSTLY beyond). */
  videoMemoryBytes: number;
  /** Videos decoded at once (each ffmpeg already uses every core). */
  videoConcurrency: number;
  /** Longest wait of a video for a free decoder before 503 OVERLOADED with Retry-After. */
  videoQueueTimeoutSeconds: number;
  /** The Nth near-identical submission from one address within holdBurstMinutes is held for review; 0 = never. */
  holdBurst: number;
  holdBurstMinutes: number;
  /**
   * Follower mode: other Rempart banks whose feeds this read-only instance keeps its index
   * equal to. With a `webhookSecret` (the secret the bank gave for this follower's
   * `feed.changes` webhook), a bank is read when its webhook says it changed (and every
   * followPollSeconds at the latest) instead of by long-poll.
   */
  follow: { url: string; key: string; webhookSecret?: string }[];
  followPollSeconds: number;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  databasePoolSize: 10,
  pdqQualityFloor: 50,
  maxImageBytes: 50 * 1024 * 1024,
  maxJsonBytes: 4 * 1024 * 1024,
  maxImagePixels: 100_000_000,
  decodeTimeoutSeconds: 20,
  index: 'mih',
  secretCost: 15,
  logLevel: 'info',
  maxBatch: 1000,
  maxMatchesPerHash: 50,
  matchBudgetSeconds: 10,
  maxHashesPerCase: 1000,
  rateLimitPerMinute: 60,
  trustProxyHops: 0,
  tombstoneDays: 30,
  webhookRetryBaseMs: 5_000,
  webhookMaxAttempts: 20,
  webhookTimeoutMs: 10_000,
  operatorHost: '127.0.0.1',
  operatorPort: 8081,
  operatorPasswordCost: 16,
  operatorIdleMinutes: 30,
  reportRetentionDays: 365,
  noticeDeadlineHours: 48,
  minorNoticeDeadlineHours: 24,
  notifierName: 'Rempart hotline',
  quarantineAfter: 3,
  maxVideoBytes: 256 * 1024 * 1024,
  maxVideoSeconds: 600,
  videoTimeoutSeconds: 300,
  videoCpuSeconds: 600,
  videoMemoryBytes: 3 * 1024 * 1024 * 1024,
  videoConcurrency: 1,
  videoQueueTimeoutSeconds: 60,
  queueTimeoutSeconds: 10,
  requestTimeoutSeconds: 120,
  headersTimeoutSeconds: 10,
  idleTimeoutSeconds: 10,
  logClientAddresses: 'platforms',
  holdBurst: 5,
  holdBurstMinutes: 60,
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Settings as strings, from the environment or flags (undefined = not given). */
export type RawConfig = Partial<Record<keyof Config | 'followKey' | 'followWebhookSecret', string>> & {
  thresholdOverrides?: string[];
  platformMaxThresholdOverrides?: string[];
};

/** `ALGORITHM=DISTANCE` entries into `into`, each checked. */
function applyThresholds(into: Record<string, number>, entries: readonly string[], what: string): void {
  for (const entry of entries) {
    const match = /^([a-z0-9_-]+)=(.*)$/i.exec(entry);
    if (!match) throw new ConfigError(`${what} must look like ALGORITHM=DISTANCE (e.g. pdq=31), got "${entry}"`);
    const name = match[1]!.toLowerCase();
    try {
      getAlgorithm(name);
    } catch (error) {
      throw new ConfigError(`${what}: ${(error as Error).message}`);
    }
    into[name] = integer(`${what} for ${name}`, match[2]!, 0, 128);
  }
}

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** An integer setting, or its default when not given. */
function optional(raw: string | undefined, fallback: number, name: string, min: number, max: number): number {
  return raw === undefined ? fallback : integer(name, raw, min, max);
}

/** Reads REMPART_* variables; `REMPART_THRESHOLD_PDQ=31` sets the pdq threshold. */
export function rawConfigFromEnv(env: NodeJS.ProcessEnv = process.env): RawConfig {
  const raw: RawConfig = {
    host: env.REMPART_HOST,
    port: env.REMPART_PORT ?? env.PORT,
    dataDir: env.REMPART_DATA_DIR,
    database: env.REMPART_DATABASE_URL,
    databasePoolSize: env.REMPART_DATABASE_POOL,
    pdqQualityFloor: env.REMPART_PDQ_QUALITY_FLOOR,
    hashThreads: env.REMPART_HASH_THREADS,
    maxImageBytes: env.REMPART_MAX_IMAGE_BYTES,
    maxJsonBytes: env.REMPART_MAX_JSON_BYTES,
    maxImagePixels: env.REMPART_MAX_IMAGE_PIXELS,
    decodeTimeoutSeconds: env.REMPART_DECODE_TIMEOUT,
    index: env.REMPART_INDEX,
    secretCost: env.REMPART_SECRET_COST,
    pepper: env.REMPART_PEPPER,
    logLevel: env.REMPART_LOG_LEVEL,
    maxBatch: env.REMPART_MAX_BATCH,
    maxMatchesPerHash: env.REMPART_MAX_MATCHES_PER_HASH,
    matchBudgetSeconds: env.REMPART_MATCH_BUDGET,
    maxHashesPerCase: env.REMPART_MAX_HASHES_PER_CASE,
    rateLimitPerMinute: env.REMPART_RATE_LIMIT,
    trustProxyHops: env.REMPART_TRUST_PROXY_HOPS,
    queueTimeoutSeconds: env.REMPART_QUEUE_TIMEOUT,
    requestTimeoutSeconds: env.REMPART_REQUEST_TIMEOUT,
    headersTimeoutSeconds: env.REMPART_HEADERS_TIMEOUT,
    idleTimeoutSeconds: env.REMPART_IDLE_TIMEOUT,
    logClientAddresses: env.REMPART_LOG_CLIENT_ADDRESSES,
    tombstoneDays: env.REMPART_TOMBSTONE_DAYS,
    dataKey: env.REMPART_DATA_KEY,
    dataKeyFile: env.REMPART_DATA_KEY_FILE,
    webhookRetryBaseMs: env.REMPART_WEBHOOK_RETRY_BASE_MS,
    webhookMaxAttempts: env.REMPART_WEBHOOK_MAX_ATTEMPTS,
    webhookTimeoutMs: env.REMPART_WEBHOOK_TIMEOUT_MS,
    operatorHost: env.REMPART_OPERATOR_HOST,
    operatorPort: env.REMPART_OPERATOR_PORT,
    operatorPasswordCost: env.REMPART_OPERATOR_PASSWORD_COST,
    operatorIdleMinutes: env.REMPART_OPERATOR_IDLE_MINUTES,
    reportRetentionDays: env.REMPART_REPORT_RETENTION_DAYS,
    noticeDeadlineHours: env.REMPART_NOTICE_DEADLINE_HOURS,
    minorNoticeDeadlineHours: env.REMPART_MINOR_NOTICE_DEADLINE_HOURS,
    smtpUrl: env.REMPART_SMTP_URL,
    notifierName: env.REMPART_NOTIFIER_NAME,
    notifierEmail: env.REMPART_NOTIFIER_EMAIL,
    quarantineAfter: env.REMPART_QUARANTINE_AFTER,
    ffmpegPath: env.REMPART_FFMPEG,
    maxVideoBytes: env.REMPART_MAX_VIDEO_BYTES,
    maxVideoSeconds: env.REMPART_MAX_VIDEO_SECONDS,
    videoTimeoutSeconds: env.REMPART_VIDEO_TIMEOUT,
    videoCpuSeconds: env.REMPART_VIDEO_CPU_SECONDS,
    videoMemoryBytes: env.REMPART_VIDEO_MEMORY_BYTES,
    videoConcurrency: env.REMPART_VIDEO_CONCURRENCY,
    videoQueueTimeoutSeconds: env.REMPART_VIDEO_QUEUE_TIMEOUT,
    holdBurst: env.REMPART_HOLD_BURST,
    holdBurstMinutes: env.REMPART_HOLD_BURST_MINUTES,
    follow: env.REMPART_FOLLOW,
    followKey: env.REMPART_FOLLOW_KEY,
    followWebhookSecret: env.REMPART_FOLLOW_WEBHOOK_SECRET,
    followPollSeconds: env.REMPART_FOLLOW_POLL_SECONDS,
  };
  const perAlgorithm = (prefix: string) =>
    listAlgorithms()
      .map((a) => [a.name, env[`${prefix}${a.name.toUpperCase()}`]] as const)
      .filter(([, v]) => v !== undefined)
      .map(([name, v]) => `${name}=${v}`);
  raw.thresholdOverrides = perAlgorithm('REMPART_THRESHOLD_');
  raw.platformMaxThresholdOverrides = perAlgorithm('REMPART_PLATFORM_MAX_THRESHOLD_');
  return raw;
}

/** Merges raw layers (later wins) and validates into a Config. */
export function resolveConfig(...layers: RawConfig[]): Config {
  const merged: RawConfig = {};
  const overrides: string[] = [];
  const maxOverrides: string[] = [];
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (key === 'thresholdOverrides') overrides.push(...((value as string[] | undefined) ?? []));
      else if (key === 'platformMaxThresholdOverrides') maxOverrides.push(...((value as string[] | undefined) ?? []));
      else if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }

  const thresholds: Record<string, number> = {};
  for (const algorithm of listAlgorithms()) thresholds[algorithm.name] = algorithm.defaultThreshold;
  applyThresholds(thresholds, overrides, 'threshold');
  // Platforms may choose stricter thresholds; looser ones only up to what the operator allows.
  const platformMaxThresholds = { ...thresholds };
  applyThresholds(platformMaxThresholds, maxOverrides, 'platform maximum threshold');

  const logClientAddresses = merged.logClientAddresses ?? DEFAULTS.logClientAddresses;
  if (logClientAddresses !== 'platforms' && logClientAddresses !== 'all' && logClientAddresses !== 'none') {
    throw new ConfigError(`log client addresses must be "platforms", "all" or "none", got "${logClientAddresses}"`);
  }

  const requestTimeoutSeconds = optional(merged.requestTimeoutSeconds, DEFAULTS.requestTimeoutSeconds, 'request timeout (seconds)', 1, 3600);
  const headersTimeoutSeconds = optional(merged.headersTimeoutSeconds, DEFAULTS.headersTimeoutSeconds, 'headers timeout (seconds)', 1, 3600);
  if (headersTimeoutSeconds > requestTimeoutSeconds) {
    throw new ConfigError(`headers timeout (${headersTimeoutSeconds} s) must not exceed the request timeout (${requestTimeoutSeconds} s)`);
  }

  const index = merged.index ?? DEFAULTS.index;
  if (index !== 'mih' && index !== 'linear') throw new ConfigError(`index must be "mih" or "linear", got "${index}"`);

  return {
    host: merged.host ?? DEFAULTS.host,
    port: merged.port === undefined ? DEFAULTS.port : integer('port', merged.port, 0, 65535),
    dataDir: path.resolve(merged.dataDir ?? DEFAULTS.dataDir),
    database: databaseUrl(merged.database),
    databasePoolSize:
      merged.databasePoolSize === undefined
        ? DEFAULTS.databasePoolSize
        : integer('database pool size', merged.databasePoolSize, 1, 1000),
    thresholds,
    platformMaxThresholds,
    pdqQualityFloor:
      merged.pdqQualityFloor === undefined
        ? DEFAULTS.pdqQualityFloor
        : integer('PDQ quality floor', merged.pdqQualityFloor, 0, 100),
    hashThreads:
      merged.hashThreads === undefined ? os.availableParallelism() : integer('hash threads', merged.hashThreads, 1, 256),
    maxImageBytes:
      merged.maxImageBytes === undefined
        ? DEFAULTS.maxImageBytes
        : integer('max image bytes', merged.maxImageBytes, 1024, 1024 * 1024 * 1024),
    maxImagePixels:
      merged.maxImagePixels === undefined
        ? DEFAULTS.maxImagePixels
        : integer('max image pixels', merged.maxImagePixels, 64 * 64, 1_000_000_000),
    decodeTimeoutSeconds:
      merged.decodeTimeoutSeconds === undefined
        ? DEFAULTS.decodeTimeoutSeconds
        : integer('decode timeout (seconds)', merged.decodeTimeoutSeconds, 1, 3600),
    index,
    secretCost: merged.secretCost === undefined ? DEFAULTS.secretCost : integer('secret cost', merged.secretCost, 10, 20),
    pepper: merged.pepper,
    logLevel: merged.logLevel ?? DEFAULTS.logLevel,
    maxBatch: merged.maxBatch === undefined ? DEFAULTS.maxBatch : integer('max batch', merged.maxBatch, 1, 100_000),
    maxJsonBytes: optional(merged.maxJsonBytes, DEFAULTS.maxJsonBytes, 'max JSON bytes', 1024, 1024 * 1024 * 1024),
    maxMatchesPerHash: optional(merged.maxMatchesPerHash, DEFAULTS.maxMatchesPerHash, 'max matches per hash', 1, 100_000),
    matchBudgetSeconds: optional(merged.matchBudgetSeconds, DEFAULTS.matchBudgetSeconds, 'match budget (seconds)', 1, 3600),
    maxHashesPerCase: optional(merged.maxHashesPerCase, DEFAULTS.maxHashesPerCase, 'max hashes per case', 1, 1_000_000),
    rateLimitPerMinute:
      merged.rateLimitPerMinute === undefined
        ? DEFAULTS.rateLimitPerMinute
        : integer('rate limit (requests per minute)', merged.rateLimitPerMinute, 0, 1_000_000),
    trustProxyHops:
      merged.trustProxyHops === undefined ? DEFAULTS.trustProxyHops : integer('trusted proxy hops', merged.trustProxyHops, 0, 10),
    queueTimeoutSeconds: optional(merged.queueTimeoutSeconds, DEFAULTS.queueTimeoutSeconds, 'queue timeout (seconds)', 1, 3600),
    requestTimeoutSeconds,
    headersTimeoutSeconds,
    idleTimeoutSeconds: optional(merged.idleTimeoutSeconds, DEFAULTS.idleTimeoutSeconds, 'idle timeout (seconds)', 1, 3600),
    logClientAddresses,
    tombstoneDays:
      merged.tombstoneDays === undefined ? DEFAULTS.tombstoneDays : integer('tombstone days', merged.tombstoneDays, 0, 3650),
    dataKey: merged.dataKey,
    dataKeyFile: merged.dataKeyFile === undefined ? undefined : path.resolve(merged.dataKeyFile),
    webhookRetryBaseMs:
      merged.webhookRetryBaseMs === undefined
        ? DEFAULTS.webhookRetryBaseMs
        : integer('webhook retry base (ms)', merged.webhookRetryBaseMs, 1, 3_600_000),
    webhookMaxAttempts:
      merged.webhookMaxAttempts === undefined
        ? DEFAULTS.webhookMaxAttempts
        : integer('webhook attempts', merged.webhookMaxAttempts, 1, 100),
    webhookTimeoutMs:
      merged.webhookTimeoutMs === undefined
        ? DEFAULTS.webhookTimeoutMs
        : integer('webhook timeout (ms)', merged.webhookTimeoutMs, 100, 120_000),
    operatorHost: merged.operatorHost ?? DEFAULTS.operatorHost,
    operatorPort:
      merged.operatorPort === undefined
        ? DEFAULTS.operatorPort
        : merged.operatorPort.trim() === 'off'
          ? -1
          : integer('operator port (or "off")', merged.operatorPort, 0, 65535),
    operatorPasswordCost:
      merged.operatorPasswordCost === undefined
        ? DEFAULTS.operatorPasswordCost
        : integer('operator password cost', merged.operatorPasswordCost, 10, 20),
    operatorIdleMinutes:
      merged.operatorIdleMinutes === undefined
        ? DEFAULTS.operatorIdleMinutes
        : integer('operator idle timeout (minutes)', merged.operatorIdleMinutes, 1, 24 * 60),
    reportRetentionDays:
      merged.reportRetentionDays === undefined
        ? DEFAULTS.reportRetentionDays
        : integer('report retention (days)', merged.reportRetentionDays, 1, 3650),
    noticeDeadlineHours:
      merged.noticeDeadlineHours === undefined
        ? DEFAULTS.noticeDeadlineHours
        : integer('notice deadline (hours)', merged.noticeDeadlineHours, 1, 2160),
    minorNoticeDeadlineHours:
      merged.minorNoticeDeadlineHours === undefined
        ? DEFAULTS.minorNoticeDeadlineHours
        : integer('minors’ notice deadline (hours)', merged.minorNoticeDeadlineHours, 1, 2160),
    smtpUrl: checkSmtpUrl(merged.smtpUrl),
    notifierName: merged.notifierName?.trim() || DEFAULTS.notifierName,
    notifierEmail: checkNotifierEmail(merged.notifierEmail),
    quarantineAfter:
      merged.quarantineAfter === undefined
        ? DEFAULTS.quarantineAfter
        : integer('quarantine after (platforms)', merged.quarantineAfter, 0, 1000),
    ffmpegPath: merged.ffmpegPath === undefined || merged.ffmpegPath === '' ? undefined : path.resolve(merged.ffmpegPath),
    maxVideoBytes: optional(merged.maxVideoBytes, DEFAULTS.maxVideoBytes, 'max video bytes', 1024, 4 * 1024 * 1024 * 1024),
    maxVideoSeconds: optional(merged.maxVideoSeconds, DEFAULTS.maxVideoSeconds, 'max video seconds', 1, 24 * 3600),
    videoTimeoutSeconds: optional(merged.videoTimeoutSeconds, DEFAULTS.videoTimeoutSeconds, 'video timeout (seconds)', 1, 24 * 3600),
    videoCpuSeconds: optional(merged.videoCpuSeconds, DEFAULTS.videoCpuSeconds, 'video CPU seconds', 1, 7 * 24 * 3600),
    videoMemoryBytes: optional(merged.videoMemoryBytes, DEFAULTS.videoMemoryBytes, 'video memory bytes', 64 * 1024 * 1024, 2 ** 40),
    videoConcurrency: optional(merged.videoConcurrency, DEFAULTS.videoConcurrency, 'video concurrency', 1, 64),
    videoQueueTimeoutSeconds: optional(merged.videoQueueTimeoutSeconds, DEFAULTS.videoQueueTimeoutSeconds, 'video queue timeout (seconds)', 1, 3600),
    holdBurst: merged.holdBurst === undefined ? DEFAULTS.holdBurst : integer('hold burst (submissions)', merged.holdBurst, 0, 1000),
    holdBurstMinutes:
      merged.holdBurstMinutes === undefined
        ? DEFAULTS.holdBurstMinutes
        : integer('hold burst window (minutes)', merged.holdBurstMinutes, 1, 7 * 24 * 60),
    follow: followSources(merged.follow, merged.followKey, merged.followWebhookSecret),
    followPollSeconds:
      merged.followPollSeconds === undefined ? 60 : integer('follow poll (seconds)', merged.followPollSeconds, 1, 3600),
  };
}

/** `--follow URL…` with `--follow-key KEY…` (one key for all, or one per URL, in order). */
function followSources(urls: string | undefined, keys: string | undefined, webhookSecrets: string | undefined): Config['follow'] {
  const list = (raw: string | undefined) => (raw ?? '').split(/[\s,]+/).filter(Boolean);
  const sources = list(urls);
  const secrets = list(keys);
  // One webhook secret per bank, in order; "-" for a bank followed by long-poll.
  const hooks = list(webhookSecrets);
  if (sources.length === 0) {
    if (secrets.length > 0) throw new ConfigError('--follow-key needs --follow URL (the Rempart to follow)');
    if (hooks.length > 0) throw new ConfigError('--follow-webhook-secret needs --follow URL (the Rempart to follow)');
    return [];
  }
  if (hooks.length !== 0 && hooks.length !== sources.length) {
    throw new ConfigError(`--follow-webhook-secret: give one per --follow URL (${sources.length}, "-" for none), got ${hooks.length}`);
  }
  if (secrets.length !== 1 && secrets.length !== sources.length) {
    throw new ConfigError(`--follow-key: give one platform key for all sources or one per source (${sources.length}), got ${secrets.length}`);
  }
  const seen = new Set<string>();
  return sources.map((raw, i) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`--follow: "${raw}" is not a URL (e.g. https://bank.example.org)`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`--follow: "${raw}" must be an http(s) URL`);
    const base = url.toString().replace(/\/+$/, '');
    if (seen.has(base)) throw new ConfigError(`--follow: "${base}" is given twice`);
    seen.add(base);
    const hook = hooks[i];
    return { url: base, key: secrets.length === 1 ? secrets[0]! : secrets[i]!, ...(hook && hook !== '-' ? { webhookSecret: hook } : {}) };
  });
}

/** An empty setting means the default (SQLite); anything else must be a PostgreSQL URL. */
function databaseUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (!/^postgres(ql)?:\/\/[^/]/i.test(value)) {
    throw new ConfigError('database must be a PostgreSQL URL like postgres://user:password@host:5432/rempart (leave it unset for the embedded SQLite database)');
  }
  try {
    new URL(value);
  } catch {
    throw new ConfigError('database URL is not a valid URL (percent-encode special characters in the password)');
  }
  return value;
}

function checkSmtpUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('SMTP URL must look like smtp://user:password@host:587 or smtps://user:password@host:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError(`SMTP URL must start with smtp:// or smtps://, got ${url.protocol}//`);
  }
  return raw;
}

function checkNotifierEmail(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw.trim())) throw new ConfigError(`notifier email "${raw}" is not an email address`);
  return raw.trim();
}
