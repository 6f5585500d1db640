import type { Command } from 'commander';
import { startServer } from '../../api/server.js';
import { configFromFlags, withServiceOptions } from '../options.js';

export function registerServeCommand(program: Command): void {
  withServiceOptions(program.command('serve'))
    .description('start the HTTP service (SQLite in the data directory, index loaded at start-up)')
    .action(async (flags) => {
      const server = await startServer(configFromFlags(flags));
      const stop = (signal: string) => {
        server.app.log.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            server.app.log.error({ err: error }, 'error while closing');
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
