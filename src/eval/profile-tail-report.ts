/**
 * The report section of the brute-force impostor tail (profile-tail.ts, tail-bound.ts):
 * the tail per decision path, the bound and its assumptions with their checks, the
 * code-pair cross-check, and the expected false matches per million uploads against a bank
 * of 1 M registered images. Markdown lines; pure.
 */
import { TAIL_PATHS, type PathTail, type PopulationTail, type TailPath, type TailSummary } from './profile-tail.js';
import type { TailBound } from './tail-bound.js';

/** Bank size and uploads the target is stated for: ≤ 1 false match per million uploads against 1 M registered images. */
export const BANK = 1_000_000;
export const TARGET_SHARE = 1e-12;

export const PATH_NAMES: Record<PathTail['row'], string> = {
  full: 'whole picture against whole picture',
  whole: 'other whole-picture pairs (trimmed, windows, tilt)',
  lone: 'a lone upload region',
  agree: 'two agreeing regions',
  graphic: "a flat-graphic upload's whole picture",
  any: 'any path (the set pair\'s margin)',
  today: "today's matching alone (PDQ whole picture, 8 dihedral codes, every upload, at 31)",
};

/** A code-pair kind of the cross-checks: a path's, or the region pairs two agreeing regions are made of. */
const codeKindName = (kind: PopulationTail['codes'][number]['kind']): string =>
  kind === 'regionPair' ? 'region against region (for two agreeing regions)' : PATH_NAMES[kind];

/** Recall (report half) at the thresholds the per-path policy allows, and the transformations whose recall changes. */
export interface PolicyCheck {
  thresholds: { full: number; whole: number; region: number };
  overall: number;
  lines: { name: string; shipped: number; policy: number }[];
}

/** Within the multi-index radius both methods see every set pair: their counts must be equal. */
export interface RadiusCheck {
  kMax: number;
  byPopulation: { name: string; index: number; bruteForce: number }[];
}

const sci = (x: number): string => (x === 0 ? '0' : x.toExponential(1));
const int = (x: number): string => Math.round(x).toLocaleString('en');
/** Expected false matches per million uploads against the bank, from a share per set pair. */
export const perMillion = (share: number): number => share * BANK * 1e6;

/** Columns of the tail table: every 4 bits from 0 to the reach. */
function columns(reach: number): number[] {
  const ks: number[] = [];
  for (let k = 0; k <= reach; k += 4) ks.push(k);
  if (ks[ks.length - 1] !== reach) ks.push(reach);
  return ks;
}

function boundCells(b: TailBound): string {
  const check = b.concavity;
  const concave =
    check.from === null
      ? 'too few to check'
      : `${check.ok ? 'concave' : `**not concave**: ${check.violations} rise${check.violations === 1 ? '' : 's'} beyond 3 σ`} over k = ${check.from}…${check.to}` +
        (check.at !== null ? ` (largest slope rise ${check.largestRise.toFixed(3)} at k = ${check.at}, ${check.sigmas.toFixed(1)} σ)` : '');
  const how =
    b.method === 'two-point line'
      ? `k1 = ${b.k1}: ${int(b.n1)} (≤ ${int(b.n1Upper)}), k2 = ${b.k2}: ${int(b.n2)} (≥ ${int(b.n2Lower)}); design effect ${b.designEffect1.toFixed(1)} / ${b.designEffect2.toFixed(1)}; slope ${b.slope.toFixed(3)} decades per bit`
      : b.method === 'measured'
        ? `measured: ${int(b.n1)} within the thresholds (≤ ${int(b.n1Upper)})`
        : `no line (fewer than the rule's set pairs within reach): the count at k = ${b.k1}, ${int(b.n1)} (≤ ${sci(b.n1Upper)}), bounds S(0) by monotonicity`;
  const above = b.aboveLine > 0 ? `; **${b.aboveLine} measured point${b.aboveLine === 1 ? '' : 's'} below k1 above the line** (not a bound)` : '';
  return `${how} | ${concave}${above} | ${sci(b.share)} | ${sci(perMillion(b.share))}`;
}

