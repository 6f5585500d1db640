/**
 * The brute-force impostor tail of `rempart eval-profile` (profile-tail.ts) and its bound
 * (tail-bound.ts): the margins it counts are the shipped decision's, set pair by set pair
 * (against profile-rules.ts `routeMinima` over every code pair, and against the multi-index
 * search where both exist); the bound holds on known tails and flags a plateau; the report
 * section says what it found.
 */
import { describe, expect, it } from 'vitest';
import { impostors, photoLike, registrable, type CorpusEntry } from '../src/eval/profile-analysis.js';
import { codeHits, routeMinima, shippedRule, type Thresholds } from '../src/eval/profile-rules.js';
import type { ProfileResult } from '../src/eval/profile-task.js';
import { PDQ_REGIONS, type Role } from '../src/hashing/profile/profile.js';
import { popcount32 } from '../src/hashing/hamming.js';
import { addCounts, binomialTail, emptyCounts, gaussianTail, nameListed, pathThresholds, scanTail, summariseTail, tailInputs, tailShape, TAIL_ROWS, type TailCounts } from '../src/eval/profile-tail.js';
import { concavity, poissonLower, poissonUpper, tailBound } from '../src/eval/tail-bound.js';
import { policyPerPath, tailMarkdown } from '../src/eval/profile-tail-report.js';
import { radiusCheck, type CloseUnderRule } from '../src/eval/profile-report.js';
import { seededRandom } from './helpers/random.js';
import { nearWords, packSet, randomWords, type TestCode } from './helpers/packed-sets.js';

const distance = (a: Uint32Array, i: number, b: Uint32Array, j: number): number => {
  let d = 0;
  for (let k = 0; k < 8; k++) d += popcount32(a[8 * i + k]! ^ b[8 * j + k]!);
  return d;
};

/**
 * A corpus whose codes lie near a few shared bases (so every path has close pairs), with
 * regions on a grid (so region pairs agree or not), graphic and low-quality uploads, photos,
 * packages and concepts.
 */
function corpus(seed: number, pictures = 30): CorpusEntry[] {
  const random = seededRandom(seed);
  const bases = Array.from({ length: 5 }, () => randomWords(random));
  const derived: Role[] = ['trimmed', 'window', 'tilt'];
  const grid = (k: number): [number, number, number, number] => {
    const x = (k % 3) / 3;
    const y = Math.floor(k / 3) / 3;
    return [x, y, x + 1 / 3, y + 1 / 3];
  };
  const codes = (query: boolean, graphic: boolean, quality: number): TestCode[] => {
    const out: TestCode[] = [];
    const full = nearWords(bases[Math.floor(random() * bases.length)]!, 10 + Math.floor(random() * 60), random);
    out.push({ role: 'full', words: full, quality, flat: graphic ? 0.99 : 0 });
    for (let i = 0; i < 3; i++) out.push({ role: derived[Math.floor(random() * 3)]!, words: nearWords(bases[Math.floor(random() * bases.length)]!, Math.floor(random() * 70), random), quality: 40 + Math.floor(random() * 60), flat: random() < 0.15 ? 0.99 : 0 });
    // Regions: region k of every picture lies near base k % 5, in grid cell k (so unrelated pictures' regions agree often).
    for (let k = 0; k < 5; k++) out.push({ role: 'region', words: nearWords(bases[k]!, 4 + Math.floor(random() * 50), random), quality: 45 + Math.floor(random() * 55), flat: random() < 0.1 ? 0.99 : 0, box: grid(query ? (k + (random() < 0.3 ? 1 : 0)) % 9 : k) });
    return out;
  };
  const entries: CorpusEntry[] = [];
  for (let e = 0; e < pictures; e++) {
    const photo = e % 6 === 1;
    const graphic = !photo && e % 4 === 0;
    const group = photo ? `photo:${e}` : `package:${e % 5}`;
    const concept = !photo && e % 7 === 0 ? `icon:${e % 3}` : undefined;
    const registered = packSet(codes(false, graphic, e % 9 === 5 ? 30 : 60 + (e % 40)));
    const queries = Array.from({ length: photo ? 4 : 1 }, (_, v) => packSet(codes(true, graphic, v === 2 ? 20 : 55 + ((e * 7 + v) % 45))));
    const result: ProfileResult = { width: 100, height: 100, registered, queries, baseline: { registered: new Uint32Array(8), queries: [] }, ms: { register: 0, query: [] }, errors: [] };
    entries.push({ name: `picture-${e}`, kind: photo ? 'photo' : 'distractor', group, split: e % 2 ? 'tune' : 'report', result, ...(concept ? { concept } : {}) });
  }
  return entries;
}

