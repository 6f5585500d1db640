import type { Command } from 'commander';
import { configFromFlags, withDataDir } from '../options.js';
import { Rempart } from '../../service/rempart.js';
import { RempartError } from '../../errors.js';
import type { Actor, PlatformRecord } from '../../store/types.js';

const OPERATOR: Actor = { kind: 'operator', id: 'cli' };

async function withRempart<T>(flags: { dataDir?: string }, run: (rempart: Rempart) => T | Promise<T>): Promise<T> {
  const rempart = await Rempart.open(configFromFlags(flags));
  try {
    return await run(rempart);
  } finally {
    await rempart.close();
  }
}

/** Prints a key that is shown once (only its hash is stored). */
function printKey(result: { platform: PlatformRecord; apiKey: string }, json: boolean | undefined, rotated: boolean): void {
  const { platform, apiKey } = result;
  if (json) {
    process.stdout.write(`${JSON.stringify({ name: platform.name, apiKey, createdAt: platform.createdAt, rotated })}\n`);
    return;
  }
  process.stdout.write(`platform: ${platform.name}\napi key:  ${apiKey}\n`);
  process.stderr.write(
    `${rotated ? 'The previous key of this platform no longer works. ' : ''}Give this key to the platform now: it cannot be shown again (only its hash is stored).\n`,
  );
}

/** `rempart platform add|rotate|list|revoke`: operators manage who may query. */
export function registerPlatformCommands(program: Command): void {
  const platform = program.command('platform').description('manage platforms and their API keys');

  withDataDir(platform.command('add'))
    .description('add a platform and print its API key (shown once, stored only as a hash)')
    .argument('<name>', 'platform name (unique)')
    .option('--json', 'print JSON')
    .option('--rotate', 'if the platform already exists, give it a new key (its old key stops working) instead of failing')
    .action(async (name: string, flags: { dataDir?: string; json?: boolean; rotate?: boolean }) =>
      withRempart(flags, async (rempart) => {
        try {
          printKey(await rempart.platforms.add(name, OPERATOR), flags.json, false);
        } catch (error) {
          if (!(error instanceof RempartError && error.code === 'CONFLICT' && !/key id/.test(error.message))) throw error;
          if (!flags.rotate) {
            throw new RempartError('CONFLICT', `${error.message} (to give it a new key: rempart platform rotate "${name}", or add --rotate)`);
          }
          printKey(await rempart.platforms.rotateKey(name, OPERATOR), flags.json, true);
        }
      }),
    );

  withDataDir(platform.command('rotate'))
    .description('give an active platform a new API key (shown once); its old key stops working at once')
    .argument('<name>', 'platform name')
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { dataDir?: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => printKey(await rempart.platforms.rotateKey(name, OPERATOR), flags.json, true)),
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

  withDataDir(platform.command('thresholds'))
    .description("show a platform's match thresholds, or set its own (stricter than the bank's, at most the operator's maximum)")
    .argument('<name>', 'platform name')
    .argument('[settings...]', 'ALGORITHM=DISTANCE to set, ALGORITHM=bank to go back to the bank’s threshold')
    .option('--json', 'print JSON')
    .action(async (name: string, settings: string[], flags: { dataDir?: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => {
        const record = (await rempart.platforms.list()).find((p) => p.name === name && p.revokedAt === null);
        if (!record) throw new RempartError('NOT_FOUND', `no active platform named "${name}"`);
        const changes: Record<string, number | null> = {};
        for (const setting of settings) {
          const match = /^([a-z0-9_]+)=(\d+|bank)$/i.exec(setting);
          if (!match) throw new RempartError('BAD_REQUEST', `a setting looks like pdq=20 or pdq=bank, got "${setting}"`);
          changes[match[1]!.toLowerCase()] = match[2] === 'bank' ? null : Number(match[2]);
        }
        const views =
          settings.length === 0 ? await rempart.platformSettings.describe(record) : await rempart.platformSettings.setThresholds(record, changes, OPERATOR);
        if (flags.json) process.stdout.write(`${JSON.stringify({ platform: name, thresholds: views })}\n`);
        else {
          for (const [algorithm, v] of Object.entries(views)) {
            process.stdout.write(
              `${algorithm}\teffective ${v.effective}\t${v.chosen === null ? "bank's" : `chosen ${v.chosen}`}\tbank ${v.bank}\tmaximum ${v.maximum}\n`,
            );
          }
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