function populationLines(p: PopulationTail, reach: number, title: string): string[] {
  const ks = columns(reach);
  const l: string[] = [];
  l.push(`**${title}**: ${int(p.setPairs)} set pairs, from ${int(p.picturePairs)} (upload picture, registered picture) pairs.`, '');
  l.push(`| path (threshold) | ${ks.map((k) => `k = ${k}`).join(' | ')} |`, `|---|${ks.map(() => '---').join('|')}|`);
  for (const path of p.paths) {
    const label = path.row === 'any' ? PATH_NAMES.any : `${PATH_NAMES[path.row]} (${path.threshold})`;
    l.push(`| ${label} | ${ks.map((k) => int(path.count[k]!)).join(' | ')} |`);
  }
  l.push('', '| path | the two points (95 % limits) | log S(k) over the measured range | bound on S(0) per set pair | per million uploads against 1 M |', '|---|---|---|---|---|');
  for (const path of p.paths) l.push(`| ${PATH_NAMES[path.row]} | ${boundCells(path.bound)} |`);
  const dominant = [...p.paths.slice(0, TAIL_PATHS.length)].sort((a, b) => b.bound.share - a.bound.share)[0]!;
  l.push(
    `| **union over the five paths** | Σ of the bounds above | | **${sci(p.union)}** | **${sci(perMillion(p.union))}** |`,
    `| counted at the thresholds (no shape assumed) | ${int(p.counted.observed)} set pairs within the thresholds, design effect ${p.counted.designEffect.toFixed(1)} (where the tail starts) | | ${sci(p.counted.share)} | ${sci(perMillion(p.counted.share))} |`,
    '',
    `The path that sets the rate: **${PATH_NAMES[dominant.row]}** (${sci(dominant.bound.share)} of ${sci(p.union)}).`,
    '',
  );
  if (p.nearest.length) {
    l.push(
      'The closest picture pairs per path (an upload picture, the closest of its variants, against a registered picture; margin in bits above the path\'s threshold; how many variants came within 24 bits): ' +
        TAIL_PATHS.map((path) => {
          const rows = p.nearest.filter((x) => x.path === path).slice(0, 5);
          return rows.length ? `${PATH_NAMES[path]}: ${rows.map((x) => `${x.upload} against ${x.registered} (${x.margin}${x.sets > 1 ? `, ${x.sets} variants` : ''})`).join('; ')}` : '';
        })
          .filter(Boolean)
          .join('. ') +
        '.',
      '',
    );
  }
  l.push(
    'Cross-check on code pairs (every code pair of these set pairs, histogrammed by kind; the same bound rule on the share of code pairs within threshold + k; ' +
      'expected code pairs within the threshold per set pair bounds the path\'s share by the union bound; two agreeing regions by one region pair within their threshold). ' +
      'Its Poisson limits take code pairs as independent (no design effect: the 8 dihedral codes and the variants of one photo are not), so it is the less guarded of the two; it reaches further down because code pairs are 10³ times more numerous:',
    '',
    '| kind of code pair (threshold) | code pairs | within the threshold | within +4 / +8 / +16 | bound on the share of code pairs | expected per set pair | the path\'s set-pair bound (above) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const c of p.codes) {
    const name = codeKindName(c.kind);
    const path = p.paths.find((x) => x.row === (c.kind === 'regionPair' ? 'agree' : c.kind))!;
    const ratio = c.perSetPair > 0 && path.bound.share > 0 ? Math.log10(c.perSetPair / path.bound.share) : 0;
    const apart = Math.abs(ratio) > 1 ? ` (${ratio > 0 ? 'code pairs higher' : 'set pairs higher'} by 10^${Math.abs(ratio).toFixed(1)})` : '';
    l.push(`| ${name} (${c.threshold}) | ${int(c.codePairs)} | ${int(c.count[0] ?? 0)} | ${[4, 8, 16].map((k) => int(c.count[k] ?? 0)).join(' / ')} | ${sci(c.bound.share)} (${c.bound.method}${c.bound.k1 !== null && c.bound.method === 'two-point line' ? `, k = ${c.bound.k1}, ${c.bound.k2}` : ''}) | ${sci(c.perSetPair)} | ${sci(path.bound.share)}${apart} |`);
  }
  l.push(`| **union** (today's matching left out: it is the whole-picture path without the upload floor) | | | | | **${sci(p.codeUnion)}** (${sci(perMillion(p.codeUnion))} per million uploads against 1 M) | ${sci(p.union)} |`, '');
  l.push(
    '**A model reading, not a bound**: a Gaussian (a parabola in log counts) fitted by least squares to the lower tail of each code-pair distance histogram ' +
      `(from its 10⁻⁴ quantile to its 5 % quantile), its centre and σ, the residuals of log10 counts over the fitted range, how far the measured count stands above the model where the tail is first measured (30 code pairs), and its count within the threshold summed from the model ` +
      '(what a binomial-like bulk would give; the clusters of similar pictures above are exactly what it does not model):',
    '',
    '| kind of code pair (threshold) | Gaussian | fitted distances | centre | σ | residuals, rms / largest (decades) | measured ÷ model up to the first 30 code pairs | code pairs within the threshold, model | per set pair | per million uploads against 1 M |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const c of p.codes) {
    const name = codeKindName(c.kind);
    const g = c.gaussian;
    l.push(
      g
        ? `| ${name} (${c.threshold}) | ${g.method === 'lower tail' ? 'fitted to the lower tail' : g.method === 'centred' ? "centred on the bulk's mean, σ fitted to the lower tail (which is not concave: heavier than Gaussian)" : "the bulk's mean and σ (the lower tail is not concave: heavier than Gaussian)"} | ${g.from}–${g.to} | ${g.centre.toFixed(1)} | ${g.sigma.toFixed(1)} | ${g.rms.toFixed(2)} / ${g.largest.toFixed(2)} | 10^${g.excess.toFixed(1)} (d ≤ ${g.first}) | ${sci(g.predicted)} | ${sci(g.perSetPair)} | ${sci(perMillion(g.perSetPair))} |`
        : `| ${name} (${c.threshold}) | none (too few code pairs) | | | | | | | | |`,
    );
  }
  const binomialRows = p.codes.filter((c) => c.binomial && c.kind !== 'today');
  const modelUnion = (pick: (c: PopulationTail['codes'][number]) => number | undefined) => p.codes.filter((c) => c.kind !== 'today').reduce((a, c) => a + (pick(c) ?? 0), 0);
  l.push(
    '',
    "Daugman's degrees-of-freedom binomial (the field's classic for impostor rates: the fractional distance of unrelated codes as the share of successes in N independent trials, " +
      "p the histogram's mean fraction, N and the amplitude fitted to the same lower tail), also a model reading:",
    '',
    '| kind of code pair (threshold) | degrees of freedom N | p | residuals, rms / largest (decades) | measured ÷ model up to the first 30 code pairs | per set pair | per million uploads against 1 M |',
    '|---|---|---|---|---|---|---|',
  );
  for (const c of p.codes) {
    const name = codeKindName(c.kind);
    const b = c.binomial;
    l.push(b ? `| ${name} (${c.threshold}) | ${b.dof.toFixed(0)} | ${b.p.toFixed(3)} | ${b.rms.toFixed(2)} / ${b.largest.toFixed(2)} | 10^${b.excess.toFixed(1)} (d ≤ ${b.first}) | ${sci(b.perSetPair)} | ${sci(perMillion(b.perSetPair))} |` : `| ${name} (${c.threshold}) | none | | | | | |`);
  }
  l.push(
    '',
    `Union over the code-pair kinds (today's matching left out), per million uploads against 1 M: Gaussian ${sci(perMillion(modelUnion((c) => c.gaussian?.perSetPair)))}, binomial ${sci(perMillion(modelUnion((c) => c.binomial?.perSetPair)))}` +
      (binomialRows.some((c) => c.binomial!.excess > 1) ? ': where the measured tail stands decades above the model (the column before), the model says nothing about the lumps that set the rate.' : '.'),
    '',
  );
  return l;
}

