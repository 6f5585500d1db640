/**
 * Analysis of a matching-profile run: recall per transformation against each photo's own
 * registered set, impostor set pairs (the registered set of one image against the query
 * set of another, photos and distractors alike) through the engine's own exact index,
 * thresholds tuned on one half of the corpus and recall reported on the other, and the
 * expected false matches against a large bank extrapolated from the impostor tail. Pure:
 * no I/O.
 */
import { codeDistance, readCode } from '../hashing/hamming.js';
import { MultiIndexHashIndex } from '../index/mih.js';
import { PDQ_REGIONS, type PairKind } from '../hashing/profile/profile.js';
import { isGraphic, type GraphicRule } from '../hashing/profile/texture.js';
import { ROLES, TEXTURE_SCALE, type PackedSet, type ProfileResult } from './profile-task.js';
import type { CodeHit, Thresholds } from './profile-rules.js';

export type { Thresholds } from './profile-rules.js';

export interface CorpusEntry {
  name: string;
  kind: 'photo' | 'distractor';
  /** Entries of one group are never impostors of each other (one package reuses its own artwork). */
  group: string;
  /** Entries drawing one concept (an icon of the same name in two themes) are not impostors either. */
  concept?: string;
  split: Split;
  result: ProfileResult;
}

/** Whether two entries may be paired as impostors. */
export const unrelated = (a: CorpusEntry, b: CorpusEntry): boolean => a.group !== b.group && (a.concept === undefined || a.concept !== b.concept);

/**
 * The service's rules, applied on both sides exactly as `POST /v1/cases` and
 * `POST /v1/match/image` do: a picture whose PDQ hash is under the case quality floor
 * cannot be registered at all; derived registered hashes are kept only at or above the
 * profile's floor (the derivation drops the others); and every pair but full against full
 * needs a query hash of quality at or above the profile's floor.
 */
export interface QualityRules {
  /** The case policy's floor for a registered PDQ hash (REMPART_PDQ_QUALITY_FLOOR, 50). */
  registrationFloor: number;
  /** The profile's floor for derived hashes, applied to the query side of derived pairs. */
  derivedFloor: number;
  /**
   * The profile's graphic gate (texture.ts): derived hashes of flat graphics are neither
   * registered nor searched, and a flat graphic's whole-picture query hash meets only whole
   * pictures. The sets are hashed without it (their textures kept) and it is applied here.
   */
  graphic: GraphicRule;
}

export const DEFAULT_QUALITY_RULES: QualityRules = { registrationFloor: 50, derivedFloor: 50, graphic: PDQ_REGIONS.rules.graphic };

/** Whether code `i` of a set is a flat graphic under the rule. */
export const graphicCode = (set: PackedSet, i: number, rule: GraphicRule): boolean =>
  isGraphic({ flat: set.flat[i]! / TEXTURE_SCALE, levels: set.levels[i]! / TEXTURE_SCALE }, rule);

/** Whether a query code may take part in pairs other than full against full. */
export const queryOpen = (set: PackedSet, i: number, rules: QualityRules): boolean => set.quality[i]! >= rules.derivedFloor && !graphicCode(set, i, rules.graphic);

/**
 * Whether a registered code exists for matching at all: the whole picture always (today's
 * matching); derived hashes unless the graphic gate drops them (the derivation already
 * dropped those under the quality floor).
 */
export const registeredOpen = (set: PackedSet, j: number, rules: QualityRules): boolean => set.roles[j] === FULL || !graphicCode(set, j, rules.graphic);

/** Whether a registered set's whole picture passes the graphic gate (a photograph, a render, a textured wallpaper). */
export function photoLike(set: PackedSet, rules: QualityRules = DEFAULT_QUALITY_RULES): boolean {
  const i = set.roles.indexOf(FULL);
  return i >= 0 && !graphicCode(set, i, rules.graphic);
}

/** Whether the service would register this set: its full (service PDQ) hash reaches the floor. */
export function registrable(set: PackedSet, rules: QualityRules = DEFAULT_QUALITY_RULES): boolean {
  for (let i = 0; i < set.roles.length; i++) if (set.roles[i] === FULL) return set.quality[i]! >= rules.registrationFloor;
  return false;
}

