import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { DATA_KEY_FILE } from '../../service/data-key.js';
import { PEPPER_FILE } from '../../service/pepper.js';
import { copyStore, type StoreLocation } from '../../store/copy.js';
import { openStore } from '../../store/open.js';
import { isPostgresUrl } from '../../store/postgres/connection.js';
import { defaultDatabasePath } from '../../store/sqlite/connection.js';
import type { Store } from '../../store/types.js';
import { configFromFlags, withDataDir } from '../options.js';

async function withStore<T>(flags: { dataDir?: string; database?: string }, run: (store: Store) => Promise<T>): Promise<T> {
  const config = configFromFlags(flags);
  const store = await openStore({ dataDir: config.dataDir, database: config.database, poolSize: 2 });
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

/** `rempart migrate`, `rempart vacuum` and `rempart copy`: the store's maintenance, by hand. */
export function registerDatabaseCommands(program: Command): void {
  withDataDir(program.command('migrate'))
    .description('bring the database schema up to date, then exit (serve does it too, at start)')
    .action(async (flags: { dataDir?: string; database?: string }) =>
      withStore(flags, async (store) => {
        process.stdout.write(`${store.backend} database ${store.location} is at schema version ${await store.schemaVersion()}\n`);
      }),
    );

  withDataDir(program.command('vacuum'))
    .description('rewrite the database files so that no withdrawn hash value stays in their freed space')
    .option('--full', 'PostgreSQL: VACUUM FULL (locks each table while it is rewritten: run it in a maintenance window)')
    .action(async (flags: { dataDir?: string; database?: string; full?: boolean }) =>
      withStore(flags, async (store) => {
        const started = performance.now();
        await store.vacuum({ full: flags.full === true });
        process.stdout.write(`vacuumed ${store.location} in ${Math.round(performance.now() - started)} ms\n`);
      }),
    );

  withDataDir(program.command('copy'))
    .description(
      'copy the whole bank (ids, change-log cursors, exchange positions, audit) from this store into an empty one: ' +
        'SQLite to PostgreSQL or back',
    )
    .requiredOption('--to <target>', 'a PostgreSQL URL (postgres://…[?schema=name]) or a data directory (its rempart.sqlite)')
    .action(async (flags: { dataDir?: string; database?: string; to: string }) => {
      const config = configFromFlags(flags);
      const from: StoreLocation = config.database ? { postgres: config.database } : { sqliteFile: defaultDatabasePath(config.dataDir) };
      const to: StoreLocation = isPostgresUrl(flags.to) ? { postgres: flags.to } : { sqliteFile: defaultDatabasePath(path.resolve(flags.to)) };
      if ('sqliteFile' in to && 'sqliteFile' in from && path.resolve(to.sqliteFile) === path.resolve(from.sqliteFile)) {
        throw new Error('--to names the store being copied');
      }
      // A SQLite target gets the keys its data directory needs before any row is copied (a
      // mismatch stops the copy); a PostgreSQL one gets a reminder (replicas take them from the environment).
      const keys = 'sqliteFile' in to ? carryKeyFiles(config, path.dirname(to.sqliteFile)) : [];
      const report = await copyStore(from, to, {
        onProgress: (table, rows, done) => done && process.stderr.write(`  ${table}: ${rows} rows\n`),
      });
      const target = await openStore({ dataDir: 'sqliteFile' in to ? path.dirname(to.sqliteFile) : config.dataDir, ...('postgres' in to ? { database: to.postgres } : {}), poolSize: 2 });
      try {
        const rows = report.tables.reduce((sum, t) => sum + t.rows, 0);
        await target.audit({ kind: 'operator', id: 'cli' }, 'store.copied', report.from, { rows, ms: report.ms });
      } finally {
        await target.close();
      }
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.stderr.write(
        `copied ${report.from} into ${report.to} in ${report.ms} ms` +
          (report.skipped.length ? ` (empty, not on ${'postgres' in to ? 'PostgreSQL' : 'SQLite'}: ${report.skipped.join(', ')})` : '') +
          '\n' +
          keys.map((line) => `${line}\n`).join('') +
          ('postgres' in to ? keyReminder(config) : ''),
      );
    });
}

/**
 * Case secrets and API keys are hashed with the pepper, and personal data sealed with the
 * data key: a copy is useless without the same ones. Copies the source's key files into a
 * new data directory (0600, never over a different one); keys from the environment stay there.
 */
function carryKeyFiles(config: Config, targetDir: string): string[] {
  const carried: string[] = [];
  const files = [
    ...(config.pepper === undefined ? [PEPPER_FILE] : []),
    ...(config.dataKey === undefined && config.dataKeyFile === undefined ? [DATA_KEY_FILE] : []),
  ];
  for (const name of files) {
    const from = path.join(config.dataDir, name);
    if (!fs.existsSync(from)) continue;
    const to = path.join(targetDir, name);
    const content = fs.readFileSync(from);
    if (fs.existsSync(to)) {
      if (!fs.readFileSync(to).equals(content)) throw new Error(`${to} differs from ${from}: the copy would not open with it; use a new data directory`);
      continue;
    }
    fs.mkdirSync(targetDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(to, content, { mode: 0o600, flag: 'wx' });
    carried.push(`copied ${from} to ${to}`);
  }
  return carried;
}

function keyReminder(config: Config): string {
  const pepper = config.pepper === undefined ? `the content of ${path.join(config.dataDir, PEPPER_FILE)}` : 'the same REMPART_PEPPER';
  const dataKey =
    config.dataKey !== undefined || config.dataKeyFile !== undefined
      ? 'the same REMPART_DATA_KEY / REMPART_DATA_KEY_FILE'
      : `REMPART_DATA_KEY_FILE=${path.join(config.dataDir, DATA_KEY_FILE)} (or a copy of it)`;
  return `Start every replica with REMPART_PEPPER set to ${pepper} and ${dataKey}: case secrets, API keys and sealed data need them.\n`;
}
