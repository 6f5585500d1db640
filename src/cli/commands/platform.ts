import type { Command } from 'commander';
import { configFromFlags, withDataDir } from '../options.js';
import { Rempart } from '../../service/rempart.js';
import type { Actor } from '../../store/types.js';

const OPERATOR: Actor = { kind: 'operator', id: 'cli' };

async function withRempart<T>(flags: { dataDir?: string }, run: (rempart: Rempart) => T | Promise<T>): Promise<T> {
  const rempart = await Rempart.open(configFromFlags(flags));
  try {
    return await run(rempart);
  } finally {
    await rempart.close();
  }
}

/** `rempart platform add|list|revoke`: operators manage who may query. */
export function registerPlatformCommands(program: Command): void {
  const platform = program.command('platform').description('manage platforms and their API keys');

  withDataDir(platform.command('add'))
    .description('add a platform and print its API key (shown once, stored only as a hash)')
    .argument('<name>', 'platform name (unique)')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { dataDir?: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => {
        const { platform: created, apiKey } = await rempart.platforms.add(name, OPERATOR);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ name: created.name, apiKey, createdAt: created.createdAt })}\n`);
        } else {
          process.stdout.write(`platform: ${created.name}\napi key:  ${apiKey}\n`);
          process.stderr.write('Give this key to the platform now: it cannot be shown again (only its hash is stored).\n');
        }
      }),
    );

  withDataDir(platform.command('list'))
    .description('list platforms (never their keys)')
    .option('--json', 'print JSON lines')
    .action(async (flags: { dataDir?: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => {
        for (const p of await rempart.platforms.list()) {
          const status = p.revokedAt ? `revoked ${p.revokedAt}` : 'active';
          process.stdout.write(
            flags.json
              ? `${JSON.stringify({ name: p.name, keyId: p.keyId, createdAt: p.createdAt, revokedAt: p.revokedAt })}\n`
              : `${p.name}\tkey ${p.keyId}\tcreated ${p.createdAt}\t${status}\n`,
          );
        }
      }),
    );

  withDataDir(platform.command('revoke'))
    .description("revoke a platform's API key (takes effect on its next request)")
    .argument('<name>', 'platform name')
    .action(async (name: string, flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        if (!(await rempart.platforms.revoke(name, OPERATOR))) {
          process.stderr.write(`no active platform named "${name}"\n`);
          process.exitCode = 1;
        } else process.stdout.write(`revoked ${name}\n`);
      }),
    );
}

export { withRempart, OPERATOR };