export type Split = 'tune' | 'report';
export const SPLITS: readonly Split[] = ['tune', 'report'];
const KINDS: readonly PairKind[] = ['full', 'whole', 'region'];
const FULL = ROLES.indexOf('full');
const REGION = ROLES.indexOf('region');

/** Deterministic half of the corpus an image belongs to (FNV-1a of its name). */
export function splitOf(name: string): Split {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return (h & 1) === 0 ? 'tune' : 'report';
}


export interface PairMinimum {
  full: number;
  whole: number;
  region: number;
}

const none = (): PairMinimum => ({ full: 257, whole: 257, region: 257 });
function kindOf(queryRole: number, registeredRole: number): PairKind {
  if (queryRole === FULL && registeredRole === FULL) return 'full';
  return queryRole === REGION && registeredRole === REGION ? 'region' : 'whole';
}

/**
 * Smallest distance per kind of pair between a query set and a registered set (257 = none),
 * under the service's quality rules (an unregistrable set meets nothing).
 */
export function setDistance(query: PackedSet, registered: PackedSet, rules: QualityRules = DEFAULT_QUALITY_RULES): PairMinimum & { via: string } {
  const best = { ...none(), via: '' };
  if (!registrable(registered, rules)) return best;
  const nq = query.roles.length;
  const nr = registered.roles.length;
  for (let i = 0; i < nq; i++) {
    const gated = !queryOpen(query, i, rules);
    for (let j = 0; j < nr; j++) {
      if (!registeredOpen(registered, j, rules)) continue;
      const kind = kindOf(query.roles[i]!, registered.roles[j]!);
      if (gated && kind !== 'full') continue;
      const d = codeDistance(query.words, i, registered.words, j);
      if (d < best[kind]) {
        best[kind] = d;
        if (kind === 'whole') best.via = `${ROLES[query.roles[i]!]}>${ROLES[registered.roles[j]!]}`;
      }
    }
  }
  return best;
}

export const matches = (m: PairMinimum, t: Thresholds): boolean => m.full <= t.full || m.whole <= t.whole || m.region <= t.region;

export interface GenuineResults {
  /** [photo][transformation]: minima per kind, and today's PDQ-with-dihedral distance. */
  minima: PairMinimum[][];
  baseline: number[][];
}

export function genuine(photos: readonly CorpusEntry[], transformations: number): GenuineResults {
  const minima: PairMinimum[][] = [];
  const baseline: number[][] = [];
  for (const photo of photos) {
    const r = photo.result;
    const row: PairMinimum[] = [];
    const base: number[] = [];
    for (let t = 1; t <= transformations; t++) {
      const q = r.queries[t];
      const bq = r.baseline.queries[t];
      row.push(q ? setDistance(q, r.registered) : none());
      // Today's service refuses to register a picture under the quality floor, too.
      let b = 257;
      if (bq && registrable(r.registered)) for (let k = 0; k < 8; k++) b = Math.min(b, codeDistance(bq, k, r.baseline.registered, 0));
      base.push(b);
    }
    minima.push(row);
    baseline.push(base);
  }
  return { minima, baseline };
}

/** A set pair with some code pair within the radius: minima per kind, and what the registered image was. */
export type CloseSetPair = PairMinimum & { registered: CorpusEntry['kind'] };

export interface ImpostorResults {
  radius: number;
  /** Per split (tune, report, and 'all' = every pair of different groups). */
  setPairs: Record<Split | 'all', number>;
  /** Set pairs (all) whose registered image is a photo: a bank of what victims register. */
  setPairsPhotoBank: number;
  /**
   * Set pairs (all) whose registered image looks like a photograph: a photo, or a distractor
   * (wallpaper, render, sample picture) whose whole picture passes the graphic gate.
   */
  setPairsPhotoLike: number;
  codePairs: Record<Split | 'all', Record<PairKind, number>>;
  /** Code pairs at each distance ≤ radius, per kind (all pairs). */
  codeTail: Record<PairKind, number[]>;
  /** Set pairs with some code pair within the radius: their minima, per split. */
  close: Record<Split | 'all', CloseSetPair[]>;
  /** The closest impostor set pair overall, by name. */
  closest?: { query: string; registered: string; kind: PairKind; distance: number };
  /** The closest impostor set pairs (up to 30), to look at what false matches are made of. */
  nearest: { query: string; registered: string; kind: PairKind; distance: number; roles: string }[];
  /** Images the service would refuse to register (PDQ quality under the case floor): queries only. */
  unregistrable: { photos: number; distractors: number };
  /**
   * Set pairs with a code pair within `detailRadius` whatever the graphic gate, with those
   * code pairs: what other decision rules are judged on (profile-rules.ts).
   */
  detailRadius: number;
  detailed: { query: string; registeredName: string; registered: CorpusEntry['kind']; photoLike: boolean; split: Split | null; hits: CodeHit[] }[];
}

