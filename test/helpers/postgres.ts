/**
 * PostgreSQL for tests (the one shared helper; see postgres-server.ts for how servers are
 * run). `sharedPostgres()`: the run's server (test/setup/postgres.ts), where each test
 * takes a fresh schema with `schemaUrl()` (milliseconds) or a fresh database with
 * `createDatabase()` (about a second); both dropped after the test file.
 * `startPostgres()`: a server of the test file's own, for tests that crash or restart it.
 */
import { afterAll, inject } from 'vitest';
import pg from 'pg';
import { POSTGRES_PASSWORD, POSTGRES_USER, type PostgresServer, startPostgresServer } from './postgres-server.js';

export { type PostgresServer } from './postgres-server.js';

export interface PostgresDatabases {
  /** URL of a database on the server (default: `postgres`). */
  url(database?: string): string;
  /**
   * URL of a new, empty schema (`?schema=…`) in the shared database: what a store test
   * needs, in milliseconds (the store creates the schema when it first opens).
   */
  schemaUrl(prefix?: string): string;
  /** A new, empty database; resolves to its URL. */
  createDatabase(prefix?: string): Promise<string>;
  dropDatabase(url: string): Promise<void>;
}

let shared: PostgresDatabases | undefined;
const createdHere: string[] = [];
const schemasHere: string[] = [];
const startedHere: PostgresServer[] = [];

afterAll(async () => {
  if (shared && schemasHere.length > 0) {
    const names = schemasHere.splice(0);
    const client = new pg.Client({ connectionString: shared.url() });
    await client.connect();
    try {
      for (const name of names) await client.query(`DROP SCHEMA IF EXISTS ${client.escapeIdentifier(name)} CASCADE`).catch(() => {});
    } finally {
      await client.end();
    }
  }
  for (const url of createdHere.splice(0)) await shared?.dropDatabase(url).catch(() => {});
  for (const server of startedHere.splice(0)) await server.close();
});

/** The test run's server. */
export function sharedPostgres(): PostgresDatabases {
  if (shared) return shared;
  const { port } = inject('postgres');
  const url = (database = 'postgres') => `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${port}/${database}`;
  let counter = 0;
  const admin = async (sql: (client: pg.Client) => string) => {
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      await client.query(sql(client));
    } finally {
      await client.end();
    }
  };
  shared = {
    url,
    schemaUrl(prefix = 't') {
      const name = `${prefix}_${process.pid}_${++counter}_${Date.now().toString(36)}`.toLowerCase();
      schemasHere.push(name);
      return `${url()}?schema=${name}`;
    },
    async createDatabase(prefix = 'rempart') {
      const name = `${prefix}_${process.pid}_${++counter}_${Date.now().toString(36)}`.toLowerCase();
      await admin((client) => `CREATE DATABASE ${client.escapeIdentifier(name)}`);
      createdHere.push(url(name));
      return url(name);
    },
    async dropDatabase(databaseUrl) {
      const name = new URL(databaseUrl).pathname.slice(1);
      await admin((client) => `DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    },
  };
  return shared;
}

/** A server of the test file's own (stopped and deleted after it): crash it, restart it. */
export async function startPostgres(settings: Record<string, string> = {}): Promise<PostgresServer> {
  const server = await startPostgresServer({ settings });
  startedHere.push(server);
  return server;
}
