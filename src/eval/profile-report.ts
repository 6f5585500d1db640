/**
 * The report of `rempart eval-profile`: recall before and after per transformation and
 * family, recall against crop amount, the impostor set pairs, the tail fit and the
 * extrapolated false matches against a large bank, and the cost per image. Markdown
 * and a JSON summary (no histograms of images, no image data).
 */
import { getProfile } from '../hashing/profile/profile.js';
import type { GraphicRule } from '../hashing/profile/texture.js';
import {
  extrapolate,
  genuine,
  matches,
  tuneThresholds,
  type CorpusEntry,
  type Extrapolation,
  type TailFit,
  type ImpostorResults,
  type Split,
  type Thresholds,
} from './profile-analysis.js';
import type { MergedCopy, ProfileRun } from './profile-runner.js';
import { BLOCKHASH_THRESHOLD, codeHits, decide, routeMinima, shippedRule, within, type CodeHit, type DecisionRule, type RouteMinima } from './profile-rules.js';
import { registrable } from './profile-analysis.js';
import { codeDistance } from '../hashing/hamming.js';
import { cropAmount, getTransformation } from './transforms.js';
import type { TailSummary } from './profile-tail.js';
import { policyPerPath, tailMarkdown, type PolicyCheck, type RadiusCheck } from './profile-tail-report.js';
import { blockhashMarkdown, matchesToday, summariseBlockhash, type BlockhashSummary } from './profile-blockhash.js';

/** Today's service: PDQ with dihedral matching at its default threshold (and blockhash at its own: profile-blockhash.ts). */
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
    setPairsPhotoLike: number;
    /** The false set pairs at the shipped thresholds under the shipped rule (up to 40), by name. */
    falsePairs: { query: string; registered: string; route: string; distance: number }[];
    nearest: ImpostorResults['nearest'];
    unregistrable: ImpostorResults['unregistrable'];
  };
  /** Overall recall (report half) at the thresholds tuned on the tune half. */
  tunedOverall: number;
  /** The decision rules compared on this run (the shipped one among them). */
  rules: RuleOutcome[];
  /** Copies of one picture merged before hashing: how many, and between which sources. */
  copies: { merged: number; bySources: { sources: string; count: number }[]; examples: MergedCopy[] };
  extrapolation: Extrapolation;
  /** The brute-force impostor tail far beyond the search radius (profile-tail.ts), and its agreement with the index within the radius. */
  tail?: TailSummary;
  tailCheck?: RadiusCheck;
  /** Blockhash whole-picture pairs: today's matching answers them, the profile only for items without PDQ (profile-blockhash.ts). */
  blockhash: BlockhashSummary;
  /** Recall on the report half at the thresholds the policy per path allows (shipped ones lowered to it), and the lines that change. */
  policyCheck?: PolicyCheck;
  cost: { registeredHashesMean: number; registeredHashesMax: number; queryCodesMean: number; registerMsMedian: number; queryMsMedian: number };
}

export interface RuleOutcome {
  name: string;
  shipped: boolean;
  /** Mean recall over the transformations, per half. */
  recall: Record<Split, number>;
  /** False set pairs: per half (both images in it), over every pair, with a registered photo, with a registered photo-like picture. */
  falseMatches: Record<Split | 'all', number> & { photoBank: number; photoLike: number };
}

const WIDE: number = Number.POSITIVE_INFINITY;

/**
 * The rules compared: the quality floor alone (what shipped before the graphic gate), graphic
 * gates on each texture measure alone at several levels, the graphic gate alone (shipped
 * before the decision rule), near-blank uploads turned away, region pairs needing a second
 * agreeing region (or one very close region), and the shipped rule, which does both.
 */
