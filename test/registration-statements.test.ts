/**
 * What one victim's registration (POST /v1/cases over real HTTP) costs PostgreSQL, counted
 * in the server's own statement log (log_statement = all): the rate-limit count, ONE read for
 * screening (the allow-list's version and the address's recent submissions) and ONE write
 * that commits the case, its items and hashes, the audit entry, the change log, the
 * notification and the submission remembered for burst counting. It was five statements and
 * two commits (each waiting for a WAL flush): the allow-list's version as count(*) over the
 * whole list, the recent submissions, the case, then the submission in a commit of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomCode } from './helpers/codes.js';
import { startPostgres, type PostgresServer } from './helpers/postgres.js';
import { seededRandom } from './helpers/random.js';
import { request, startTestServer, type TestServer } from './helpers/server.js';

const next = seededRandom(12);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const OPERATOR = { kind: 'operator' as const, id: 'test' };

/** Statements in a PostgreSQL log (simple and extended protocol, prepared or not), each whole (multi-line). */
const statementsIn = (log: string) =>
  log
    .split(/\n(?=\d{4}-\d\d-\d\d )/) // one entry per line prefix (a timestamp); a statement's own lines follow it
    .map((entry) => /\[\d+\] LOG:\s+(?:statement|execute [^:]*): ([\s\S]*)/.exec(entry)?.[1]?.trim())
    .filter((sql): sql is string => sql !== undefined);

/**
 * The tables a registration's request path touches. The server's other work goes on beside
 * it and is left out: the index following the change log (woken by NOTIFY), feed webhooks
 * and the exchange projection after each commit, the webhook dispatcher's and the sweeps'
 * timers.
 */
const REQUEST_PATH_TABLES = /\b(rate_limits|allow_list\w*|recent_submissions|cases|items|hashes|audit)\b/;

/** The rate-limit count (shared by every replica, no flush), the screening read, the one write; first lines, so that a failure shows what ran. */
function expectTheThreeStatements(ran: string[]) {
  expect(ran.map((sql) => sql.split('\n')[0])).toEqual([
    expect.stringMatching(/^WITH settings AS \(SELECT set_config\('synchronous_commit', 'off', true\)\)/),
    expect.stringMatching(/^SELECT \(SELECT version FROM allow_list_version/),
    expect.stringMatching(/^WITH new_case AS \(/),
  ]);
}

describe('a registration over HTTP on PostgreSQL', () => {
  let postgres: PostgresServer;
  let server: TestServer;

  beforeAll(async () => {
    postgres = await startPostgres({ log_statement: 'all' });
    // Rate limits on (as in production), burst counting on (the default).
    server = await startTestServer({ config: { database: `${postgres.url()}?schema=registration`, rateLimitPerMinute: '1000' } });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  const register = async () => {
    const res = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'pdq', value: hex(randomCode(next)), quality: 90 }] } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ hashCount: 1, heldHashes: 0 });
  };

  /** The statements of the request path of one registration. */
  const statementsOfOneRegistration = async () => {
    await register(); // first use of the pool's connections: prepared statements, the allow-list loaded
    await new Promise((resolve) => setTimeout(resolve, 500)); // the follow-ups of that one are logged
    const before = postgres.log().length;
    await register();
    await new Promise((resolve) => setTimeout(resolve, 500));
    return statementsIn(postgres.log().slice(before)).filter((sql) => REQUEST_PATH_TABLES.test(sql));
  };

  it('costs three statements: the rate-limit count, one read for screening, one commit for everything it writes', async () => {
    const ran = await statementsOfOneRegistration();
    expectTheThreeStatements(ran);
    expect(ran[0]).toMatch(/rate_limits/);
    expect(ran[2]).toMatch(/INSERT INTO recent_submissions/); // burst counting, in the case's own commit
  });

  it('reads one row of the allow-list’s state, not the list, however long the list is', async () => {
    const entries = Array.from({ length: 2_000 }, () => ({ algorithm: 'pdq', bytes: randomCode(next), label: 'stock' }));
    await server.server.rempart.store.addAllowListed(entries, OPERATOR);
    const ran = await statementsOfOneRegistration(); // the first one reloaded the list (its version moved)
    expectTheThreeStatements(ran);
    expect(ran.filter((sql) => /\ballow_list\b(?!_version)/.test(sql))).toEqual([]);
  });
});
