/**
 * Connections to PostgreSQL: one pool per process, every connection set up for
 * durability (synchronous_commit = on, whatever the server's default), 64-bit integers
 * read as numbers (Rempart's ids and counters stay far below 2^53), and transactions with
 * a retry when PostgreSQL breaks a deadlock.
 */
import pg from 'pg';
import { RempartError } from '../../errors.js';

export const APPLICATION_NAME = 'rempart';
/** Connections a process keeps at most (REMPART_DATABASE_POOL). */
export const DEFAULT_POOL_SIZE = 10;
const DEADLOCK = '40P01';
const SERIALIZATION_FAILURE = '40001';
const TRANSACTION_ATTEMPTS = 5;
const INT8 = 20;

export interface PoolOptions {
  target: DatabaseTarget;
  max?: number;
  /** Told of errors on idle connections (the server restarting): they never crash the process. */
  onIdleError?: (error: Error) => void;
}

/** Types: int8 as JS numbers; everything else as node-postgres reads it (bytea as Buffer). */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A schema name Rempart accepts (it is written into SQL and startup options unquoted). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Where a store lives: the server and database of the URL, and a schema in it. */
export interface DatabaseTarget {
  /** The URL as node-postgres takes it (without Rempart's own `schema` parameter). */
  connectionString: string;
  /** `?schema=` of the URL (default `public`): several Rempart banks may share one database. */
  schema: string;
  /** `?options=` of the URL (server settings), kept and extended with Rempart's own. */
  options: string;
}

export function parseDatabaseUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`database URL is not a valid URL: ${redactUrl(url)}`);
  }
  const schema = parsed.searchParams.get('schema') ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`database URL: schema must be lowercase letters, digits and underscores (at most 63), got "${schema}"`);
  }
  const options = parsed.searchParams.get('options') ?? '';
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('options');
  return { connectionString: parsed.toString(), schema, options };
}

/** Client settings for every connection of a store: the listener's too. */
export function clientConfig(target: DatabaseTarget): pg.ClientConfig {
  return {
    connectionString: target.connectionString,
    application_name: APPLICATION_NAME,
    // Last, so they win over the URL's: an acknowledged write must survive a crash of
    // PostgreSQL too (never let a default of synchronous_commit = off weaken it), and every
    // name resolves in the store's schema.
    options: `${target.options} -c synchronous_commit=on -c search_path=${target.schema}`.trim(),
    types,
  };
}

export function openPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(options.target), max: options.max ?? DEFAULT_POOL_SIZE, idleTimeoutMillis: 30_000 });
  // An idle client whose server went away emits 'error': without a listener that would
  // crash the process. The pool drops it; the next query gets a fresh connection.
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

export type Queryable = Pick<pg.PoolClient, 'query'>;

/** Socket errors, and SQLSTATEs of a server that is unreachable, restarting or full. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', '57P01', '57P02', '57P03', '53300']);

/**
 * The database could not be reached (PostgreSQL restarting, network): a 503 the client can
 * retry, never a 500. Other errors pass through unchanged.
 */
export function asUnavailable(error: unknown): unknown {
  if (error instanceof RempartError) return error;
  const e = error as { code?: string; message?: string };
  const lost =
    (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) ||
    /Connection terminated|not queryable|Connection ended/i.test(e.message ?? '');
  if (!lost) return error;
  const reason = e.code ? `${e.code}: ${e.message}` : e.message;
  return Object.assign(new RempartError('DATABASE_UNAVAILABLE', `the database is unavailable (${reason}); retry in a few seconds`), { cause: error });
}

/** A pool whose queries report a lost database as DATABASE_UNAVAILABLE. */
export function queries(pool: pg.Pool): Queryable {
  return {
    query: ((...args: Parameters<pg.Pool['query']>) =>
      (pool.query as (...a: unknown[]) => Promise<unknown>)(...args).catch((error: unknown) => {
        throw asUnavailable(error);
      })) as Queryable['query'],
  };
}

/**
 * Runs `work` in one transaction on one connection: committed if it resolves, rolled back
 * if it throws. Retried from the start when PostgreSQL aborts it to break a deadlock or a
 * serialization conflict (nothing of it was committed).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect().catch((error: unknown) => {
      throw asUnavailable(error);
    });
    let broken = false;
    // A checked-out client whose server goes away emits 'error' (the pool listens only to
    // idle ones): note it, so the client is thrown away, instead of crashing the process.
    const onError = () => (broken = true);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection itself failed: do not return it to the pool
      }
      const code = (error as { code?: string }).code;
      if ((code === DEADLOCK || code === SERIALIZATION_FAILURE) && attempt < TRANSACTION_ATTEMPTS) continue;
      // Not retried when the connection was lost: the commit may have happened.
      throw asUnavailable(error);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
