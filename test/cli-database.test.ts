import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../src/config.js';
import { sharedPostgres } from './helpers/postgres.js';
import { runCli } from './helpers/process.js';

const LINE = JSON.stringify({ algorithm: 'blockhash', value: '3c'.repeat(32) });

describe('choosing the database', () => {
  it('takes a PostgreSQL URL from --database or REMPART_DATABASE_URL, and refuses anything else with a clear message', () => {
    const url = 'postgres://rempart:pw@db.internal:5432/rempart?schema=bank';
    expect(resolveConfig({ database: url }).database).toBe(url);
    expect(resolveConfig({ database: 'postgresql://u@h/d', databasePoolSize: '25' })).toMatchObject({ databasePoolSize: 25 });
    expect(resolveConfig({}).database).toBeUndefined();
    expect(resolveConfig({ database: ' ' }).database).toBeUndefined();
    expect(() => resolveConfig({ database: 'mysql://u@h/d' })).toThrow(ConfigError);
    expect(() => resolveConfig({ database: './data/rempart.sqlite' })).toThrow(/must be a PostgreSQL URL like postgres:\/\//);
    expect(() => resolveConfig({ database: 'postgres://u:p@h:99999/d' })).toThrow(/not a valid URL/);
    expect(() => resolveConfig({ databasePoolSize: '0' })).toThrow(/database pool size must be an integer from 1 to 1000/);
  });
});

describe.each([
  { backend: 'sqlite', env: (): Record<string, string> => ({}) },
  { backend: 'postgres', env: (): Record<string, string> => ({ REMPART_DATABASE_URL: sharedPostgres().schemaUrl('cli') }) },
])('rempart migrate and vacuum: $backend', ({ backend, env: environment }) => {
  it('migrate brings a new database to the latest schema and says where it is; vacuum keeps the live data', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-cli-db-'));
    const env = environment();
    const migrated = await runCli(['migrate', '--data-dir', dataDir], { env });
    expect(migrated.stderr).toBe('');
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`^${backend} database .+ is at schema version [1-9]\\d*\\n$`));
    expect(migrated.stdout).not.toContain(':pw@'); // never the password
    const again = await runCli(['migrate', '--data-dir', dataDir], { env });
    expect(again.stdout).toBe(migrated.stdout);

    expect((await runCli(['import', '-', '--data-dir', dataDir], { env, input: `${LINE}\n` })).code).toBe(0);
    const vacuumed = await runCli(['vacuum', '--full', '--data-dir', dataDir], { env });
    expect(vacuumed.code).toBe(0);
    expect(vacuumed.stdout).toMatch(/^vacuumed .+ in \d+ ms\n$/);
    const exported = await runCli(['export', '--data-dir', dataDir], { env });
    expect(JSON.parse(exported.stdout.trim())).toMatchObject({ algorithm: 'blockhash', value: '3c'.repeat(32) });
  });
});

describe('a PostgreSQL URL that cannot be reached', () => {
  it('fails the command with the reason, and no password in the message', async () => {
    const result = await runCli(['migrate'], { env: { REMPART_DATABASE_URL: 'postgres://rempart:hunter2@127.0.0.1:1/rempart' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^rempart: .*ECONNREFUSED/);
    expect(result.stderr).not.toContain('hunter2');
  });
});
