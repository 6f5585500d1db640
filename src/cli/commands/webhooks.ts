import type { Command } from 'commander';
import { withDataDir } from '../options.js';
import { RempartError } from '../../errors.js';
import { OPERATOR, withRempart } from './platform.js';

/**
 * `rempart webhook set|remove|log|retry`: a platform's webhook endpoint (the signing
 * secret is printed once), and the delivery log.
 */
export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description("manage platforms' signed webhooks and read the delivery log");

  withDataDir(webhook.command('set'))
    .description("set a platform's webhook URL; prints a new signing secret once (only its sealed form is stored)")
    .argument('<platform>', 'platform name')
    .argument('<url>', 'https:// URL the platform receives events at')
    .option('--json', 'print JSON')
    .action(async (name: string, url: string, flags: { dataDir?: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => {
        const { platform, url: saved, secret } = await rempart.webhooks.setEndpoint(name, url, OPERATOR);
        if (flags.json) process.stdout.write(`${JSON.stringify({ platform, url: saved, secret })}\n`);
        else {
          process.stdout.write(`platform: ${platform}\nurl:      ${saved}\nsecret:   ${secret}\n`);
          process.stderr.write('Give this secret to the platform now: it verifies X-Rempart-Signature with it.\n');
        }
      }),
    );

  withDataDir(webhook.command('remove'))
    .description("remove a platform's webhook (events stay available by polling)")
    .argument('<platform>', 'platform name')
    .action(async (name: string, flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        if (!(await rempart.webhooks.removeEndpoint(name, OPERATOR))) {
          process.stderr.write(`platform "${name}" has no webhook\n`);
          process.exitCode = 1;
        } else process.stdout.write(`removed the webhook of ${name}\n`);
      }),
    );

  withDataDir(webhook.command('feed'))
    .description("send (on) or stop sending (off) a platform the feed.changes webhook when the hash list changes")
    .argument('<platform>', 'platform name')
    .argument('<state>', 'on or off')
    .action(async (name: string, state: string, flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        if (state !== 'on' && state !== 'off') throw new RempartError('BAD_REQUEST', `state must be on or off, got "${state}"`);
        const platform = (await rempart.platforms.list()).find((p) => p.name === name && p.revokedAt === null);
        if (!platform) throw new RempartError('NOT_FOUND', `no active platform named "${name}"`);
        await rempart.feedWebhooks.subscribe(platform, state === 'on', OPERATOR);
        process.stdout.write(`feed.changes webhooks ${state} for ${name}\n`);
      }),
    );

  withDataDir(webhook.command('log'))
    .description('print recent deliveries as JSON lines (newest first), without their bodies')
    .option('--platform <name>', 'only this platform')
    .option('--status <status>', 'pending, delivered or failed')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (flags: { dataDir?: string; platform?: string; status?: string; limit: string }) =>
      withRempart(flags, async (rempart) => {
        if (flags.status !== undefined && !['pending', 'delivered', 'failed'].includes(flags.status)) {
          throw new Error(`--status must be pending, delivered or failed, got "${flags.status}"`);
        }
        const limit = Number(flags.limit);
        if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, got "${flags.limit}"`);
        const deliveries = await rempart.webhooks.deliveries({
          platformName: flags.platform,
          status: flags.status as 'pending' | 'delivered' | 'failed' | undefined,
          limit,
        });
        for (const { body: _body, id: _id, ...delivery } of deliveries) process.stdout.write(`${JSON.stringify(delivery)}\n`);
      }),
    );

  withDataDir(webhook.command('retry'))
    .description('put a failed delivery back in the queue (the running server sends it)')
    .argument('<delivery>', 'delivery id (wh_…)')
    .action(async (ref: string, flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        await rempart.webhooks.retry(ref, OPERATOR);
        process.stdout.write(`requeued ${ref}\n`);
      }),
    );
}
