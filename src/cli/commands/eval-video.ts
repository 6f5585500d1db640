/**
 * `rempart eval-video`: the video evaluation (src/eval/video). Builds the corpus videos
 * into .corpus/videos when missing; variants stay in memory; writes JSON and Markdown.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { DEFAULT_VIDEO_MATCH_POLICY } from '../../hashing/video/match.js';
import { fetchCorpus } from '../../eval/corpus.js';
import { fetchDistractors } from '../../eval/distractors.js';
import { buildVideoCorpus, corpusPhotos, listVideoFiles, type ImpostorImage } from '../../eval/video/corpus.js';
import { videoSummaryMarkdown } from '../../eval/video/report.js';
import { runVideoEvaluation, type VideoEvalResults } from '../../eval/video/runner.js';
import { requireFfmpeg } from '../../pipeline/video/ffmpeg-binary.js';

export function registerEvalVideoCommand(program: Command): void {
  program
    .command('eval-video')
    .description('measure video matching: registers corpus videos, matches their variants (re-encodes, resizes, trims, clips, frame rates, crops, captions, mirrors) and stills; writes JSON and Markdown')
    .option('--corpus <dir>', 'corpus folder (photos and opencv-doc are fetched into it when missing)', '.corpus')
    .option('--videos <dir>', 'evaluate the videos of this folder instead of building the corpus')
    .option('--photo-videos <n>', 'videos to build from corpus photos', '16')
    .option('--transformations <names>', "comma-separated subset of video transformations ('none': stills only)")
    .option('--stills <n>', 'stills per video posted as images', '3')
    .option('--distractors <n>', "distractor images of the image evaluation (icons, clipart, screenshots, game art) used as impostors, with the corpus photos", '0')
    .option('--out-dir <dir>', 'where results.json and summary.md go', 'rempart-eval-video')
    .option('--from-results <file>', 're-render the summary from an earlier results.json')
    .action(async (flags: Record<string, string | undefined>) => {
      const outDir = resolve(flags.outDir ?? 'rempart-eval-video');
      let results: VideoEvalResults;
      if (flags.fromResults) {
        results = JSON.parse(readFileSync(flags.fromResults, 'utf8')) as VideoEvalResults;
      } else {
        const ffmpeg = requireFfmpeg(process.env.REMPART_FFMPEG).path;
        const log = (line: string) => process.stderr.write(`corpus: ${line}\n`);
        let videos;
        const impostorImages: ImpostorImage[] = [];
        const corpus = flags.corpus ?? '.corpus';
        if (flags.videos) {
          videos = listVideoFiles(flags.videos);
        } else {
          if (!existsSync(join(corpus, 'photos'))) await fetchCorpus({ dir: corpus, sharedVectors: '../shared/vectors', log });
          videos = await buildVideoCorpus({ corpusDir: corpus, ffmpeg, photoVideos: Number(flags.photoVideos ?? 16), log });
          impostorImages.push(...corpusPhotos(corpus, videos));
        }
        const distractors = Number(flags.distractors ?? 0);
        if (!(Number.isInteger(distractors) && distractors >= 0)) throw new Error(`--distractors must be a whole number, got ${flags.distractors}`);
        if (distractors > 0) {
          for (const d of await fetchDistractors(corpus, distractors, log)) impostorImages.push({ name: `distractor:${d.group}`, path: d.path });
        }
        const bar = new cliProgress.SingleBar(
          { format: 'eval-video [{bar}] {value}/{total} | {duration_formatted} elapsed | ETA {eta_formatted} | {label}', hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(1, 0, { label: '' });
        try {
          results = await runVideoEvaluation({
            videos,
            ffmpeg,
            ...(flags.transformations
              ? { transformations: flags.transformations === 'none' ? [] : flags.transformations.split(',').map((s) => s.trim()) }
              : {}),
            stills: Number(flags.stills ?? 3),
            impostorImages,
            onProgress: (done, total, label) => {
              bar.setTotal(total);
              bar.update(done, { label });
            },
          });
        } finally {
          bar.stop();
        }
      }
      mkdirSync(outDir, { recursive: true });
      const summary = videoSummaryMarkdown(results, { ...DEFAULT_VIDEO_MATCH_POLICY, dihedral: false });
      writeFileSync(join(outDir, 'results.json'), JSON.stringify(results));
      writeFileSync(join(outDir, 'summary.md'), summary);
      process.stderr.write(`wrote ${join(outDir, 'results.json')} and summary.md\n`);
      process.stdout.write(summary);
    });
}