/** Counts of registered sets and codes, per split. */
interface RegisteredCounts {
  sets: Record<Split, number>;
  /** Registered sets whose whole picture is not a flat graphic. */
  photoLike: Record<Split, number>;
  codes: Record<Split, number>;
  full: Record<Split, number>;
  region: Record<Split, number>;
}
const zeroCounts = (): RegisteredCounts => ({ sets: { tune: 0, report: 0 }, photoLike: { tune: 0, report: 0 }, codes: { tune: 0, report: 0 }, full: { tune: 0, report: 0 }, region: { tune: 0, report: 0 } });
function addCounts(into: RegisteredCounts, split: Split, set: PackedSet, rules: QualityRules): void {
  into.sets[split] += 1;
  if (photoLike(set, rules)) into.photoLike[split] += 1;
  set.roles.forEach((r, j) => {
    if (!registeredOpen(set, j, rules)) return;
    into.codes[split] += 1;
    if (r === FULL) into.full[split] += 1;
    else if (r === REGION) into.region[split] += 1;
  });
}

/**
 * Every query set against every registrable set of an unrelated image, through the
 * multi-index (exact range search up to `radius`): O(codes) searches instead of O(sets²)
 * scans. The service's quality rules hold on both sides; code pairs they rule out are
 * neither searched nor counted.
 */