export function candidateRules(shipped: DecisionRule): DecisionRule[] {
  const fmt = (x: number) => x.toFixed(2);
  const gate = shipped.graphic!;
  const floor = shipped.derivedFloor;
  const two = shipped.twoRegions!;
  return [
    { name: 'quality floor only (no graphic gate)', graphic: null, derivedFloor: floor },
    ...[0.3, 0.5, 0.7].map((f) => ({ name: `graphic gate: flat share ≥ ${fmt(f)}`, graphic: { maxFlat: f, maxLevels: WIDE }, derivedFloor: floor })),
    ...[0.6, 0.9].map((l) => ({ name: `graphic gate: 8-level share ≥ ${fmt(l)}`, graphic: { maxFlat: WIDE, maxLevels: l }, derivedFloor: floor })),
    { name: `graphic gate: flat share ≥ ${fmt(gate.maxFlat)} or 8-level share ≥ ${fmt(gate.maxLevels)} (shipped before this rule)`, graphic: gate, derivedFloor: floor },
    { name: 'graphic gate, and uploads of PDQ quality under the floor match nothing', graphic: gate, derivedFloor: floor, fullFloor: true },
    ...[16, 24].map((single) => ({ name: `graphic gate and two agreeing regions (or one within ${single} bits)`, graphic: gate, twoRegions: { ...two, singleRegion: single }, derivedFloor: floor })),
    { name: `two agreeing regions (or one within ${two.singleRegion} bits) and near-blank uploads turned away, no graphic gate`, graphic: null, twoRegions: two, derivedFloor: floor, fullFloor: true },
    { ...shipped, name: `graphic gate, two agreeing regions (or one within ${two.singleRegion} bits), near-blank uploads turned away (shipped)` },
  ];
}


/** Code hits of every photo against each of its variants (null: the photo is not registrable or the variant failed). */
type GenuineHits = { split: Split; hits: (CodeHit[] | null)[] }[];

function genuineHitsOf(run: ProfileRun, radius: number): GenuineHits {
  return run.photos.map((p) => ({
    split: p.split,
    hits: p.result.queries.slice(1).map((q, t) => {
      if (!q || !registrable(p.result.registered)) return null;
      // The service also meets the upload's blockhash (the shipped rule answers it as the service does).
      const bh = p.result.blockhash;
      const pair = bh?.queries[t + 1] ? { query: bh.queries[t + 1]!, registered: bh.registered } : undefined;
      return codeHits(q, p.result.registered, radius, codeDistance, pair);
    }),
  }));
}

function compareRules(genuineHits: GenuineHits, transformations: number, impostor: ImpostorResults, rules: readonly DecisionRule[], shipped: Thresholds): RuleOutcome[] {
  return rules.map((rule) => {
    const recall = { tune: 0, report: 0 };
    for (const split of SPLIT_NAMES) {
      const rows = genuineHits.filter((g) => g.split === split);
      let sum = 0;
      for (let t = 0; t < transformations; t++) sum += rows.filter((g) => g.hits[t] && decide(g.hits[t]!, rule, shipped)).length / Math.max(1, rows.length);
      recall[split] = sum / Math.max(1, transformations);
    }
    const falseMatches = { tune: 0, report: 0, all: 0, photoBank: 0, photoLike: 0 };
    for (const d of impostor.detailed) {
      if (!decide(d.hits, rule, shipped)) continue;
      falseMatches.all++;
      if (d.split) falseMatches[d.split]++;
      if (d.registered === 'photo') falseMatches.photoBank++;
      if (d.photoLike) falseMatches.photoLike++;
    }
    return { name: rule.name, shipped: rule.name.endsWith('(shipped)'), recall, falseMatches };
  });
}

const SPLIT_NAMES: readonly Split[] = ['tune', 'report'];

/** An impostor set pair under the shipped rule: its route minima, what was registered, and today's full-against-full distance. */
export type CloseUnderRule = RouteMinima & { registered: CorpusEntry['kind']; photoLike: boolean; split: Split | null; today: number };

/** Today's matching: the closest full-against-full pair, whatever the quality of the upload (257: none). */
function todayDistance(hits: readonly CodeHit[]): number {
  let d = 257;
  for (const h of hits) if (h.kind === 'full') d = Math.min(d, h.distance);
  return d;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1]! : 0;
};

