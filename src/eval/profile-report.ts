/**
 * The report of `rempart eval-profile`: recall before and after per transformation and
 * family, recall against crop amount, the impostor set pairs, the tail fit and the
 * extrapolated false matches against a large bank, and the cost per image. Markdown
 * and a JSON summary (no histograms of images, no image data).
 */
import { getProfile, type PairKind } from '../hashing/profile/profile.js';
import {
  extrapolate,
  genuine,
  matches,
  tuneThresholds,
  type CorpusEntry,
  type Extrapolation,
  type ImpostorResults,
  type Split,
  type Thresholds,
} from './profile-analysis.js';
import type { ProfileRun } from './profile-runner.js';
import { cropAmount, getTransformation } from './transforms.js';

/** Today's service: PDQ with dihedral matching at its default threshold. */
export const BASELINE_THRESHOLD = 31;

export interface ProfileSummary {
  profile: string;
  photos: number;
  distractors: number;
  transformations: number;
  shipped: Thresholds;
  tuned: Thresholds;
  margin: number;
  perTransformation: { name: string; family: string; before: number; after: number; afterTune: number }[];
  families: { family: string; before: number; after: number }[];
  overall: { before: number; after: number; afterAllPhotos: number; beforeAllPhotos: number };
  cropAmounts: { range: string; pairs: number; recall: number }[];
  impostors: {
    radius: number;
    setPairs: Record<Split | 'all', number>;
    falseMatchesAtShipped: Record<Split | 'all', number>;
    /**
     * The false set pairs at the shipped thresholds (all) by what was registered (a photo: what
     * victims register; a distractor) and by whether today's matching (full against full) finds
     * them too.
     */
    falseByBank: Record<CorpusEntry['kind'], { total: number; todayToo: number }>;
    setPairsPhotoBank: number;
    closest?: ImpostorResults['closest'];
    nearest: ImpostorResults['nearest'];
    unregistrable: ImpostorResults['unregistrable'];
  };
  extrapolation: Extrapolation;
  cost: { registeredHashesMean: number; registeredHashesMax: number; queryCodesMean: number; registerMsMedian: number; queryMsMedian: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : 0;
};

export function summariseProfileRun(run: ProfileRun, impostor: ImpostorResults, margin: number, thresholds?: Thresholds): ProfileSummary {
  const profile = getProfile(run.profile);
  const shipped: Thresholds = thresholds ?? { ...profile.thresholds };
  const tuned = tuneThresholds(impostor.close.tune, impostor.radius, margin, profile.thresholds.full);
  const names = run.transformations.map((t) => t.name);
  const g = genuine(run.photos, names.length);
  const inSplit = (split: Split) => run.photos.map((p, i) => [p, i] as const).filter(([p]) => p.split === split).map(([, i]) => i);
  const report = inSplit('report');
  const all = run.photos.map((_, i) => i);
  const recall = (rows: number[], t: number, thresholds: Thresholds): number =>
    rows.length ? rows.filter((i) => matches(g.minima[i]![t]!, thresholds)).length / rows.length : 0;
  const before = (rows: number[], t: number): number => (rows.length ? rows.filter((i) => g.baseline[i]![t]! <= BASELINE_THRESHOLD).length / rows.length : 0);
  const perTransformation = run.transformations.map((tr, t) => ({
    name: tr.name,
    family: tr.family,
    before: before(report, t),
    after: recall(report, t, shipped),
    afterTune: recall(inSplit('tune'), t, shipped),
  }));
  const familyNames = [...new Set(run.transformations.map((t) => t.family))];
  const families = familyNames.map((family) => {
    const rows = perTransformation.filter((p) => p.family === family);
    return { family, before: rows.reduce((s, r) => s + r.before, 0) / rows.length, after: rows.reduce((s, r) => s + r.after, 0) / rows.length };
  });
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  const buckets = [
    [0.02, 0.05],
    [0.05, 0.08],
    [0.08, 0.11],
    [0.11, 0.151],
  ] as const;
  const cropAmounts = buckets.map(([lo, hi]) => {
    const ts = run.transformations.map((tr, t) => [tr, t] as const).filter(([tr]) => tr.family === 'crop-random' && cropAmount(getTransformation(tr.name)) >= lo && cropAmount(getTransformation(tr.name)) < hi);
    const pairs = ts.length * report.length;
    const hits = ts.reduce((s, [, t]) => s + report.filter((i) => matches(g.minima[i]![t]!, shipped)).length, 0);
    return { range: `${Math.round(lo * 100)}–${Math.round(Math.min(hi, 0.15) * 100)} %`, pairs, recall: pairs ? hits / pairs : 0 };
  });
  const falseMatchesAtShipped = {
    tune: impostor.close.tune.filter((m) => matches(m, shipped)).length,
    report: impostor.close.report.filter((m) => matches(m, shipped)).length,
    all: impostor.close.all.filter((m) => matches(m, shipped)).length,
  };
  const falseByBank = { photo: { total: 0, todayToo: 0 }, distractor: { total: 0, todayToo: 0 } };
  for (const m of impostor.close.all) {
    if (!matches(m, shipped)) continue;
    falseByBank[m.registered].total++;
    if (m.full <= shipped.full) falseByBank[m.registered].todayToo++;
  }
  const everything = [...run.photos, ...run.distractors];
  const regSizes = everything.map((e) => e.result.registered.hashes);
  const queryCodes = everything.flatMap((e) => e.result.queries.filter(Boolean).map((q) => q!.roles.length));
  return {
    profile: run.profile,
    photos: run.photos.length,
    distractors: run.distractors.length,
    transformations: names.length,
    shipped,
    tuned,
    margin,
    perTransformation,
    families,
    overall: {
      before: mean(perTransformation.map((p) => p.before)),
      after: mean(perTransformation.map((p) => p.after)),
      beforeAllPhotos: mean(names.map((_, t) => before(all, t))),
      afterAllPhotos: mean(names.map((_, t) => recall(all, t, shipped))),
    },
    cropAmounts,
    impostors: { radius: impostor.radius, setPairs: impostor.setPairs, falseMatchesAtShipped, falseByBank, setPairsPhotoBank: impostor.setPairsPhotoBank, nearest: impostor.nearest, unregistrable: impostor.unregistrable, ...(impostor.closest ? { closest: impostor.closest } : {}) },
    extrapolation: extrapolate(impostor, shipped),
    cost: {
      registeredHashesMean: mean(regSizes),
      registeredHashesMax: Math.max(...regSizes),
      queryCodesMean: mean(queryCodes),
      registerMsMedian: median(everything.map((e) => e.result.ms.register)),
      queryMsMedian: median(everything.flatMap((e) => e.result.ms.query)),
    },
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const sci = (x: number): string => (x === 0 ? '0' : x.toExponential(2));

export function profileMarkdown(s: ProfileSummary, run: ProfileRun): string {
  const l: string[] = [];
  l.push(`# Matching profile \`${s.profile}\`: ${s.photos} photos × ${s.transformations} transformations, ${s.distractors.toLocaleString('en')} distractors`, '');
  l.push(
    `Hashing took ${Math.round(run.hashSeconds)} s on ${run.machine.cpu} (${run.machine.cores} cores, Node ${run.machine.node}). ` +
      `Photos and distractors are split in halves by a hash of their name: thresholds are tuned on the **tune** half ` +
      `(no impostor set pair matched, less ${Math.round(s.margin * 100)} %), recall is reported on the **report** half.`,
    '',
  );
  l.push(
    `Shipped thresholds (in \`src/hashing/profile/profile.ts\`): full picture against full picture **${s.shipped.full}** (PDQ's, unchanged), ` +
      `other whole-picture pairs (trimmed, windows, tilt) **${s.shipped.whole}**, region pairs **${s.shipped.region}**. ` +
      `Tuned on this run's tune half: whole ${s.tuned.whole}, region ${s.tuned.region}.`,
    '',
  );
  l.push(`**Overall recall (report half): ${pct(s.overall.before)} today → ${pct(s.overall.after)}** (all photos: ${pct(s.overall.beforeAllPhotos)} → ${pct(s.overall.afterAllPhotos)}). ` + `Today = the service's PDQ with dihedral matching at ${BASELINE_THRESHOLD}, same run, same variants.`, '');
  l.push('## By family', '', '| family | today | profile |', '|---|---|---|');
  for (const f of s.families) l.push(`| ${f.family} | ${pct(f.before)} | ${pct(f.after)} |`);
  l.push('', '## Per transformation (report half; tune half in brackets)', '', '| transformation | family | today | profile |', '|---|---|---|---|');
  for (const p of s.perTransformation) l.push(`| ${p.name} | ${p.family} | ${pct(p.before)} | ${pct(p.after)} (${pct(p.afterTune)}) |`);
  l.push('', '## Random crops: recall against the largest amount cut off a side', '', '| amount | pairs | recall |', '|---|---|---|');
  for (const c of s.cropAmounts) l.push(`| ${c.range} | ${c.pairs} | ${pct(c.recall)} |`);
  const im = s.impostors;
  l.push('', '## Impostors', '');
  l.push(
    `Every query set (photo variants, photos and distractors as uploads) against every registered set of an unrelated image ` +
      `(another package; icons of one name in two themes are one concept), under the service's quality rules on both sides: ` +
      `a picture whose PDQ quality is under the case floor is not registrable (${im.unregistrable.distractors.toLocaleString('en')} distractors, ${im.unregistrable.photos} photos: queries only), ` +
      `derived hashes under the profile's floor are neither registered nor searched, and every pair but full against full needs a query hash at or above that floor: ` +
      `**${im.setPairs.all.toLocaleString('en')} set pairs** (tune half ${im.setPairs.tune.toLocaleString('en')}, report half ${im.setPairs.report.toLocaleString('en')}), ` +
      `searched exactly up to distance ${im.radius} with the engine's multi-index. False matches at the shipped thresholds: ` +
      `**${im.falseMatchesAtShipped.all}** (tune ${im.falseMatchesAtShipped.tune}, report ${im.falseMatchesAtShipped.report}).` +
      (im.closest ? ` Closest impostor pair: ${im.closest.query} against ${im.closest.registered}, ${im.closest.kind} pair at ${im.closest.distance}.` : ''),
    '',
    '| registered image | set pairs | false matches at the shipped thresholds | of which today\'s matching (full against full) finds too |',
    '|---|---|---|---|',
    `| a photo (what victims register) | ${im.setPairsPhotoBank.toLocaleString('en')} | ${im.falseByBank.photo.total} | ${im.falseByBank.photo.todayToo} |`,
    `| a distractor (icons, clipart, screenshots, game art, wallpapers) | ${(im.setPairs.all - im.setPairsPhotoBank).toLocaleString('en')} | ${im.falseByBank.distractor.total} | ${im.falseByBank.distractor.todayToo} |`,
    '',
  );
  const x = s.extrapolation;
  l.push('## Expected false matches against a bank of 1 M images', '');
  l.push(
    `Per (upload, registered image): ${x.codePairsPerSetPair.full.toFixed(0)} full-picture, ${x.codePairsPerSetPair.whole.toFixed(0)} other whole-picture and ${x.codePairsPerSetPair.region.toFixed(0)} region code pairs. ` +
      'For each kind, log10 of the share of code pairs at distance ≤ d is fitted by a straight line through the lowest ten distances with at least 10 pairs ' +
      '(an exponential tail: the real tail of a sum of many bits falls faster, so the line overestimates below the data), then read at the threshold; ' +
      'it is capped by the rule-of-three bound (pairs seen at or below the threshold + 3) / pairs. Assumptions: a bank image behaves like the registered images here ' +
      '(photos, icons, screenshots, clipart, game art, wallpapers); code pairs are counted independently (a union bound: conservative).',
    '',
  );
  l.push('| kind | threshold | pairs | fit (log10 p = a + b·d) | points used | p at threshold | rule-of-three bound |', '|---|---|---|---|---|---|---|');
  for (const kind of ['full', 'whole', 'region'] as PairKind[]) {
    const f = x.fits[kind];
    l.push(
      `| ${kind} | ${s.shipped[kind]} | ${sci(x.codePairsPerSetPair[kind])} per set pair | a = ${f.intercept.toFixed(2)}, b = ${f.slope.toFixed(3)} | ` +
        `${f.points.map((p) => `${p.d}:${p.count}`).join(', ') || 'none'} | ${sci(f.atThreshold)} | ${sci(f.upperBound)} |`,
    );
  }
  l.push(
    '',
    `**Expected false matches: ${sci(x.perUpload)} per upload, ${sci(x.perMillionUploads)} per million uploads** against ${x.bank.toLocaleString('en')} registered images ` +
      `(today's matching, full against full alone, same fit: ${sci(x.perMillionUploadsToday)} per million uploads).`,
    '',
  );
  const c = s.cost;
  l.push('## Cost', '', `Registered hashes per image: mean ${c.registeredHashesMean.toFixed(1)}, max ${c.registeredHashesMax}. Query codes per upload (dihedral variants included): mean ${c.queryCodesMean.toFixed(1)}. ` + `Deriving (after decode, one worker thread on a shared machine): both sets of an image median ${c.registerMsMedian.toFixed(0)} ms, query set of a photo variant median ${c.queryMsMedian.toFixed(0)} ms.`, '');
  return l.join('\n');
}

export type { CorpusEntry };
