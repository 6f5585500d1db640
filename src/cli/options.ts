import { InvalidArgumentError, Option, type Command } from 'commander';
import { type Config, type RawConfig, rawConfigFromEnv, resolveConfig } from '../config.js';

/** Commander argument parser for counts such as --threads: a whole number >= 1. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('it must be a whole number of at least 1.');
  return n;
}

/** Flags shared by every command that opens the data directory and the store. */
export function withDataDir(command: Command): Command {
  return command
    .addOption(new Option('-d, --data-dir <dir>', 'data directory (SQLite database, pepper)').env('REMPART_DATA_DIR'))
    .addOption(
      new Option('--database <url>', 'PostgreSQL URL (postgres://user:password@host/db[?schema=name]) instead of the SQLite file').env(
        'REMPART_DATABASE_URL',
      ),
    );
}

/** Flags of `serve` (each also readable from its REMPART_* variable, see README). */
export function withServiceOptions(command: Command): Command {
  return withDataDir(command)
    .addOption(new Option('--host <host>', 'address to listen on').env('REMPART_HOST'))
    .addOption(new Option('-p, --port <port>', 'port to listen on').env('REMPART_PORT'))
    .addOption(new Option('--threads <n>', 'hashing worker threads (default: all cores)').env('REMPART_HASH_THREADS'))
    .addOption(
      new Option('--threshold <algorithm=distance...>', 'match threshold per algorithm, e.g. --threshold pdq=31 blockhash=20'),
    )
    .addOption(new Option('--quality-floor <n>', 'refuse PDQ hashes below this quality at registration').env('REMPART_PDQ_QUALITY_FLOOR'))
    .addOption(new Option('--index <kind>', 'matcher implementation').choices(['mih', 'linear']).env('REMPART_INDEX'))
    .addOption(new Option('--log-level <level>', 'pino log level').env('REMPART_LOG_LEVEL'))
    .addOption(new Option('--follow <url...>', "follower mode: keep a read-only copy of these Rempart banks' hash lists and match against it"))
    .addOption(new Option('--follow-key <key...>', 'platform API key(s) at the followed bank(s): one for all, or one per --follow URL'))
    .addOption(
      new Option(
        '--follow-webhook-secret <secret...>',
        "read a bank when its feed.changes webhook (to this server's POST /v1/follow/webhook) says it changed, not by long-poll: the bank's webhook secret, one per --follow URL (\"-\": long-poll)",
      ),
    );
}

interface Flags {
  dataDir?: string;
  database?: string;
  host?: string;
  port?: string;
  threads?: string;
  threshold?: string[];
  qualityFloor?: string;
  index?: string;
  logLevel?: string;
  follow?: string[];
  followKey?: string[];
  followWebhookSecret?: string[];
}

/** Environment first, then flags (commander has already folded in the flags' env vars). */
export function configFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env): Config {
  const fromFlags: RawConfig = {
    dataDir: flags.dataDir,
    database: flags.database,
    host: flags.host,
    port: flags.port,
    hashThreads: flags.threads,
    pdqQualityFloor: flags.qualityFloor,
    index: flags.index,
    logLevel: flags.logLevel,
    thresholdOverrides: flags.threshold ?? [],
    follow: flags.follow?.join(','),
    followKey: flags.followKey?.join(','),
    followWebhookSecret: flags.followWebhookSecret?.join(','),
  };
  return resolveConfig(rawConfigFromEnv(env), fromFlags);
}
