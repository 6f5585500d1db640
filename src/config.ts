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
  /** PDQ hashes below this quality are refused at registration. */
  pdqQualityFloor: number;
  /** Hashing worker threads. */
  hashThreads: number;
  maxImageBytes: number;
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
  /** Requests per minute per client address on the public (victim) endpoints; 0 = off. */
  rateLimitPerMinute: number;
  /** Trust X-Forwarded-For from this many proxy hops (behind a reverse proxy), 0 = none. */
  trustProxyHops: number;
  /** Days a withdrawn hash value may be kept so that StopNCII-feed clients learn of its removal (0 = none). */
  tombstoneDays: number;
}

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  databasePoolSize: 10,
  pdqQualityFloor: 50,
  maxImageBytes: 50 * 1024 * 1024,
  maxImagePixels: 100_000_000,
  decodeTimeoutSeconds: 20,
  index: 'mih',
  secretCost: 15,
  logLevel: 'info',
  maxBatch: 1000,
  rateLimitPerMinute: 60,
  trustProxyHops: 0,
  tombstoneDays: 30,
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Settings as strings, from the environment or flags (undefined = not given). */
export type RawConfig = Partial<Record<keyof Config, string>> & { thresholdOverrides?: string[] };

function integer(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
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
    maxImagePixels: env.REMPART_MAX_IMAGE_PIXELS,
    decodeTimeoutSeconds: env.REMPART_DECODE_TIMEOUT,
    index: env.REMPART_INDEX,
    secretCost: env.REMPART_SECRET_COST,
    pepper: env.REMPART_PEPPER,
    logLevel: env.REMPART_LOG_LEVEL,
    maxBatch: env.REMPART_MAX_BATCH,
    rateLimitPerMinute: env.REMPART_RATE_LIMIT,
    trustProxyHops: env.REMPART_TRUST_PROXY_HOPS,
    tombstoneDays: env.REMPART_TOMBSTONE_DAYS,
  };
  raw.thresholdOverrides = listAlgorithms()
    .map((a) => [a.name, env[`REMPART_THRESHOLD_${a.name.toUpperCase()}`]] as const)
    .filter(([, v]) => v !== undefined)
    .map(([name, v]) => `${name}=${v}`);
  return raw;
}

/** Merges raw layers (later wins) and validates into a Config. */
export function resolveConfig(...layers: RawConfig[]): Config {
  const merged: RawConfig = {};
  const overrides: string[] = [];
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (key === 'thresholdOverrides') overrides.push(...((value as string[] | undefined) ?? []));
      else if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }

  const thresholds: Record<string, number> = {};
  for (const algorithm of listAlgorithms()) thresholds[algorithm.name] = algorithm.defaultThreshold;
  for (const entry of overrides) {
    const match = /^([a-z0-9_-]+)=(.*)$/i.exec(entry);
    if (!match) throw new ConfigError(`threshold must look like ALGORITHM=DISTANCE (e.g. pdq=31), got "${entry}"`);
    const name = match[1]!.toLowerCase();
    try {
      getAlgorithm(name);
    } catch (error) {
      throw new ConfigError(`threshold: ${(error as Error).message}`);
    }
    thresholds[name] = integer(`threshold for ${name}`, match[2]!, 0, 128);
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
    rateLimitPerMinute:
      merged.rateLimitPerMinute === undefined
        ? DEFAULTS.rateLimitPerMinute
        : integer('rate limit (requests per minute)', merged.rateLimitPerMinute, 0, 1_000_000),
    trustProxyHops:
      merged.trustProxyHops === undefined ? DEFAULTS.trustProxyHops : integer('trusted proxy hops', merged.trustProxyHops, 0, 10),
    tombstoneDays:
      merged.tombstoneDays === undefined ? DEFAULTS.tombstoneDays : integer('tombstone days', merged.tombstoneDays, 0, 3650),
  };
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