/**
 * Set pairs within `kMax` bits of matching under the shipped rule, counted from the
 * multi-index's code pairs (exact up to the radius less the largest threshold), per
 * population: what the brute-force tail must count too.
 */
export function radiusCheck(close: readonly CloseUnderRule[], shipped: Thresholds, radius: number, tail: TailSummary): RadiusCheck {
  const kMax = radius - Math.max(shipped.full, shipped.whole, shipped.region);
  const marginOf = (m: RouteMinima) => Math.min(m.full - shipped.full, m.whole - shipped.whole, m.region - shipped.region);
  const byPopulation = tail.populations.map((p) => ({
    name: p.name,
    index: close.filter((c) => (p.name === 'photo-like' ? c.photoLike : true) && marginOf(c) <= kMax).length,
    bruteForce: p.paths.find((x) => x.row === 'any')!.count[kMax] ?? 0,
  }));
  return { kMax, byPopulation };
}

export function summariseProfileRun(run: ProfileRun, impostor: ImpostorResults, margin: number, thresholds?: Thresholds, tail?: TailSummary): ProfileSummary {
  const profile = getProfile(run.profile);
  const shipped: Thresholds = thresholds ?? { ...profile.thresholds };
  const rule = shippedRule(profile);
  // Every impostor set pair under the shipped rule (route minima from its code hits within the radius).
  const close: CloseUnderRule[] = impostor.detailed.map((d) => ({
    ...routeMinima(d.hits, rule, shipped),
    registered: d.registered,
    photoLike: d.photoLike,
    split: d.split,
    today: todayDistance(d.hits),
  }));
  const tuned = tuneThresholds(close.filter((c) => c.split === 'tune'), impostor.radius, margin, profile.thresholds.full);
  const names = run.transformations.map((t) => t.name);
  const genuineHits = genuineHitsOf(run, impostor.detailRadius);
  const minimaAt = (t: Thresholds): (RouteMinima | null)[][] => genuineHits.map((gh) => gh.hits.map((h) => (h ? routeMinima(h, rule, t) : null)));
  const g = { minima: minimaAt(shipped), baseline: genuine(run.photos, names.length).baseline };
  const tunedMinima = minimaAt(tuned);
  const inSplit = (split: Split) => run.photos.map((p, i) => [p, i] as const).filter(([p]) => p.split === split).map(([, i]) => i);
  const report = inSplit('report');
  const all = run.photos.map((_, i) => i);
  const recall = (rows: number[], t: number, thresholds: Thresholds, minima = g.minima): number =>
    rows.length ? rows.filter((i) => minima[i]![t] && within(minima[i]![t]!, thresholds)).length / rows.length : 0;
  // Today's matching: PDQ with dihedral, or blockhash, each within its threshold.
  const before = (rows: number[], t: number): number =>
    rows.length ? rows.filter((i) => matchesToday(run.photos[i]!, t + 1, g.baseline[i]![t]!, BASELINE_THRESHOLD)).length / rows.length : 0;
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
    const hits = ts.reduce((s, [, t]) => s + report.filter((i) => g.minima[i]![t] && within(g.minima[i]![t]!, shipped)).length, 0);
    return { range: `${Math.round(lo * 100)}–${Math.round(Math.min(hi, 0.15) * 100)} %`, pairs, recall: pairs ? hits / pairs : 0 };
  });
  const falseMatchesAtShipped = {
    tune: close.filter((m) => m.split === 'tune' && within(m, shipped)).length,
    report: close.filter((m) => m.split === 'report' && within(m, shipped)).length,
    all: close.filter((m) => within(m, shipped)).length,
  };
  const falseByBank = { photo: { total: 0, todayToo: 0 }, distractor: { total: 0, todayToo: 0 } };
  for (const m of close) {
    if (!within(m, shipped)) continue;
    falseByBank[m.registered].total++;
    if (m.today <= shipped.full) falseByBank[m.registered].todayToo++;
  }
  const falsePairs = impostor.detailed
    .map((d, k) => [d, close[k]!] as const)
    .filter(([, m]) => within(m, shipped))
    .slice(0, 40)
    .map(([d, m]) => {
      const route = (['full', 'whole', 'region'] as const).reduce((a, b) => (m[b] - shipped[b] < m[a] - shipped[a] ? b : a));
      return { query: d.query, registered: d.registeredName, route, distance: m[route] };
    });
  const tunedOverall = mean(run.transformations.map((_, t) => recall(report, t, tuned, tunedMinima)));
  // The policy per path from the brute-force tail: where the shipped threshold is above it, recall at the policy's.
  let policyCheck: PolicyCheck | undefined;
  if (tail) {
    const population = tail.populations.find((p) => p.name === 'every image') ?? tail.populations[0]!;
    const rows = policyPerPath(population, tail, margin);
    const policyOf = (path: string, fallback: number) => Math.min(fallback, rows.find((r) => r.path === path)?.policy ?? fallback);
    const compliant: Thresholds = { full: shipped.full, whole: policyOf('whole', shipped.whole), region: policyOf('agree', shipped.region) };
    const minima = minimaAt(compliant);
    const lines = run.transformations
      .map((tr, t) => ({ name: tr.name, shipped: recall(report, t, shipped), policy: recall(report, t, compliant, minima) }))
      .filter((x) => x.policy !== x.shipped);
    policyCheck = { thresholds: compliant, overall: mean(run.transformations.map((_, t) => recall(report, t, compliant, minima))), lines };
  }
  const rules = compareRules(genuineHits, names.length, impostor, candidateRules(rule), shipped);
  const bySources = new Map<string, number>();
  for (const m of run.merged) {
    const key = `${m.group.replace(/^package:/, '')} → ${m.copyOfGroup.replace(/^package:/, '')}`;
    bySources.set(key, (bySources.get(key) ?? 0) + 1);
  }
  const copies = {
    merged: run.merged.length,
    bySources: [...bySources].map(([sources, count]) => ({ sources, count })).sort((a, b) => b.count - a.count),
    examples: run.merged.filter((m) => m.group !== m.copyOfGroup).slice(0, 12),
  };
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
    impostors: { radius: impostor.radius, setPairs: impostor.setPairs, falseMatchesAtShipped, falseByBank, setPairsPhotoBank: impostor.setPairsPhotoBank, setPairsPhotoLike: impostor.setPairsPhotoLike, falsePairs, nearest: impostor.nearest, unregistrable: impostor.unregistrable },
    tunedOverall,
    rules,
    copies,
    extrapolation: extrapolate(impostor, close, shipped),
    ...(tail ? { tail, tailCheck: radiusCheck(close, shipped, impostor.radius, tail) } : {}),
    blockhash: summariseBlockhash(everything, report.map((i) => run.photos[i]!), names, (k, t) => {
      const m = g.minima[report[k]!]![t];
      return m !== null && m !== undefined && within(m, shipped);
    }),
    ...(policyCheck ? { policyCheck } : {}),
    cost: {
      registeredHashesMean: mean(regSizes),
      registeredHashesMax: Math.max(...regSizes),
      queryCodesMean: mean(queryCodes),
      registerMsMedian: median(everything.map((e) => e.result.ms.register)),
      queryMsMedian: median(everything.flatMap((e) => e.result.ms.query)),
    },
  };
}