/**
 * The thresholds policy per path on the tune half, from the brute-force margins (not limited
 * by a search radius): one below the closest tune-half impostor of the path, less `margin`.
 */
export function policyPerPath(p: PopulationTail, t: TailSummary, margin: number): { path: TailPath; shipped: number; closest: number | null; policy: number | null }[] {
  return TAIL_PATHS.map((path, r) => {
    const shipped = t.thresholds[path];
    const counts = p.tuneCount[r]!;
    const k = counts.findIndex((c) => c > 0);
    // Below k = 0 (a false match on the tune half) the policy needs the exact distance: not counted here.
    const closest = k < 0 ? null : shipped + k;
    return { path, shipped, closest, policy: closest === null || k === 0 ? null : Math.max(0, Math.round((closest - 1) * (1 - margin))) };
  });
}

const todayOf = (p: PopulationTail): number => p.paths.find((x) => x.row === 'today')!.bound.share;

/** The slope and first point the chord would need on the dominant path to read the target (see the report). */
export function whatWouldShow(p: PopulationTail, minCount = 30): { path: TailPath; slope: number; k1: number; kNeeded: number } | null {
  const dominant = [...p.paths.slice(0, TAIL_PATHS.length)].sort((a, b) => b.bound.share - a.bound.share)[0]!;
  const c = dominant.count;
  const reach = c.length - 1;
  if (reach < 8 || !(c[reach - 8]! > 0)) return null;
  const slope = Math.log10(c[reach]! / c[reach - 8]!) / 8;
  if (!(slope > 0)) return null;
  const first = Math.log10(minCount / p.setPairs);
  return { path: dominant.row as TailPath, slope, k1: dominant.bound.k1 ?? reach, kNeeded: (first + 12) / slope };
}

