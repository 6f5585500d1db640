import type { Command } from 'commander';
import type { FeedbackEntry } from '../../store/feedback.js';
import { withDataDir } from '../options.js';
import { withRempart } from './platform.js';

function print(entries: readonly FeedbackEntry[], json: boolean | undefined): void {
  for (const e of entries) {
    process.stdout.write(
      json
        ? `${JSON.stringify({ item: e.itemRef, platform: e.platform, value: e.value, tags: e.tags, firstAt: e.firstAt, at: e.at })}\n`
        : `${e.itemRef}\t${e.platform}\t${e.value}\t${e.tags.join(',') || '-'}\t${e.at}\n`,
    );
  }
  if (!json && entries.length === 0) process.stderr.write('no feedback\n');
}

/** `rempart feedback hash|case`: what platforms reported about their matches. */
export function registerFeedbackCommands(program: Command): void {
  const feedback = program.command('feedback').description("platforms' reports on their matches (blocked, not blocked, pending review…)");

  withDataDir(feedback.command('hash'))
    .description("every platform's latest report on one hash (on the image or video it belongs to)")
    .argument('<id>', 'the id platforms see: a hash (h_…) or an item (i_…)')
    .option('--json', 'print JSON lines')
    .action(async (id: string, flags: { dataDir?: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => print(await rempart.feedback.forHash(id), flags.json)),
    );

  withDataDir(feedback.command('case'))
    .description('every report on the hashes of one case, newest first')
    .argument('<caseNumber>', 'case number (RMP-…)')
    .option('--json', 'print JSON lines')
    .action(async (caseNumber: string, flags: { dataDir?: string; json?: boolean }) =>
      withRempart(flags, async (rempart) => print(await rempart.feedback.forCase(caseNumber.toUpperCase()), flags.json)),
    );
}
