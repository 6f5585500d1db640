/** The video evaluation as Markdown: corpus, recall per transformation, false matches, summaries, speed. */
import { evaluatePolicy, recallByTransformation, searchPolicies, serviceDensityOf, summaryAnalysis, type PolicyChoice } from './analyse.js';
import { impostorImageFalseMatches } from './impostor-images.js';
import { REGISTRATION_DENSITIES, type VideoEvalResults } from './runner.js';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function videoSummaryMarkdown(results: VideoEvalResults, choice: PolicyChoice): string {
  const lines: string[] = [];
  const seconds = results.registered.reduce((n, r) => n + r.duration, 0);
  const frames = results.registered.reduce((n, r) => n + r.frames, 0);
  const hashing = results.registered.reduce((n, r) => n + r.hashSeconds, 0);
  const windows = results.registered.reduce((n, r) => n + (r.windows ?? 0), 0);
  const service = serviceDensityOf(results);
  lines.push(`# Video evaluation (${results.createdAt})`, '');
  lines.push(
    `${results.registered.length} videos (${results.registered.filter((r) => r.source === 'opencv-doc').length} real from opencv-doc, ` +
      `${results.registered.filter((r) => r.source === 'photos').length} built from photos, ` +
      `${results.registered.filter((r) => r.source === 'folder').length} from a folder), ${seconds.toFixed(0)} s in all; ` +
      `${frames} frames registered at ${service} (${((60 * frames) / seconds).toFixed(0)} per minute, ` +
      `${results.registered.reduce((n, r) => n + r.cutFrames, 0)} of them scene cuts)` +
      (windows > 0 ? `, and ${windows} frame windows (${((60 * windows) / seconds).toFixed(0)} per minute). ` : '. ') +
      `${results.queries.length} queries, ${results.pairs.filter((p) => !p.genuine && (p.density ?? '1fps') === service).length} impostor pairs.`,
    '',
  );

  const plain = evaluatePolicy(results, { ...choice, dihedral: false });
  const dihedral = evaluatePolicy(results, { ...choice, dihedral: true });
  lines.push(
    `## Recall at the default policy`,
    '',
    `Registered at ${service} (the service's sampling) plus cut frames. Frame threshold ${choice.frameThreshold}, at least ${choice.minSeconds} matched seconds and ${pct(choice.minShare)} of the query's seconds, at one time offset (±1.5 s window).`,
    '',
    '| transformation | family | queries | recall | recall with dihedral matching |',
    '|---|---|---|---|---|',
  );
  const byTransform = recallByTransformation(results, { ...choice, dihedral: false });
  const byTransformDihedral = new Map(recallByTransformation(results, { ...choice, dihedral: true }).map((r) => [r.transformation, r.recall]));
  for (const row of byTransform) {
    lines.push(`| ${row.transformation} | ${row.family} | ${row.queries} | ${pct(row.recall)} | ${pct(byTransformDihedral.get(row.transformation) ?? 0)} |`);
  }
  lines.push(
    `| **all** | | ${results.queries.length} | **${pct(plain.recall)}** | **${pct(dihedral.recall)}** |`,
    '',
    `False matches: **${plain.falseMatches}** of ${plain.impostorPairs} impostor pairs (${dihedral.falseMatches} with dihedral matching).`,
  );
  for (const example of [...plain.falseMatchExamples, ...dihedral.falseMatchExamples].slice(0, 10)) lines.push(`- ${example}`);
  lines.push('');

  const images = results.impostorImages;
  if (images) {
    const f = impostorImageFalseMatches(images, choice.minSeconds);
    lines.push(
      '## Impostor images',
      '',
      `${images.images} images (corpus photos, each against the videos it is not in, and distractors: icons, clipart, screenshots, game art, wallpapers), ` +
        `${images.usable} of PDQ quality ≥ the floor; whole-picture PDQ, frame threshold ${images.radius}.`,
      '',
      '| used as | impostor pairs | false matches | with dihedral matching |',
      '|---|---|---|---|',
      `| a still posted as an image, against every registered video (frames and windows; one hit is enough) | ${images.stillPairs} | ${f.stills} | ${f.stillsDihedral} |`,
      `| a registered image, against every video upload (frames of ≥ ${choice.minSeconds} seconds) | ${images.registeredPairs} | ${f.registered} | ${f.registeredDihedral} |`,
      '',
    );
    for (const example of f.examples) lines.push(`- ${example}`);
    if (f.examples.length) lines.push('');
  }

  for (const withDihedral of [false, true]) {
    lines.push(`## Best policies with no false match${withDihedral ? ' (dihedral matching)' : ''}`, '');
    lines.push('| frame threshold | min seconds | min share | worst family | overall recall | false matches |', '|---|---|---|---|---|---|');
    for (const o of searchPolicies(results, withDihedral).slice(0, 6)) {
      const worst = o.families.reduce((a, b) => (b.recall < a.recall ? b : a));
      lines.push(`| ${o.choice.frameThreshold} | ${o.choice.minSeconds} | ${pct(o.choice.minShare)} | ${worst.family} ${pct(worst.recall)} | ${pct(o.recall)} | ${o.falseMatches} |`);
    }
    lines.push('');
  }

  lines.push('## Registration density', '', 'Recall per family at the default policy (dihedral matching) when the registered side keeps more frames.', '');
  const densityRows = REGISTRATION_DENSITIES.filter((d) => results.pairs.some((p) => (p.density ?? '1fps') === d)).map((density) =>
    evaluatePolicy(results, { ...choice, dihedral: true, density }),
  );
  const familyNames = densityRows[0]?.families.map((f) => f.family) ?? [];
  lines.push(`| registered | ${familyNames.join(' | ')} | false matches |`, `|---|${familyNames.map(() => '---|').join('')}---|`);
  for (const row of densityRows) {
    lines.push(`| ${row.choice.density} | ${row.families.map((f) => pct(f.recall)).join(' | ')} | ${row.falseMatches} |`);
  }
  lines.push('');

  lines.push('## Whole-video summaries alone (at zero false matches on the corpus)', '');
  const summaries = summaryAnalysis(results);
  const families = summaries[0]?.families.map((f) => f.family) ?? [];
  lines.push(`| summary | threshold | ${families.join(' | ')} |`, `|---|---|${families.map(() => '---|').join('')}`);
  for (const s of summaries) {
    const threshold = s.threshold === null ? '–' : s.measure === 'cosine' ? `cos ≥ ${s.threshold.toFixed(3)}` : `≤ ${s.threshold} bits`;
    lines.push(`| ${s.measure} | ${threshold} | ${s.families.map((f) => pct(f.recall)).join(' | ')} |`);
  }
  lines.push('');

  lines.push('## Speed', '');
  lines.push(
    `Registration (server decode with ffmpeg + hashing, one at a time): ${seconds.toFixed(0)} s of video in ${hashing.toFixed(1)} s, ` +
      `${(seconds / hashing).toFixed(1)} s of video per second.`,
  );
  if (results.errors.length) {
    lines.push('', '## Errors', '');
    for (const e of results.errors) lines.push(`- ${e.name}: ${e.message}`);
  }
  return `${lines.join('\n')}\n`;
}