const rule = shippedRule(PDQ_REGIONS);
const t: Thresholds = { ...PDQ_REGIONS.thresholds };
const thresholds = pathThresholds(rule, t);
const agreement = { agreeScale: rule.twoRegions!.agreeScale, agreeOffset: rule.twoRegions!.agreeOffset };
const marginOf = (m: { full: number; whole: number; region: number }) => Math.min(m.full - t.full, m.whole - t.whole, m.region - t.region);
const unrelated = (a: CorpusEntry, b: CorpusEntry) => a.group !== b.group && (a.concept === undefined || a.concept !== b.concept);

function scanAll(entries: CorpusEntry[], reach: number, chunkSets = 5): { counts: TailCounts; byUpload: Uint32Array[]; bank: ReturnType<typeof tailInputs>['bank'] } {
  const inputs = tailInputs(entries, rule, (s) => registrable(s), (s) => photoLike(s), () => true, chunkSets);
  const counts = emptyCounts(inputs.bank, 0, tailShape(thresholds, reach));
  const byUpload: Uint32Array[] = [];
  for (const chunk of inputs.chunks) {
    const c = scanTail({ bank: inputs.bank, queries: chunk.queries, thresholds, reach, agreement });
    addCounts(counts, c);
    byUpload.push(c.byUpload);
  }
  return { counts, byUpload, bank: inputs.bank };
}

