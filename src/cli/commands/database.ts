import type { Command } from 'commander';
import { openStore } from '../../store/open.js';
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

/** `rempart migrate` and `rempart vacuum`: the store's maintenance, by hand. */
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
}
