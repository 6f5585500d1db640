import type { Command } from 'commander';
import { withDataDir } from '../options.js';
import { withRempart } from './platform.js';

/** `rempart audit`: who did what (never image content, never secrets), oldest first. */
export function registerAuditCommand(program: Command): void {
  withDataDir(program.command('audit'))
    .description('print the audit log as JSON lines: registrations, withdrawals, matches, platform changes')
    .option('--after <id>', 'only entries after this id (for tailing)', '0')
    .option('--limit <n>', 'at most this many entries', '1000')
    .action(async (flags: { dataDir?: string; after: string; limit: string }) =>
      withRempart(flags, async (rempart) => {
        const afterId = Number(flags.after);
        const limit = Number(flags.limit);
        if (!Number.isSafeInteger(afterId) || afterId < 0) throw new Error(`--after must be a non-negative integer, got "${flags.after}"`);
        if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got "${flags.limit}"`);
        for (const entry of await rempart.store.listAudit({ afterId, limit })) process.stdout.write(`${JSON.stringify(entry)}\n`);
      }),
    );
}