export function impostors(
  entries: readonly CorpusEntry[],
  radius: number,
  onProgress?: (done: number, total: number) => void,
  rules: QualityRules = DEFAULT_QUALITY_RULES,
  detailRadius = 31,
): ImpostorResults {
  const E = entries.length;
  const canRegister = entries.map((e) => registrable(e.result.registered, rules));
  let regCount = 0;
  // Every registered code is searched (the gate is applied to what is found), so that other rules can be judged too.
  entries.forEach((e, ei) => canRegister[ei] && (regCount += e.result.registered.roles.length));
  const regEntry = new Int32Array(regCount);
  const regRole = new Uint8Array(regCount);
  const regCode = new Int32Array(regCount);
  const regStart = new Int32Array(E).fill(-1);
  const index = new MultiIndexHashIndex({ expectedSize: regCount });
  let id = 0;
  const code = new Uint8Array(32);
  entries.forEach((e, ei) => {
    if (!canRegister[ei]) return;
    const set = e.result.registered;
    regStart[ei] = id;
    for (let j = 0; j < set.roles.length; j++, id++) {
      regEntry[id] = ei;
      regRole[id] = set.roles[j]!;
      regCode[id] = j;
      index.add(id, readCode(set.words, j, code).slice());
    }
  });

  // Arithmetic totals: every (query set, registrable set) of unrelated images, and the code
  // pairs of each kind the rules allow. Excluded registered sets of one query entry: those
  // of its group, plus those of its concept, less those of both (inclusion-exclusion).
  const everything = zeroCounts();
  const byGroup = new Map<string, RegisteredCounts>();
  const byConcept = new Map<string, RegisteredCounts>();
  const byBoth = new Map<string, RegisteredCounts>();
  const at = (m: Map<string, RegisteredCounts>, key: string): RegisteredCounts => {
    let c = m.get(key);
    if (!c) m.set(key, (c = zeroCounts()));
    return c;
  };
  entries.forEach((e, ei) => {
    if (!canRegister[ei]) return;
    const set = e.result.registered;
    addCounts(everything, e.split, set, rules);
    addCounts(at(byGroup, e.group), e.split, set, rules);
    if (e.concept !== undefined) {
      addCounts(at(byConcept, e.concept), e.split, set, rules);
      addCounts(at(byBoth, `${e.group}\u0000${e.concept}`), e.split, set, rules);
    }
  });
  const setPairs = { tune: 0, report: 0, all: 0 };
  // Photos are groups of their own with no concept: every registrable photo but the query's own is open to it.
  const registrablePhotos = entries.filter((e, ei) => e.kind === 'photo' && canRegister[ei]).length;
  let setPairsPhotoBank = 0;
  let setPairsPhotoLike = 0;
  const codePairs = { tune: { full: 0, whole: 0, region: 0 }, report: { full: 0, whole: 0, region: 0 }, all: { full: 0, whole: 0, region: 0 } };
  for (const e of entries) {
    const g = byGroup.get(e.group) ?? zeroCounts();
    const c = e.concept !== undefined ? (byConcept.get(e.concept) ?? zeroCounts()) : zeroCounts();
    const gc = e.concept !== undefined ? (byBoth.get(`${e.group}\u0000${e.concept}`) ?? zeroCounts()) : zeroCounts();
    const open = (k: keyof RegisteredCounts, split: Split): number => everything[k][split] - g[k][split] - c[k][split] + gc[k][split];
    const openPhotos = registrablePhotos - (e.kind === 'photo' && canRegister[entries.indexOf(e)] ? 1 : 0);
    for (const q of e.result.queries) {
      if (!q) continue;
      setPairsPhotoBank += openPhotos;
      // Query codes: full ones meet registered full codes whatever their quality; every other
      // pair needs a query code at or above the derived floor.
      let nqFull = 0;
      let nqSharp = 0;
      let nqSharpFull = 0;
      let nqRegion = 0;
      for (let i = 0; i < q.roles.length; i++) {
        const sharp = queryOpen(q, i, rules);
        if (q.roles[i] === FULL) nqFull++;
        if (!sharp) continue;
        nqSharp++;
        if (q.roles[i] === FULL) nqSharpFull++;
        else if (q.roles[i] === REGION) nqRegion++;
      }
      for (const split of SPLITS) {
        const sets = open('sets', split);
        const full = open('full', split);
        const region = open('region', split);
        const codes = open('codes', split);
        const fullPairs = nqFull * full;
        const regionPairs = nqRegion * region;
        const wholePairs = nqSharp * codes - nqSharpFull * full - regionPairs;
        setPairs.all += sets;
        setPairsPhotoLike += open('photoLike', split);
        codePairs.all.full += fullPairs;
        codePairs.all.region += regionPairs;
        codePairs.all.whole += wholePairs;
        if (split === e.split) {
          setPairs[split] += sets;
          codePairs[split].full += fullPairs;
          codePairs[split].region += regionPairs;
          codePairs[split].whole += wholePairs;
        }
      }
    }
  }

  const codeTail: Record<PairKind, number[]> = { full: new Array(radius + 1).fill(0), whole: new Array(radius + 1).fill(0), region: new Array(radius + 1).fill(0) };
  const closeAll = new Map<number, PairMinimum>();
  const detail = new Map<number, CodeHit[]>();
  let closest: ImpostorResults['closest'];
  const nearest: ImpostorResults['nearest'] = [];
  let nearestCut = radius;
  let querySetId = 0;
  const totalSets = entries.reduce((n, e) => n + e.result.queries.filter(Boolean).length, 0);
  entries.forEach((e) => {
    e.result.queries.forEach((q, qi) => {
      if (!q) return;
      const setKey = querySetId++;
      for (let i = 0; i < q.roles.length; i++) {
        const queryRole = q.roles[i]!;
        const gated = !queryOpen(q, i, rules);
        for (const m of index.search(readCode(q.words, i, code), radius)) {
          const re = regEntry[m.id]!;
          if (!unrelated(e, entries[re]!)) continue;
          const kind = kindOf(queryRole, regRole[m.id]!);
          const registered = entries[re]!.result.registered;
          if (m.distance <= detailRadius) {
            const key = setKey * E + re;
            let list = detail.get(key);
            if (!list) detail.set(key, (list = []));
            list.push({ kind, distance: m.distance, query: q, i, registered, j: regCode[m.id]! });
          }
          if (kind !== 'full' && (gated || !registeredOpen(registered, regCode[m.id]!, rules))) continue;
          codeTail[kind][m.distance]!++;
          if (m.distance <= nearestCut) {
            nearest.push({ query: `${e.name} / ${qi}`, registered: entries[re]!.name, kind, distance: m.distance, roles: `${ROLES[queryRole]}>${ROLES[regRole[m.id]!]}` });
            if (nearest.length > 200) {
              nearest.sort((a, b) => a.distance - b.distance);
              nearest.length = 30;
              nearestCut = nearest[29]!.distance;
            }
          }
          const key = setKey * E + re;
          const held = closeAll.get(key) ?? none();
          if (m.distance < held[kind]) held[kind] = m.distance;
          closeAll.set(key, held);
          if (!closest || m.distance < closest.distance) {
            closest = { query: `${e.name} / ${qi === 0 ? 'itself' : `variant ${qi}`}`, registered: entries[re]!.name, kind, distance: m.distance };
          }
        }
      }
      onProgress?.(querySetId, totalSets);
    });
  });
  const close: ImpostorResults['close'] = { tune: [], report: [], all: [] };
  const entryOfSet: number[] = [];
  entries.forEach((e, ei) => e.result.queries.forEach((q) => q && entryOfSet.push(ei)));
  for (const [key, m] of closeAll) {
    const qe = entryOfSet[Math.floor(key / E)]!;
    const re = key % E;
    const pair: CloseSetPair = { ...m, registered: entries[re]!.kind };
    close.all.push(pair);
    if (entries[qe]!.split === entries[re]!.split) close[entries[qe]!.split].push(pair);
  }
  const detailed: ImpostorResults['detailed'] = [];
  const variantOfSet: number[] = [];
  entries.forEach((e) => e.result.queries.forEach((q, qi) => q && variantOfSet.push(qi)));
  for (const [key, hits] of detail) {
    const qe = entries[entryOfSet[Math.floor(key / E)]!]!;
    const re = entries[key % E]!;
    const qi = variantOfSet[Math.floor(key / E)]!;
    detailed.push({ query: `${qe.name} / ${qi === 0 ? 'itself' : `variant ${qi}`}`, registeredName: re.name, registered: re.kind, photoLike: photoLike(re.result.registered, rules), split: qe.split === re.split ? qe.split : null, hits });
  }
  nearest.sort((a, b) => a.distance - b.distance);
  nearest.length = Math.min(nearest.length, 30);
  const unregistrable = { photos: 0, distractors: 0 };
  entries.forEach((e, ei) => !canRegister[ei] && unregistrable[e.kind === 'photo' ? 'photos' : 'distractors']++);
  const result: ImpostorResults = { radius, setPairs, setPairsPhotoBank, setPairsPhotoLike, codePairs, codeTail, close, nearest, unregistrable, detailRadius, detailed };
  if (closest) result.closest = closest;
  return result;
}