describe('brute-force impostor tail (profile-tail.ts)', () => {
  const entries = corpus(11);
  const reach = 60;
  const { counts, byUpload, bank } = scanAll(entries, reach);
  const tail = summariseTail(counts, byUpload, bank, thresholds, reach, 0);

  it("counts each set pair's margin exactly as the shipped rule reads it from every code pair", () => {
    // Reference: every (query set, registrable set) of unrelated pictures, routeMinima over all code pairs.
    const reference = { all: new Array<number>(reach + 1).fill(0), photoLike: new Array<number>(reach + 1).fill(0), today: new Array<number>(reach + 1).fill(0) };
    let setPairs = 0;
    let codePairs = 0;
    let picturePairs = 0;
    for (const q of entries) {
      for (const r of entries) {
        if (!unrelated(q, r) || !registrable(r.result.registered)) continue;
        picturePairs++;
        for (const set of q.result.queries) {
          setPairs++;
          const hits = codeHits(set!, r.result.registered, 256, distance);
          const m = marginOf(routeMinima(hits, rule, t));
          // Today's matching: the closest whole picture against whole picture, whatever the upload's quality.
          const today = Math.min(257, ...hits.filter((h) => h.kind === 'full').map((h) => h.distance)) - t.full;
          for (let k = Math.max(0, today); k <= reach; k++) reference.today[k]!++;
          for (let k = Math.max(0, m); k <= reach; k++) {
            reference.all[k]!++;
            if (photoLike(r.result.registered)) reference.photoLike[k]!++;
          }
          codePairs += hits.length;
        }
      }
    }
    const every = tail.populations.find((p) => p.name === 'every image')!;
    const photo = tail.populations.find((p) => p.name === 'photo-like')!;
    expect(every.setPairs).toBe(setPairs);
    expect(every.picturePairs).toBe(picturePairs);
    expect(picturePairs).toBeLessThan(setPairs);
    // Counted at the thresholds: the false matches seen at their upper limit, with the design effect where the tail starts.
    expect(every.counted.observed).toBe(reference.all[0]);
    expect(every.counted.share).toBeGreaterThan(reference.all[0]! / setPairs);
    expect(every.paths.find((p) => p.row === 'any')!.count).toEqual(reference.all);
    expect(photo.paths.find((p) => p.row === 'any')!.count).toEqual(reference.photoLike);
    expect(every.paths.find((p) => p.row === 'today')!.count).toEqual(reference.today);
    expect(reference.today[0]).toBeGreaterThan(0);
    // The corpus reaches every path, false matches included, and margins all along the reach.
    expect(reference.all[0]).toBeGreaterThan(0);
    expect(reference.all[20]).toBeLessThan(reference.all[reach]!);
    for (const row of TAIL_ROWS) expect(every.paths.find((p) => p.row === row)!.count[reach], row).toBeGreaterThan(0);
    expect(counts.codePairs).toBeGreaterThan(0);
    expect(codePairs).toBeGreaterThanOrEqual(counts.codePairs);
  });

  it('agrees with the multi-index search within its radius (the radius check of the report)', () => {
    const radius = 44;
    const found = impostors(entries, radius, undefined, undefined, radius);
    const close: CloseUnderRule[] = found.detailed.map((d) => ({ ...routeMinima(d.hits, rule, t), registered: d.registered, photoLike: d.photoLike, split: d.split, today: 257 }));
    const check = radiusCheck(close, t, radius, tail);
    expect(check.kMax).toBe(13);
    for (const p of check.byPopulation) {
      expect(p.bruteForce, p.name).toBe(p.index);
      expect(p.index).toBeGreaterThan(0);
    }
    // Set pair by set pair too: the index's margins ≤ 13 are the brute force's (histogram of margins).
    const byIndex = new Array<number>(14).fill(0);
    for (const c of close) {
      const m = marginOf(c);
      for (let k = Math.max(0, m); k <= 13; k++) byIndex[k]!++;
    }
    expect(tail.populations.find((p) => p.name === 'every image')!.paths.find((p) => p.row === 'any')!.count.slice(0, 14)).toEqual(byIndex);
  });

  it('lists the close set pairs of each path by name', () => {
    const inputs = tailInputs(entries, rule, (s) => registrable(s), (s) => photoLike(s), () => true, 10_000);
    const chunk = inputs.chunks[0]!;
    const c = scanTail({ bank: inputs.bank, queries: chunk.queries, thresholds, reach, agreement, listBelow: 10 });
    const listed = nameListed(c.nearest, chunk.queries, chunk.pictures, inputs.registered, inputs.bank);
    const every = tail.populations.find((p) => p.name === 'every image')!;
    TAIL_ROWS.slice(0, 5).forEach((row, r) => expect(listed.filter((x) => x.path === r).length, row).toBe(every.paths[r]!.count[10]));
    expect(listed.length).toBeGreaterThan(0);
    for (const x of listed) {
      expect(x.margin).toBeLessThanOrEqual(10);
      const q = entries.find((e) => e.name === x.upload)!;
      const reg = entries.find((e) => e.name === x.registered)!;
      expect(unrelated(q, reg)).toBe(true);
    }
    const named = summariseTail(c, [c.byUpload], inputs.bank, thresholds, reach, 0, undefined, undefined, listed);
    const near = named.populations.find((p) => p.name === 'every image')!.nearest;
    expect(near.length).toBeGreaterThan(0);
    expect(near.every((x, i) => i === 0 || near[i - 1]!.path !== x.path || near[i - 1]!.margin <= x.margin)).toBe(true);
  });

  it('scans the same in one chunk or many (worker threads take chunks)', () => {
    const one = scanAll(entries, reach, 10_000);
    expect(Array.from(one.counts.margins)).toEqual(Array.from(counts.margins));
    expect(Array.from(one.counts.codes)).toEqual(Array.from(counts.codes));
    expect(one.counts.codePairs).toBe(counts.codePairs);
  });
});