/** How the hashes were had: computed in this run, or read from an earlier run's cache (then the time says nothing of hashing). */
export function hashingSentence(run: Pick<ProfileRun, 'hashSeconds' | 'hashedFiles' | 'cachedFiles' | 'machine'>): string {
  const on = `on ${run.machine.cpu} (${run.machine.cores} cores, Node ${run.machine.node})`;
  const files = (n: number) => `${n.toLocaleString('en')} corpus file${n === 1 ? '' : 's'}`;
  if (run.hashedFiles === 0) return `Every hash came from the cache of an earlier run (${files(run.cachedFiles)}; reading them took ${Math.round(run.hashSeconds)} s ${on}): this run hashed nothing.`;
  const cached = run.cachedFiles > 0 ? ` (the hashes of ${files(run.cachedFiles)} more came from the cache of an earlier run)` : '';
  return `Hashing ${files(run.hashedFiles)} took ${Math.round(run.hashSeconds)} s ${on}${cached}.`;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
const sci = (x: number): string => (x === 0 ? '0' : x.toExponential(2));

export function profileMarkdown(s: ProfileSummary, run: ProfileRun): string {
  const l: string[] = [];
  l.push(`# Matching profile \`${s.profile}\`: ${s.photos} photos × ${s.transformations} transformations, ${s.distractors.toLocaleString('en')} distractors`, '');
  l.push(
    `${hashingSentence(run)} ` +
      `Photos and distractors are split in halves by a hash of their name: thresholds are tuned on the **tune** half ` +
      `(no impostor set pair matched, less ${Math.round(s.margin * 100)} %), recall is reported on the **report** half.`,
    '',
  );
  l.push(
    `Shipped thresholds (in \`src/hashing/profile/profile.ts\`): full picture against full picture **${s.shipped.full}** (PDQ's, unchanged), ` +
      `other whole-picture pairs (trimmed, windows, tilt) **${s.shipped.whole}**, region pairs **${s.shipped.region}**. ` +
      `Tuned on this run's tune half by the thresholds policy (the largest thresholds at which no impostor set pair of the tune half matches, less ${Math.round(s.margin * 100)} %, ` +
      `searched up to ${s.impostors.radius} bits): whole ${s.tuned.whole}, region ${s.tuned.region}; overall recall on the report half at the tuned thresholds ${pct(s.tunedOverall)}, at the shipped ${pct(s.overall.after)}.`,
    '',
  );
  if (run.dedupe) {
    l.push(
      `**One copy of each picture.** Before hashing, ${s.copies.merged.toLocaleString('en')} corpus files were merged into an earlier copy of the same picture ` +
        `(flattened on white, uniform margins trimmed, 32 × 32 RGB: content aspects within ${Math.round(run.dedupe.maxAspectDifference * 100)} % and a mean difference of at most ${run.dedupe.maxMeanDifference} levels; ` +
        'judged on pixels, not by the hash under test; src/eval/dedupe.ts). ' +
        `By source (copy → kept): ${s.copies.bySources.slice(0, 10).map((b) => `${b.sources} ${b.count}`).join('; ') || 'none'}.` +
        (s.copies.examples.length ? ` Examples across sources: ${s.copies.examples.slice(0, 6).map((m) => `${m.name} = ${m.copyOf}`).join(', ')}.` : ''),
      '',
    );
  }
  l.push(`**Overall recall (report half): ${pct(s.overall.before)} today → ${pct(s.overall.after)}** (all photos: ${pct(s.overall.beforeAllPhotos)} → ${pct(s.overall.afterAllPhotos)}). ` + `Today = the service's PDQ with dihedral matching at ${BASELINE_THRESHOLD}, or its blockhash within ${BLOCKHASH_THRESHOLD}, same run, same variants.`, '');
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
      (im.falsePairs.length ? ` They are: ${im.falsePairs.map((f) => `${f.query} against ${f.registered} (${f.route}, ${f.distance})`).join('; ')}.` : ''),
    '',
    '| registered image | set pairs | false matches at the shipped thresholds | of which today\'s matching (full against full) finds too |',
    '|---|---|---|---|',
    `| a photo (what victims register) | ${im.setPairsPhotoBank.toLocaleString('en')} | ${im.falseByBank.photo.total} | ${im.falseByBank.photo.todayToo} |`,
    `| (photo-like: a photo, or a distractor whose whole picture passes the graphic gate) | ${im.setPairsPhotoLike.toLocaleString('en')} | ${s.rules.find((r) => r.shipped)?.falseMatches.photoLike ?? '—'} | |`,
    `| a distractor (icons, clipart, screenshots, game art, wallpapers) | ${(im.setPairs.all - im.setPairsPhotoBank).toLocaleString('en')} | ${im.falseByBank.distractor.total} | ${im.falseByBank.distractor.todayToo} |`,
    '',
  );
  l.push('## Decision rules compared (same run)', '');
  l.push(
    'Each rule decides from the code pairs of a (query set, registered set) pair within the largest threshold, at the shipped thresholds. ' +
      "Graphic gate (src/hashing/profile/texture.ts): a derived hash whose box is a flat graphic (share of exactly flat sample points, or share of the box's 8 most frequent grey levels, " +
      "at or above the rule's level) is neither registered nor searched, and a graphic upload's whole-picture hash meets only whole pictures. " +
      'Two agreeing regions: region pairs alone match only when two pairs of different regions map the upload onto the registered image with one scale and offset (within 8 % and 3 %). ' +
      'Recall is the mean over the transformations, per half; false matches count impostor set pairs.',
    '',
    '| rule | recall, tune half | recall, report half | false set pairs: tune half | report half | all | with a registered photo | with a registered photo-like picture |',
    '|---|---|---|---|---|---|---|---|',
  );
  for (const r of s.rules) {
    const name = r.shipped ? `**${r.name}**` : r.name;
    l.push(`| ${name} | ${pct(r.recall.tune)} | ${pct(r.recall.report)} | ${r.falseMatches.tune} | ${r.falseMatches.report} | ${r.falseMatches.all} | ${r.falseMatches.photoBank} | ${r.falseMatches.photoLike} |`);
  }
  const clean = s.rules.filter((r) => r.falseMatches.tune === 0).sort((a, b) => b.recall.tune - a.recall.tune);
  l.push(
    '',
    clean.length
      ? `Selected on the tune half (no false set pair there, then the best recall there): **${clean[0]!.name}**` +
          (clean[0]!.shipped ? ' — the shipped rule.' : `; the shipped rule is ${s.rules.find((r) => r.shipped)?.name ?? 'not among these'}.`)
      : 'No rule leaves the tune half without a false set pair.',
    '',
  );
  const x = s.extrapolation;
  if (s.tail) l.push(...tailMarkdown(s.tail, s.tailCheck, s.margin, s.policyCheck && { ...s.policyCheck, shippedOverall: s.overall.after, shipped: s.shipped }), '### Within the search radius only (the multi-index count; the method of session 4)', '');
  else l.push('## Expected false matches against a bank of 1 M images', '');
  l.push(
    "A set pair's margin is how far it is from matching: the least, over kinds of pair, of its closest allowed distance less that kind's threshold (≤ 0 is a false match). " +
      `Margins are counted exactly up to ${s.impostors.radius - Math.max(s.shipped.full, s.shipped.whole, s.shipped.region)} bits above the thresholds (the search radius, ${s.impostors.radius}, less the largest threshold). ` +
      'log10 of the share of set pairs within k bits is fitted by a least-squares line through the lowest margins that hold at least 10 set pairs (up to 8 of them), ' +
      'and read at k = 0; when fewer than 3 margins hold 10 set pairs, the rule-of-three bound (observed + 3) / set pairs stands in. ' +
      'Expected false matches per upload = bank size × that share (one upload meets every bank image once).',
    '',
    'Populations: the uploads are every query set (photo variants, photos, distractors); the registered side is every registrable image, or only the **photo-like** ones ' +
      '(the corpus photos and the distractors whose whole picture passes the graphic gate: wallpapers, renders, sample photographs; what victims register), or only the corpus photos. ' +
      'Margins are read under the shipped decision rule (a lone upload region counts at its distance raised by the region threshold less the single-region distance, two agreeing regions at the larger of the two).',
    '',
    'Assumptions: (1) a bank image and an upload are like the images here (the all-images fit takes icons, dialogs and checkerboards as registered images, whose degenerate PDQ hashes ' +
      'crowd just above the thresholds: a plateau, not a tail, which a straight line reads as a high share at k = 0); ' +
      '(2) set pairs are independent; (3) below the data the tail falls at least as fast as the fitted line: a tail made of many weakly dependent bits is concave in log space (Gaussian-like), ' +
      'so the straight line overestimates; (4) each picture is in the corpus once (copies merged before hashing), so a pair of copies is not counted as an impostor. ' +
      'Without 3 margins holding 10 set pairs there is nothing to fit, and only the rule-of-three bound stands: what the number of set pairs alone shows.',
    '',
    '| population | set pairs | false matches seen | share within k bits above the thresholds (k: set pairs) | fit through | log10 share = a + b·k | share at k = 0 | rule-of-three bound | per million uploads against 1 M |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  const row = (label: string, f: TailFit, perMillion: number) =>
    `| ${label} | ${f.setPairs.toLocaleString('en')} | ${f.observed} | ${f.points.map((p) => `${p.k}: ${p.count}`).join(', ')} | ` +
    `${f.used ? `k = ${f.used.from}…${f.used.to}` : 'too few'} | ${f.used ? `a = ${f.intercept.toFixed(2)}, b = ${f.slope.toFixed(3)}` : '—'} | ${sci(f.atThreshold)} | ${sci(f.upperBound)} | ${sci(perMillion)} |`;
  l.push(row('every registered image, the profile', x.fits.all, x.perMillionUploads));
  l.push(row('registered photo-like pictures (photos, and distractors whose whole picture passes the graphic gate), the profile', x.fits.photoLike, x.perMillionUploadsPhotoLike));
  l.push(row('registered corpus photos only, the profile', x.fits.photoBank, x.perMillionUploadsPhotoBank));
  l.push(row("every registered image, today's matching (full against full)", x.fits.today, x.perMillionUploadsToday));
  l.push(
    '',
    `**Expected false matches: ${sci(x.perUpload)} per upload, ${sci(x.perMillionUploads)} per million uploads** against ${x.bank.toLocaleString('en')} registered images like these ` +
      `(${sci(x.perMillionUploadsPhotoLike)} against a bank of photo-like pictures, ${sci(x.perMillionUploadsPhotoBank)} against the corpus photos alone; today's matching, same method, same run: ${sci(x.perMillionUploadsToday)}). ` +
      'When false matches were seen, the share at k = 0 is at least the share seen.',
    '',
    `The target, at most 1 false match per million uploads against 1 M registered images, is a share of ${sci(1e-12)} per set pair. ` +
      `With no false match seen, the rule of three shows it only from ${sci(3e12)} set pairs (for example 1.7 M uploads against 1.7 M registered images); ` +
      `this run has ${x.fits.all.setPairs.toLocaleString('en')} set pairs (${x.fits.photoLike.setPairs.toLocaleString('en')} with a photo-like registered picture), ` +
      `so it shows at most ${sci(x.fits.photoLike.upperBound * x.bank * 1e6)} per million uploads against a bank of photo-like pictures by counting, ` +
      `and ${x.fits.all.used ? `${sci(x.perMillionUploads)} by extrapolating the all-images tail` : 'nothing more by extrapolation'}.`,
    '',
  );
  l.push(...blockhashMarkdown(s.blockhash));
  const c = s.cost;
  l.push('## Cost', '', `Registered hashes per image: mean ${c.registeredHashesMean.toFixed(1)}, max ${c.registeredHashesMax}. Query codes per upload (dihedral variants included): mean ${c.queryCodesMean.toFixed(1)}. ` + `Deriving (after decode, one worker thread on a shared machine): both sets of an image median ${c.registerMsMedian.toFixed(0)} ms, query set of a photo variant median ${c.queryMsMedian.toFixed(0)} ms.`, '');
  return l.join('\n');
}

export type { CorpusEntry };
