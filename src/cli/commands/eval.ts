/**
 * `rempart corpus fetch`, `rempart eval [DIR]` and `rempart tune RESULTS`: thin wrappers
 * over src/eval. Writes only JSON results and the HTML report (never image files).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { positiveInteger } from '../options.js';
import { recallAt, fprAt, recommendThreshold } from '../../eval/metrics.js';
import { fetchCorpus } from '../../eval/corpus.js';
import { createPoolRunner, DEFAULT_MAX_SIDE, runEvaluation, type EvalResults } from '../../eval/runner.js';
import { applyPolicy, DEFAULT_POLICY, type ThresholdPolicy } from '../../eval/analyse.js';
import { renderReport } from '../../eval/report.js';
import { summarise, summaryMarkdown, pct } from '../../eval/summary.js';

const DEFAULT_CORPUS = '.corpus';
const DEFAULT_SHARED = '../shared/vectors';

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Writes results.json, report.html, summary.json and summary.md into `outDir`. */
export function writeOutputs(results: EvalResults, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files = {
    'results.json': JSON.stringify(results),
    'report.html': renderReport(results),
    'summary.json': `${JSON.stringify(summarise(results), null, 2)}\n`,
    'summary.md': summaryMarkdown(results),
  };
  return Object.entries(files).map(([name, text]) => {
    writeFileSync(join(outDir, name), text);
    return join(outDir, name);
  });
}

async function fetch(dir: string, shared: string): Promise<string> {
  const selection = await fetchCorpus({ dir, sharedVectors: shared, log: (line) => process.stderr.write(`corpus: ${line}\n`) });
  process.stderr.write(`corpus: ${selection.photos.length} photos linked in ${selection.photosDir} (${selection.skipped.length} skipped)\n`);
  return selection.photosDir;
}