/**
 * FPR-0 thresholds less a margin: one below the closest impostor set pair per kind, times
 * (1 − margin). The full-against-full threshold stays PDQ's (today's matching, `full`).
 */
export function tuneThresholds(close: readonly PairMinimum[], radius: number, margin: number, full: number): Thresholds {
  const out = { full, whole: radius, region: radius };
  for (const kind of ['whole', 'region'] as const) {
    let min = radius + 1;
    for (const m of close) min = Math.min(min, m[kind]);
    out[kind] = Math.max(0, Math.round((min - 1) * (1 - margin)));
  }
  return out;
}

/** How far a set pair is from matching: the least, over kinds of pair, of its closest distance less that kind's threshold (≤ 0: a match). */
export const marginOf = (m: PairMinimum, t: Thresholds): number => Math.min(m.full - t.full, m.whole - t.whole, m.region - t.region);

export interface TailFit {
  /** Set pairs of the population, and those within the thresholds (observed false matches). */
  setPairs: number;
  observed: number;
  /** Share of set pairs whose margin is at most k bits (k ≥ 1: above the thresholds), where counted exactly. */
  points: { k: number; count: number; log10p: number }[];
  /** The points the line is fitted through (the lowest margins with enough set pairs). */
  used: { from: number; to: number } | null;
  /** log10 share(margin ≤ k) = intercept + slope · k. */
  slope: number;
  intercept: number;
  /** Share of set pairs extrapolated to margin ≤ 0 (a false match), per (upload, registered image). */
  atThreshold: number;
  /** (observed + 3) / set pairs: what the data alone bound (95 %, rule of three). */
  upperBound: number;
}