export function tailMarkdown(
  t: TailSummary,
  check?: RadiusCheck,
  policyMargin?: number,
  policy?: PolicyCheck & { shippedOverall: number; shipped: { full: number; whole: number; region: number } },
): string[] {
  const l: string[] = [];
  const photo = t.populations.find((p) => p.name === 'photo-like')!;
  const all = t.populations.find((p) => p.name === 'every image');
  const th = t.thresholds;
  l.push('## Expected false matches against a bank of 1 M images', '');
  l.push(
    `**Bank model.** What victims register are photographs: the headline bank is the **photo-like** registered pictures (the corpus photos, and the distractors whose whole picture passes the graphic gate: wallpapers, renders, sample photographs). ` +
      'Uploads are every query set (photo variants, photos and every distractor: icons, dialogs, screenshots, clipart, as platforms see them). ' +
      'The bank of every registrable image, icons and dialogs included, is shown beside it.',
    '',
    `**Margins, far beyond the search radius.** Every code pair of every impostor set pair was compared (brute force, ${int(t.codePairs)} code pairs in ${Math.round(t.seconds)} s on the evaluation's worker threads), ` +
      `and each set pair's margin on each decision path counted out to ${t.reach} bits above the thresholds: its closest allowed code pair on that path less the path's threshold ` +
      `(whole picture against whole picture ${th.full}, other whole-picture pairs ${th.whole}, a lone upload region ${th.lone}, two agreeing regions ${th.agree} (the larger of the two distances), ` +
      `a flat-graphic upload's whole picture ${th.graphic}); a set pair's margin is the least over paths: the least uniform raise of the thresholds at which the shipped decision ` +
      '(src/hashing/profile/decision.ts, read as in src/eval/profile-rules.ts) would accept it. S(k) is the share of set pairs whose margin is at most k; S(0) is the false-match rate per (upload, registered image).',
    '',
  );
  if (check) {
    l.push(
      `Agreement with the multi-index search (margins up to ${check.kMax} bits, where it sees every code pair): ` +
        check.byPopulation.map((c) => `${c.name} ${int(c.index)} set pairs by the index, ${int(c.bruteForce)} by brute force${c.index === c.bruteForce ? '' : ' (**differ**)'}`).join('; ') +
        '.',
      '',
    );
  }
  l.push(
    `**The bound.** Per path, k1 is the lowest k ≥ 1 holding at least ${t.rule.minCount} set pairs and k2 = k1 + ${t.rule.gap}; the straight line through log S at k1 (count at its upper ${Math.round(t.rule.confidence * 100)} % Poisson limit) ` +
      `and at k2 (count at its lower limit) is read at k = 0. Set pairs of one picture are not independent (a photo is uploaded as its 63 variants and itself; a registered picture meets every upload): ` +
      'counts are divided by a design effect (Σ of squared per-picture counts over the count, the larger of the upload side and the registered side) before the limits are taken and multiplied back after. ' +
      'The line never stands above the count at the reach (S is monotone). The union over paths (a sum, whatever their dependence) bounds the rate.',
    '',
    '**Assumptions.** (1) log S(k) is concave below the data, between k = 0 and k1 (a log-concave margin: the Hamming distance of independent bits is binomial, and the minimum of i.i.d. log-concave distances is log-concave; ' +
      'then the chord through two points lies above log S below them). The check: over the measured range, the slope of log S must not rise from one k to the next by more than 3 sampling errors; a rise is a plateau or a mixture ' +
      '(a cluster of near-identical pictures), where the line is not a bound. (2) Uploads and bank pictures are like these: the corpus photos (95) and the photo-like distractors stand for what victims register, ' +
      'the 11 k distractors for what platforms see. (3) Each picture is in the corpus once (copies merged before hashing). (4) Clusters are the pictures: the design effect covers variants of one photo, not families of near-identical pictures across packages.',
    '',
  );
  l.push(...populationLines(photo, t.reach, 'Photo-like registered pictures (the headline bank)'));
  if (all) {
    l.push(...populationLines(all, t.reach, 'Every registrable image (icons, dialogs, clipart and screenshots registered too)'));
    const worse = all.paths.slice(0, TAIL_PATHS.length).filter((p) => !p.bound.concavity.ok || p.bound.aboveLine > 0);
    l.push(
      `Why the two banks differ: registered icons, dialogs and checkerboards have degenerate PDQ hashes (decided by a few edges) that crowd close to each other and to graphic uploads; ` +
        (worse.length ? `here the checks flag ${worse.map((p) => PATH_NAMES[p.row]).join(', ')}. ` : 'every path of that bank passes the checks here. ') +
        'Victims do not register icons; the photo-like bank is the model of the target.',
      '',
    );
  }
  if (policyMargin !== undefined && all) {
    const rows = policyPerPath(all, t, policyMargin);
    l.push(
      `**The thresholds policy per path** (every image, tune half, ${int(all.tuneSetPairs)} set pairs; the closest impostor of each path found by brute force, not cut off by a search radius; ` +
        `one bit below it, less ${Math.round(policyMargin * 100)} %): ` +
        rows.map((r) => `${PATH_NAMES[r.path]}: shipped ${r.shipped}, closest tune impostor ${r.closest ?? `beyond ${r.shipped + t.reach}`}, policy ${r.policy ?? '—'}`).join('; ') +
        ". The whole picture against the whole picture keeps PDQ's own threshold by design (today's matching, unchanged); a path whose policy value is above its shipped threshold is shipped tighter than the policy allows." +
        (policy && (policy.thresholds.whole !== policy.shipped.whole || policy.thresholds.region !== policy.shipped.region)
          ? ` Shipped above the policy: ${[policy.thresholds.whole !== policy.shipped.whole ? `other whole-picture pairs ${policy.shipped.whole} > ${policy.thresholds.whole}` : '', policy.thresholds.region !== policy.shipped.region ? `two agreeing regions ${policy.shipped.region} > ${policy.thresholds.region}` : ''].filter(Boolean).join(', ')}. ` +
            `At the policy's thresholds (whole ${policy.thresholds.whole}, region ${policy.thresholds.region}) recall on the report half is ${(100 * policy.overall).toFixed(1)} % (shipped ${(100 * policy.shippedOverall).toFixed(1)} %)` +
            (policy.lines.length ? `; lines that change: ${policy.lines.map((x) => `${x.name} ${(100 * x.shipped).toFixed(1)} → ${(100 * x.policy).toFixed(1)} %`).join(', ')}.` : '; no line changes.')
          : ''),
      '',
    );
  }
  const best = (p: PopulationTail) => Math.min(p.union, p.counted.share);
  const show = whatWouldShow(photo, t.rule.minCount);
  l.push(
    `**What would show it.** By counting alone (no shape assumed), with nothing seen: ${sci((3 * photo.counted.designEffect) / TARGET_SHARE)} set pairs ` +
      `(3 / 10⁻¹², times the design effect ${photo.counted.designEffect.toFixed(1)}), against ${sci(photo.setPairs)} here. ` +
      (show
        ? `By the chord: it reads ${sci(TARGET_SHARE)} only if log10 S(k1) − slope · k1 ≤ −12; with ${int(t.rule.minCount)} set pairs at k1 (${sci(t.rule.minCount / photo.setPairs)} of this sample) ` +
          `and the steepest slope measured on the dominant path (${PATH_NAMES[show.path]}: ${show.slope.toFixed(3)} decades per bit, k = ${t.reach - 8}…${t.reach}), ` +
          `the closest ${int(t.rule.minCount)} set pairs would have to lie ≥ ${show.kNeeded.toFixed(0)} bits above the threshold, against ${show.k1} now: ` +
          `the lump of similar pictures would have to move ≥ ${Math.max(0, show.kNeeded - show.k1).toFixed(0)} bits further from matching.`
        : 'The chord cannot be read on the dominant path (no slope measured).'),
    '',
  );
  const verdict = best(photo) <= TARGET_SHARE;
  const failing = photo.paths.slice(0, TAIL_PATHS.length).filter((p) => !p.bound.concavity.ok || p.bound.aboveLine > 0);
  l.push(
    `**Expected false matches against 1 M photo-like registered pictures: ≤ ${sci(perMillion(best(photo)))} per million uploads** ` +
      `(${photo.union <= photo.counted.share ? 'the union of the per-path bounds' : 'counted at the thresholds, below the union of the per-path lines'}, ${sci(best(photo))} per set pair; ` +
      `the smaller of two 95 % bounds, so together at least 90 %; target ≤ 1, a share of ${sci(TARGET_SHARE)}): ` +
      (verdict ? '**the target is met** under the assumptions above' : '**the target is not shown**') +
      (failing.length ? `, with the concavity check failing on ${failing.map((p) => PATH_NAMES[p.row]).join(', ')}` : ', every path passing the concavity check') +
      `. The code-pair cross-check gives ${sci(perMillion(photo.codeUnion))}` +
      (Math.abs(Math.log10(Math.max(1e-300, photo.codeUnion)) - Math.log10(Math.max(1e-300, photo.union))) > 1 ? ` (more than a factor 10 apart: ${photo.codeUnion > photo.union ? 'counting every code pair of a set pair overcounts: its code pairs are strongly correlated (8 dihedral codes, overlapping regions)' : 'the set-pair line is the looser of the two'})` : ' (within a factor 10)') +
      (all ? `. Against every registrable image: ≤ ${sci(perMillion(best(all)))}` : '') +
      `. Today's matching alone, by the same method (its own row above): ≤ ${sci(perMillion(todayOf(photo)))} against the photo-like bank${all ? `, ≤ ${sci(perMillion(todayOf(all)))} against every image` : ''}: ` +
      'the profile keeps today\'s whole-picture matching by design, and that path is the one that sets the rate.',
    '',
  );
  return l;
}