export function registerEvalCommands(program: Command): void {
  program
    .command('corpus')
    .description('evaluation corpus of real photographs from Debian packages (apt-get download, unpacked into .corpus/)')
    .command('fetch')
    .option('--dir <dir>', 'corpus folder (git-ignored)', DEFAULT_CORPUS)
    .option('--shared <dir>', 'reference vectors folder whose photos join the corpus', DEFAULT_SHARED)
    .action(async (flags: { dir: string; shared: string }) => {
      await fetch(flags.dir, flags.shared);
    });

  program
    .command('eval')
    .description('measure recall and false positives of every algorithm on a folder of photos; writes JSON and an HTML report')
    .argument('[dir]', `folder of photos (default: ${DEFAULT_CORPUS}/photos, fetched first when absent)`)
    .option('--out-dir <dir>', 'where results.json, report.html, summary.json and summary.md go', 'rempart-eval')
    .option('--max-side <px>', 'shrink originals to fit this many pixels per side first', String(DEFAULT_MAX_SIDE))
    .option('--threads <n>', 'worker threads (default: all cores)', positiveInteger)
    .option('--transformations <names>', 'comma-separated subset of transformations')
    .option('--algorithms <names>', 'comma-separated subset of algorithms')
    .option('--target-fpr <fpr>', 'FPR the recommended threshold must not exceed on the corpus', String(DEFAULT_POLICY.targetFpr))
    .option('--fallback-fpr <fpr>', 'target when even threshold 0 exceeds --target-fpr', String(DEFAULT_POLICY.fallbackFpr))
    .option('--margin <fraction>', 'safety margin taken off the recommended threshold (0..1)', String(DEFAULT_POLICY.margin))
    .option('--from-results <file>', 're-render the report and summaries from an earlier results.json (no hashing)')
    .action(async (dir: string | undefined, flags: Record<string, string | undefined>) => {
      const outDir = resolve(flags.outDir ?? 'rempart-eval');
      const policy: ThresholdPolicy = {
        targetFpr: number('target-fpr', flags.targetFpr, DEFAULT_POLICY.targetFpr),
        fallbackFpr: number('fallback-fpr', flags.fallbackFpr, DEFAULT_POLICY.fallbackFpr),
        margin: number('margin', flags.margin, DEFAULT_POLICY.margin),
      };
      let results: EvalResults;
      if (flags.fromResults) {
        const earlier = JSON.parse(readFileSync(flags.fromResults, 'utf8')) as EvalResults;
        results = { ...earlier, algorithms: earlier.algorithms.map((a) => applyPolicy(a, policy)) };
      } else {
        let photos = dir;
        if (!photos) {
          photos = join(DEFAULT_CORPUS, 'photos');
          if (!existsSync(photos)) photos = await fetch(DEFAULT_CORPUS, DEFAULT_SHARED);
        }
        const runner = createPoolRunner(flags.threads === undefined ? undefined : Number(flags.threads));
        const bar = new cliProgress.SingleBar(
          { format: 'eval [{bar}] {value}/{total} photos | {duration_formatted} elapsed | ETA {eta_formatted} | {photo}', hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(1, 0, { photo: '' });
        try {
          const transformations = list(flags.transformations);
          const algorithms = list(flags.algorithms);
          results = await runEvaluation({
            dir: photos,
            runner,
            maxSide: number('max-side', flags.maxSide, DEFAULT_MAX_SIDE),
            policy,
            ...(transformations ? { transformations } : {}),
            ...(algorithms ? { algorithms } : {}),
            onProgress: (done, total, photo) => {
              bar.setTotal(total);
              bar.update(done, { photo });
            },
          });
        } finally {
          bar.stop();
          await runner.close();
        }
      }
      for (const file of writeOutputs(results, outDir)) process.stderr.write(`wrote ${file}\n`);
      process.stdout.write(`${summaryMarkdown(results)}\n`);
    });

  program
    .command('tune')
    .description('print recommended per-algorithm thresholds for a target false-positive rate, from an eval results.json')
    .argument('[results]', 'results.json written by rempart eval', 'rempart-eval/results.json')
    .option('--target-fpr <fpr>', 'largest acceptable impostor FPR on the corpus', String(DEFAULT_POLICY.targetFpr))
    .option('--fallback-fpr <fpr>', 'target when even threshold 0 exceeds --target-fpr', String(DEFAULT_POLICY.fallbackFpr))
    .option('--margin <fraction>', 'safety margin taken off the threshold (0..1)', String(DEFAULT_POLICY.margin))
    .action((file: string, flags: { targetFpr: string; fallbackFpr: string; margin: string }) => {
      const results = JSON.parse(readFileSync(file, 'utf8')) as EvalResults;
      const target = number('target-fpr', flags.targetFpr, 0);
      const margin = number('margin', flags.margin, 0);
      const fallback = number('fallback-fpr', flags.fallbackFpr, target);
      process.stdout.write(`Thresholds for impostor FPR ≤ ${target} (else ≤ ${fallback})${margin ? `, less a ${margin} margin` : ''} (${results.corpus.photos.length} photos):\n\n`);
      process.stdout.write('| algorithm | bits | threshold | recall | FPR on corpus |\n|---|---|---|---|---|\n');
      for (const a of results.algorithms) {
        const t = recommendThreshold(a.impostor.all, target, margin, fallback);
        process.stdout.write(`| ${a.name} | ${a.bits} | ${t} | ${pct(recallAt(a.genuine.overall, t))} | ${fprAt(a.impostor.all, t).toExponential(1)} |\n`);
      }
    });
}

/** `rempart eval-profile`: the matching profile against the photo and distractor corpora. */
export function registerProfileEvalCommand(program: Command): void {
  program
    .command('eval-profile')
    .description('measure a matching profile (registered sets, query sets) on the photo corpus and a distractor corpus; tune and extrapolate false matches')
    .option('--profile <name>', 'matching profile', 'pdq-regions')
    .option('--corpus <dir>', 'corpus folder (photos, distractors, hash cache; git-ignored)', DEFAULT_CORPUS)
    .option('--photos <dir>', 'folder of photos (default: <corpus>/photos, fetched when absent)')
    .option('--distractors <n>', 'distractor images from Debian packages (0: none)', '12000')
    .option('--max-side <px>', 'shrink original photos to fit this many pixels first', String(DEFAULT_MAX_SIDE))
    .option('--radius <bits>', 'impostor pairs are searched exactly up to this distance', '48')
    .option('--margin <fraction>', 'taken off the FPR-0 threshold of the tune half', '0.25')
    .option('--threads <n>', 'worker threads (default: all cores)')
    .option('--transformations <names>', 'comma-separated subset of transformations')
    .option('--thresholds <full,whole,region>', "report at these thresholds instead of the profile's")
    .option('--out-dir <dir>', 'where profile.md and profile-summary.json go', 'rempart-eval')
    .option('--tail-reach <bits>', 'impostor margins counted by brute force out to this many bits above the thresholds (0: no brute-force tail)', '64')
    .option('--tail-bank <bank>', "registered pictures of the brute-force tail: 'photo-like' (what victims register) or 'all' (every registrable picture too, 3x the code pairs)", 'all')
    .action(async (flags: Record<string, string | undefined>) => {
      const { runProfileHashing } = await import('../../eval/profile-runner.js');
      const { runImpostorTail } = await import('../../eval/profile-tail-run.js');
      const tailReach = number('tail-reach', flags.tailReach, 64);
      const tailBank = flags.tailBank ?? 'all';
      if (tailBank !== 'all' && tailBank !== 'photo-like') throw new Error(`--tail-bank must be 'photo-like' or 'all', got "${tailBank}"`);
      const { impostors } = await import('../../eval/profile-analysis.js');
      const { summariseProfileRun, profileMarkdown } = await import('../../eval/profile-report.js');
      const corpus = flags.corpus ?? DEFAULT_CORPUS;
      let photos = flags.photos ?? join(corpus, 'photos');
      if (!existsSync(photos)) photos = await fetch(corpus, DEFAULT_SHARED);
      const bar = new cliProgress.SingleBar({ format: '{stage} [{bar}] {value}/{total} | {duration_formatted} | ETA {eta_formatted} | {item}', hideCursor: true }, cliProgress.Presets.shades_classic);
      bar.start(1, 0, { stage: 'hash', item: '' });
      const transformations = list(flags.transformations);
      let run;
      try {
        run = await runProfileHashing({
          photosDir: photos,
          corpusDir: corpus,
          profile: flags.profile ?? 'pdq-regions',
          maxSide: number('max-side', flags.maxSide, DEFAULT_MAX_SIDE),
          distractors: number('distractors', flags.distractors, 12000),
          ...(flags.threads ? { threads: number('threads', flags.threads, 1) } : {}),
          ...(transformations ? { transformations } : {}),
          log: (line) => process.stderr.write(`\n${line}\n`),
          onProgress: (done, total, item) => {
            bar.setTotal(total);
            bar.update(done, { stage: 'hash', item });
          },
        });
        bar.update(0, { stage: 'impostors', item: '' });
        const radius = number('radius', flags.radius, 48);
        // Every code pair within the radius is kept: the shipped decision rule, the rules compared and the tail fit are read from them.
        const progress = (done: number, total: number) => {
          if (done % 200 === 0 || done === total) {
            bar.setTotal(total);
            bar.update(done, { stage: 'impostors', item: '' });
          }
        };
        const impostor = impostors([...run.photos, ...run.distractors], radius, progress, undefined, radius);
        const given = list(flags.thresholds)?.map((v) => number('thresholds', v, 0));
        if (given && given.length !== 3) throw new Error('--thresholds takes three numbers: full,whole,region');
        const thresholds = given ? { full: given[0]!, whole: given[1]!, region: given[2]! } : undefined;
        bar.update(0, { stage: 'tail', item: '' });
        const tail =
          tailReach > 0
            ? await runImpostorTail([...run.photos, ...run.distractors], {
                profile: run.profile,
                reach: tailReach,
                bank: tailBank,
                ...(thresholds ? { thresholds } : {}),
                ...(flags.threads ? { threads: number('threads', flags.threads, 1) } : {}),
                onProgress: (done, total) => {
                  bar.setTotal(total);
                  bar.update(done, { stage: 'tail', item: '' });
                },
              })
            : undefined;
        bar.stop();
        const summary = summariseProfileRun(run, impostor, number('margin', flags.margin, 0.25), thresholds, tail);
        const outDir = resolve(flags.outDir ?? 'rempart-eval');
        mkdirSync(outDir, { recursive: true });
        const markdown = profileMarkdown(summary, run);
        writeFileSync(join(outDir, 'profile.md'), `${markdown}\n`);
        writeFileSync(join(outDir, 'profile-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
        process.stdout.write(`${markdown}\n`);
      } finally {
        bar.stop();
      }
    });
}