/** Share of set pairs with margin ≤ k when each is the least of m independent Binomial(n, ½) distances less `threshold`. */
function binomialMinTail(n: number, m: number, threshold: number, reach: number): number[] {
  const pmf: number[] = [];
  let logC = 0;
  for (let d = 0; d <= n; d++) {
    if (d > 0) logC += Math.log(n - d + 1) - Math.log(d);
    pmf.push(Math.exp(logC - n * Math.LN2));
  }
  const out: number[] = [];
  let cdf = 0;
  for (let d = 0; d <= threshold + reach; d++) {
    cdf += pmf[d] ?? 0;
    // 1 − (1 − F)^m, accurately for tiny F.
    if (d >= threshold) out.push(-Math.expm1(m * Math.log1p(-Math.min(cdf, 1 - 1e-16))));
  }
  return out;
}

describe('the bound (tail-bound.ts)', () => {
  it('reads a binomial distance histogram with a Gaussian model: centre, σ and the count within a threshold', () => {
    // 10⁹ code pairs at Binomial(256, ½) distances: centre 128, σ 8; within 80 bits: 10⁹ · P(d ≤ 80).
    const pmf: number[] = [];
    let logC = 0;
    for (let d = 0; d <= 256; d++) {
      if (d > 0) logC += Math.log(257 - d) - Math.log(d);
      pmf.push(Math.exp(logC - 256 * Math.LN2));
    }
    const hist = pmf.map((p) => Math.round(p * 1e9));
    const g = gaussianTail(hist, 80)!;
    expect(g.centre).toBeGreaterThan(120);
    expect(g.centre).toBeLessThan(136);
    expect(g.sigma).toBeGreaterThan(7);
    expect(g.sigma).toBeLessThan(9.5);
    const truth = pmf.slice(0, 81).reduce((a, p) => a + p, 0) * 1e9;
    expect(Math.abs(Math.log10(g.predicted / truth))).toBeLessThan(1);
    expect(g.rms).toBeLessThan(0.05);
    expect(g.method).toBe('lower tail');
    // PDQ codes have 128 bits set, so distances are even: the same histogram on even distances only reads the same.
    const even = hist.map((c, d) => (d % 2 === 0 ? c + (hist[d + 1] ?? 0) : 0));
    const e = gaussianTail(even, 80)!;
    expect(e.method).toBe('lower tail');
    expect(e.rms).toBeLessThan(0.1);
    expect(Math.abs(Math.log10(e.predicted / truth))).toBeLessThan(1);
    // A lower tail heavier than Gaussian (a lump of close pairs): read by the bulk's moments, its residuals large and positive.
    const heavy = hist.map((c, d) => c + (d >= 40 && d <= 90 ? 50 : 0));
    const m = gaussianTail(heavy, 80)!;
    expect(m.first).toBe(40);
    expect(m.excess).toBeGreaterThan(3);
    expect(m.centre).toBeGreaterThan(120);
    // A lower tail heavier than Gaussian (a wider Gaussian under a narrow bulk): centred on the mean, σ from the tail.
    const wide = pmf.map((p, d) => Math.round(p * 1e9 + 1e5 * Math.exp(-((d - 128) ** 2) / (2 * 20 ** 2))));
    const w = gaussianTail(wide, 80)!;
    expect(['lower tail', 'centred']).toContain(w.method);
    expect(w.sigma).toBeGreaterThan(9);
    // A lower tail that is nowhere concave is never read as a Gaussian fitted to it.
    const convex = Array.from({ length: 140 }, (_, d) => Math.round(10 ** (d / 14)));
    expect(gaussianTail(convex, 20)!.method).not.toBe('lower tail');
    expect(gaussianTail([0, 0, 3, 5], 1)).toBeNull();
    // Daugman's binomial finds the degrees of freedom: 256 for independent bits, fewer for correlated ones.
    const b = binomialTail(hist, 80)!;
    expect(b.dof).toBeGreaterThan(220);
    expect(b.dof).toBeLessThan(300);
    expect(Math.abs(Math.log10(b.predicted / truth))).toBeLessThan(0.5);
    // 100 independent trials stretched over 256 bits (bits move in groups): N ≈ 100.
    const grouped = new Array<number>(257).fill(0);
    let lc = 0;
    for (let k = 0; k <= 100; k++) {
      if (k > 0) lc += Math.log(101 - k) - Math.log(k);
      const d = Math.round((k * 256) / 100);
      grouped[d] = grouped[d]! + Math.round(Math.exp(lc - 100 * Math.LN2) * 1e9);
    }
    // Spread each group over its 2–3 distances so the histogram has no holes.
    const smooth = grouped.map((_, d) => (grouped[d - 1] ?? 0) / 3 + grouped[d]! / 3 + (grouped[d + 1] ?? 0) / 3);
    const c = binomialTail(smooth, 60)!;
    expect(c.dof).toBeGreaterThan(70);
    expect(c.dof).toBeLessThan(140);
  });

  it('takes exact one-sided Poisson limits', () => {
    expect(poissonUpper(0)).toBeCloseTo(-Math.log(0.05), 3);
    // χ² quantiles: 95 % upper limit of 30 is χ²(0.95; 62) / 2, lower limit χ²(0.05; 60) / 2.
    expect(poissonUpper(30)).toBeCloseTo(40.69, 1);
    expect(poissonLower(30)).toBeCloseTo(21.59, 1);
    expect(poissonLower(0)).toBe(0);
    // Large counts: Wilson–Hilferty, continuous with the exact limits.
    expect(poissonUpper(201) / poissonUpper(200)).toBeGreaterThan(1);
    expect(poissonUpper(1e6)).toBeCloseTo(1e6 + 1.645 * 1000, -1);
  });

  it('bounds a binomial tail from above, far below the data, and passes the concavity check', () => {
    for (const [n, m, threshold, total] of [
      [256, 500, 31, 1e10],
      [256, 50, 70, 1e7],
      [64, 20, 8, 1e6],
    ] as const) {
      const share = binomialMinTail(n, m, threshold, 60);
      const random = seededRandom(n + m);
      // Counts with sampling noise (normal approximation to Poisson, or exact for small means).
      const count = share.map((s) => {
        const mean = s * total;
        return Math.max(0, Math.round(mean + Math.sqrt(mean) * (random() + random() + random() - 1.5) * 2));
      });
      for (let k = 1; k < count.length; k++) count[k] = Math.max(count[k]!, count[k - 1]!);
      const b = tailBound({ total, count });
      expect(b.method).toBe('two-point line');
      expect(b.concavity.ok).toBe(true);
      expect(b.share, `n ${n} m ${m}`).toBeGreaterThanOrEqual(share[0]!);
      // Far below the data: the true share at 0 is below anything counted.
      expect(b.share).toBeLessThan((30 / total) * 0.1);
    }
  });

  it('flags a plateau (a cluster of near-identical pairs above the thresholds) and does not read a line through it as a tail', () => {
    const total = 1e11;
    const share = binomialMinTail(256, 500, 31, 48);
    // 2,000 set pairs of near-identical graphics at margins 3–5 above the thresholds, over a binomial tail.
    const count = share.map((s, k) => Math.round(s * total) + (k >= 5 ? 2000 : k >= 3 ? 1200 : 0));
    const check = concavity({ total, count });
    expect(check.ok).toBe(false);
    expect(check.violations).toBeGreaterThan(0);
    // A pure binomial tail of the same size passes.
    expect(concavity({ total, count: share.map((s) => Math.round(s * total)) }).ok).toBe(true);
  });

  it('says when measured points below k1 lie above the line (a cluster of close pairs under a steep bulk)', () => {
    // 20 set pairs at 3 bits, then a bulk doubling every bit from k = 10.
    const count = Array.from({ length: 30 }, (_, k) => (k >= 3 ? 20 : 0) + (k >= 10 ? 40 * 2 ** (k - 10) : 0));
    const b = tailBound({ total: 1e12, count });
    expect(b.k1).toBe(10);
    expect(b.aboveLine).toBeGreaterThan(0);
    // Without the cluster the line holds.
    expect(tailBound({ total: 1e12, count: count.map((c, k) => (k >= 10 ? c - 20 : 0)) }).aboveLine).toBe(0);
  });

  it('widens with the design effect (clustered set pairs count as fewer independent ones)', () => {
    const count = [0, 0, 2, 10, 40, 120, 300, 700, 1500, 3000, 6000, 11000, 20000];
    const plain = tailBound({ total: 1e9, count });
    const clustered = tailBound({ total: 1e9, count, designEffect: count.map(() => 8) });
    expect(clustered.k1).toBe(plain.k1);
    expect(clustered.n1Upper).toBeGreaterThan(plain.n1Upper);
    expect(clustered.share).toBeGreaterThan(plain.share);
  });

  it('falls back on the count at the reach when too few set pairs lie within it', () => {
    const b = tailBound({ total: 1e6, count: [0, 0, 0, 1, 1, 2] });
    expect(b.method).toBe('count at the reach');
    expect(b.share).toBeCloseTo(poissonUpper(2) / 1e6, 12);
    expect(tailBound({ total: 1e6, count: [0, 0, 0] }).method).toBe('none seen');
  });
});