/**
 * Fits the lower tail of the set pairs' margins and reads it at the thresholds. Margins are
 * counted exactly up to `kMax` bits above the thresholds (the impostor search radius less
 * the largest threshold). log10 of the share of set pairs within k bits is fitted by a
 * straight line through the lowest margins with at least `minCount` set pairs (up to
 * `maxPoints` of them), and the line is read at k = 0. A straight line in log space is an
 * exponential tail; a tail made of many weakly dependent bits falls faster than that
 * (Gaussian-like, concave in log space), so reading the line below the data overestimates:
 * the extrapolation errs on the side of more false matches.
 */
export function fitMarginTail(margins: readonly number[], setPairs: number, kMax: number, minCount = 10, maxPoints = 8): TailFit {
  const observed = margins.filter((m) => m <= 0).length;
  const points: TailFit['points'] = [];
  for (let k = 1; k <= kMax; k++) {
    const count = margins.filter((m) => m <= k).length;
    points.push({ k, count, log10p: count > 0 ? Math.log10(count / setPairs) : Number.NEGATIVE_INFINITY });
  }
  const fit = points.filter((p) => p.count >= minCount).slice(0, maxPoints);
  const upperBound = (observed + 3) / setPairs;
  if (fit.length < 3) return { setPairs, observed, points, used: null, slope: 0, intercept: Math.log10(upperBound), atThreshold: upperBound, upperBound };
  const n = fit.length;
  const mx = fit.reduce((a, p) => a + p.k, 0) / n;
  const my = fit.reduce((a, p) => a + p.log10p, 0) / n;
  const sxx = fit.reduce((a, p) => a + (p.k - mx) ** 2, 0);
  const slope = fit.reduce((a, p) => a + (p.k - mx) * (p.log10p - my), 0) / sxx;
  const intercept = my - slope * mx;
  // False matches seen are a floor under any extrapolation.
  const atThreshold = Math.max(10 ** intercept, observed / setPairs);
  return { setPairs, observed, points, used: { from: fit[0]!.k, to: fit[n - 1]!.k }, slope, intercept, atThreshold, upperBound };
}

export interface Extrapolation {
  bank: number;
  /**
   * Uploads are every query set; the registered side is every registrable image, the
   * photo-like ones (photos, and distractors whose whole picture passes the graphic gate:
   * what victims register), the corpus photos alone, and today's matching over every image.
   */
  fits: { all: TailFit; photoLike: TailFit; photoBank: TailFit; today: TailFit };
  /** Expected false matches per upload against the bank, and per million uploads (fit over every registered image). */
  perUpload: number;
  perMillionUploads: number;
  /** The same against a bank of photo-like images, and of the corpus photos alone. */
  perMillionUploadsPhotoLike: number;
  perMillionUploadsPhotoBank: number;
  /** Today's matching (full against full alone), same method, same run. */
  perMillionUploadsToday: number;
}

/** A set pair's route minima (under the shipped rule), what was registered, and today's full-against-full distance. */
export type ClosePair = PairMinimum & { registered: CorpusEntry['kind']; photoLike: boolean; today: number };

export function extrapolate(impostor: ImpostorResults, close: readonly ClosePair[], thresholds: Thresholds, bank = 1_000_000): Extrapolation {
  const kMax = impostor.radius - Math.max(thresholds.full, thresholds.whole, thresholds.region);
  const margins = (keep: (m: ClosePair) => boolean) => close.filter(keep).map((m) => marginOf(m, thresholds));
  const fits = {
    all: fitMarginTail(margins(() => true), impostor.setPairs.all, kMax),
    photoLike: fitMarginTail(margins((m) => m.photoLike), impostor.setPairsPhotoLike, kMax),
    photoBank: fitMarginTail(margins((m) => m.registered === 'photo'), impostor.setPairsPhotoBank, kMax),
    today: fitMarginTail(close.map((m) => m.today - thresholds.full), impostor.setPairs.all, impostor.radius - thresholds.full),
  };
  const perMillion = (f: TailFit) => bank * f.atThreshold * 1e6;
  return {
    bank,
    fits,
    perUpload: bank * fits.all.atThreshold,
    perMillionUploads: perMillion(fits.all),
    perMillionUploadsPhotoLike: perMillion(fits.photoLike),
    perMillionUploadsPhotoBank: perMillion(fits.photoBank),
    perMillionUploadsToday: perMillion(fits.today),
  };
}
