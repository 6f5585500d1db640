import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { RempartError } from '../../errors.js';
import type { AllowListInput } from '../../service/review.js';
import type { HoldStatus } from '../../store/review.js';
import { withDataDir } from '../options.js';
import { OPERATOR, withRempart } from './platform.js';

const HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Reads allow-list entries: JSON lines `{"algorithm","value","label"?}`, or lines holding a
 * bare 64-hex value (then `algorithm` and `label` apply), e.g. a list of PDQ hashes of stock photos.
 */
async function readEntries(file: string, algorithm: string, label: string | undefined): Promise<AllowListInput[]> {
  const input = file === '-' ? process.stdin : fs.createReadStream(file);
  const entries: AllowListInput[] = [];
  let n = 0;
  for await (const raw of readline.createInterface({ input, crlfDelay: Infinity })) {
    n++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (HEX.test(line)) {
      entries.push({ algorithm, value: line.toLowerCase(), label: label ?? null });
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new RempartError('BAD_REQUEST', `${file}:${n}: neither a 64-hex value nor a JSON object`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new RempartError('BAD_REQUEST', `${file}:${n}: expected {"algorithm","value","label"?}`);
    }
    const entry = parsed as Record<string, unknown>;
    entries.push({
      algorithm: typeof entry.algorithm === 'string' ? entry.algorithm : algorithm,
      value: String(entry.value ?? ''),
      label: typeof entry.label === 'string' ? entry.label : (label ?? null),
    });
  }
  return entries;
}

/**
 * `rempart allow-list …` and `rempart review …`: operators' abuse controls. The allow-list
 * holds hashes of known-benign images; victims' submissions near one of them (or bursts of
 * near-identical submissions from one address) wait in the review queue.
 */
export function registerReviewCommands(program: Command): void {
  const allow = program.command('allow-list').description('hashes of known-benign images: submissions near them are held for review');

  withDataDir(allow.command('import'))
    .description('add entries from a file: JSON lines {"algorithm","value","label"?} or one 64-hex value per line')
    .argument('<file>', 'file, or - for stdin')
    .option('--algorithm <name>', 'algorithm of bare hex lines', 'pdq')
    .option('--label <text>', 'label of entries without one (where the list comes from)')
    .action(async (file: string, flags: { dataDir?: string; algorithm: string; label?: string }) =>
      withRempart(flags, async (rempart) => {
        const result = await rempart.review.allowListAdd(await readEntries(file, flags.algorithm, flags.label), OPERATOR);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }),
    );

  withDataDir(allow.command('add'))
    .description('add one value')
    .argument('<value>', '64 hex characters')
    .option('--algorithm <name>', 'algorithm', 'pdq')
    .option('--label <text>', 'where it comes from')
    .action(async (value: string, flags: { dataDir?: string; algorithm: string; label?: string }) =>
      withRempart(flags, async (rempart) => {
        const result = await rempart.review.allowListAdd([{ algorithm: flags.algorithm, value, label: flags.label ?? null }], OPERATOR);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      }),
    );

  withDataDir(allow.command('list'))
    .description('print the allow-list as JSON lines {"id","algorithm","value","label","addedAt"}')
    .action(async (flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        for await (const e of rempart.review.allowListEntries()) {
          process.stdout.write(`${JSON.stringify({ id: e.id, algorithm: e.algorithm, value: e.value, label: e.label, addedAt: e.addedAt })}\n`);
        }
      }),
    );

  withDataDir(allow.command('remove'))
    .description('remove entries by id')
    .argument('<ids...>', 'entry ids (from allow-list list)')
    .action(async (ids: string[], flags: { dataDir?: string }) =>
      withRempart(flags, async (rempart) => {
        const numbers = ids.map((id) => {
          if (!/^\d+$/.test(id)) throw new RempartError('BAD_REQUEST', `entry ids are integers, got "${id}"`);
          return Number(id);
        });
        process.stdout.write(`${JSON.stringify({ removed: await rempart.review.allowListRemove(numbers, OPERATOR) })}\n`);
      }),
    );

  const review = program.command('review').description('submissions held for review: list, release into the bank, reject');

  withDataDir(review.command('list'))
    .description('held submissions, oldest first (never their hash values)')
    .option('--status <status>', 'held, released, rejected or all', 'held')
    .option('--json', 'print JSON lines')
    .action(async (flags: { dataDir?: string; status: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => {
        if (!['held', 'released', 'rejected', 'all'].includes(flags.status)) {
          throw new RempartError('BAD_REQUEST', `--status must be held, released, rejected or all, got "${flags.status}"`);
        }
        const status = flags.status === 'all' ? undefined : (flags.status as HoldStatus);
        for (const held of await rempart.review.list(status, 1000)) {
          process.stdout.write(
            flags.json
              ? `${JSON.stringify(held)}\n`
              : `${held.ref}\t${held.status}\t${held.reason}\tcase ${held.caseNumber}\t${held.hashCount} hashes\theld ${held.heldAt}\t${JSON.stringify(held.detail)}\n`,
          );
        }
      }),
    );

  for (const [name, verb] of [
    ['release', 'put the held hashes in the bank: they match and enter the feeds'],
    ['reject', 'refuse the held hashes: their values are erased, the victim sees them as rejected'],
  ] as const) {
    withDataDir(review.command(name))
      .description(verb)
      .argument('<ref>', 'held submission (hold_…)')
      .action(async (ref: string, flags: { dataDir?: string }) =>
        withRempart(flags, async (rempart) => {
          const decided = name === 'release' ? await rempart.review.release(ref, OPERATOR) : await rempart.review.reject(ref, OPERATOR);
          process.stdout.write(`${JSON.stringify(decided)}\n`);
        }),
      );
  }
}