describe('the report section (profile-tail-report.ts)', () => {
  it('shows the tail per path, the bound, its checks and the expected false matches against 1 M', () => {
    const entries = corpus(5, 24);
    const { counts, byUpload, bank } = scanAll(entries, 40);
    const tail = summariseTail(counts, byUpload, bank, thresholds, 40, 1.5);
    const md = tailMarkdown(tail, { kMax: 13, byPopulation: [{ name: 'photo-like', index: 3, bruteForce: 3 }] }).join('\n');
    expect(md).toContain('## Expected false matches against a bank of 1 M images');
    expect(md).toContain('Photo-like registered pictures (the headline bank)');
    expect(md).toContain('Every registrable image');
    expect(md).toContain('| two agreeing regions |');
    expect(md).toContain('union over the five paths');
    expect(md).toContain('photo-like 3 set pairs by the index, 3 by brute force.');
    expect(md).toMatch(/Expected false matches against 1 M photo-like registered pictures: ≤ \S+ per million uploads/);
    expect(md).toContain('Assumptions');
    expect(md).toContain('| counted at the thresholds (no shape assumed) |');
    expect(md).toContain("| today's matching alone (PDQ whole picture, 8 dihedral codes, every upload, at 31) |");
    expect(md).toContain('**A model reading, not a bound**');
    expect(md).toContain("Daugman's degrees-of-freedom binomial");
    expect(md).toContain('**What would show it.**');
    expect(md).toMatch(/Today's matching alone, by the same method \(its own row above\): ≤ \S+ against the photo-like bank/);
    const photo = tail.populations.find((p) => p.name === 'photo-like')!;
    expect(photo.union).toBeCloseTo(photo.paths.slice(0, 5).reduce((a, p) => a + p.bound.share, 0), 15);
    // The thresholds policy per path, from the tune half's closest impostor of each path.
    const every = tail.populations.find((p) => p.name === 'every image')!;
    for (const row of policyPerPath(every, tail, 0.25)) {
      const k = every.tuneCount[TAIL_ROWS.indexOf(row.path)]!.findIndex((c) => c > 0);
      if (k > 0) expect(row.policy).toBe(Math.round((tail.thresholds[row.path] + k - 1) * 0.75));
    }
    expect(tailMarkdown(tail, undefined, 0.25).join('\n')).toContain('**The thresholds policy per path**');
    // A shipped threshold above the policy's is named, with recall at the policy's and the lines that change.
    const above = tailMarkdown(tail, undefined, 0.25, {
      thresholds: { full: 31, whole: 31, region: 25 },
      overall: 0.929,
      lines: [{ name: 'tilt+3-inner', shipped: 0.629, policy: 0.543 }],
      shippedOverall: 0.931,
      shipped: { full: 31, whole: 31, region: 31 },
    }).join('\n');
    expect(above).toContain('Shipped above the policy: two agreeing regions 31 > 25.');
    expect(above).toContain('recall on the report half is 92.9 % (shipped 93.1 %); lines that change: tilt+3-inner 62.9 → 54.3 %.');
    // A differing radius check is called out.
    expect(tailMarkdown(tail, { kMax: 13, byPopulation: [{ name: 'photo-like', index: 3, bruteForce: 4 }] }).join('\n')).toContain('(**differ**)');
  });
});
