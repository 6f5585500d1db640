/**
 * Analysis of a matching-profile run: recall per transformation against each photo's own
 * registered set, impostor set pairs (the registered set of one image against the query
 * set of another, photos and distractors alike) through the engine's own exact index,
 * thresholds tuned on one half of the corpus and recall reported on the other, and the
 * expected false matches against a large bank extrapolated from the impostor tail. Pure:
 * no I/O.
 */
import { popcount32, readCode } from '../hashing/hamming.js';
import { MultiIndexHashIndex } from '../index/mih.js';
import type { PairKind } from '../hashing/profile/profile.js';
import { ROLES, type PackedSet, type ProfileResult } from './profile-task.js';

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
}

export const DEFAULT_QUALITY_RULES: QualityRules = { registrationFloor: 50, derivedFloor: 50 };

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

function distance(a: Uint32Array, ia: number, b: Uint32Array, ib: number): number {
  let d = 0;
  for (let k = 0; k < 8; k++) d += popcount32(a[8 * ia + k]! ^ b[8 * ib + k]!);
  return d;
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
    const gated = query.quality[i]! < rules.derivedFloor;
    for (let j = 0; j < nr; j++) {
      const kind = kindOf(query.roles[i]!, registered.roles[j]!);
      if (gated && kind !== 'full') continue;
      const d = distance(query.words, i, registered.words, j);
      if (d < best[kind]) {
        best[kind] = d;
        if (kind === 'whole') best.via = `${ROLES[query.roles[i]!]}>${ROLES[registered.roles[j]!]}`;
      }
    }
  }
  return best;
}

export interface Thresholds {
  full: number;
  whole: number;
  region: number;
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
      if (bq && registrable(r.registered)) for (let k = 0; k < 8; k++) b = Math.min(b, distance(bq, k, r.baseline.registered, 0));
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
}

/** Counts of registered sets and codes, per split. */
interface RegisteredCounts {
  sets: Record<Split, number>;
  codes: Record<Split, number>;
  full: Record<Split, number>;
  region: Record<Split, number>;
}
const zeroCounts = (): RegisteredCounts => ({ sets: { tune: 0, report: 0 }, codes: { tune: 0, report: 0 }, full: { tune: 0, report: 0 }, region: { tune: 0, report: 0 } });
function addCounts(into: RegisteredCounts, split: Split, set: PackedSet, sign = 1): void {
  into.sets[split] += sign;
  into.codes[split] += sign * set.roles.length;
  for (const r of set.roles) {
    if (r === FULL) into.full[split] += sign;
    else if (r === REGION) into.region[split] += sign;
  }
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
): ImpostorResults {
  const E = entries.length;
  const canRegister = entries.map((e) => registrable(e.result.registered, rules));
  let regCount = 0;
  entries.forEach((e, ei) => canRegister[ei] && (regCount += e.result.registered.roles.length));
  const regEntry = new Int32Array(regCount);
  const regRole = new Uint8Array(regCount);
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
    addCounts(everything, e.split, set);
    addCounts(at(byGroup, e.group), e.split, set);
    if (e.concept !== undefined) {
      addCounts(at(byConcept, e.concept), e.split, set);
      addCounts(at(byBoth, `${e.group}\u0000${e.concept}`), e.split, set);
    }
  });
  const setPairs = { tune: 0, report: 0, all: 0 };
  // Photos are groups of their own with no concept: every registrable photo but the query's own is open to it.
  const registrablePhotos = entries.filter((e, ei) => e.kind === 'photo' && canRegister[ei]).length;
  let setPairsPhotoBank = 0;
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
        const sharp = q.quality[i]! >= rules.derivedFloor;
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
        const gated = q.quality[i]! < rules.derivedFloor;
        for (const m of index.search(readCode(q.words, i, code), radius)) {
          const re = regEntry[m.id]!;
          if (!unrelated(e, entries[re]!)) continue;
          const kind = kindOf(queryRole, regRole[m.id]!);
          if (gated && kind !== 'full') continue;
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
  nearest.sort((a, b) => a.distance - b.distance);
  nearest.length = Math.min(nearest.length, 30);
  const unregistrable = { photos: 0, distractors: 0 };
  entries.forEach((e, ei) => !canRegister[ei] && unregistrable[e.kind === 'photo' ? 'photos' : 'distractors']++);
  const result: ImpostorResults = { radius, setPairs, setPairsPhotoBank, codePairs, codeTail, close, nearest, unregistrable };
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

export interface TailFit {
  kind: PairKind;
  /** log10 P(code pair at distance ≤ d) = intercept + slope · d, fitted on `points`. */
  slope: number;
  intercept: number;
  points: { d: number; log10p: number; count: number }[];
  /** Extrapolated per-code-pair probability at the threshold, and the rule-of-three bound when nothing was seen. */
  atThreshold: number;
  upperBound: number;
}

/**
 * Fits the lower tail of the code-pair distance distribution: log10 of the cumulative
 * share against d, a straight line through the lowest distances with at least
 * `minCount` pairs (up to 10 points). A straight line in log space is an exponential
 * tail; the true tail of a sum of many bits falls faster (Gaussian-like), so the line
 * overestimates what lies below the data: the extrapolation errs on the safe side.
 */
export function fitTail(kind: PairKind, tail: readonly number[], total: number, threshold: number, minCount = 10): TailFit {
  const points: TailFit['points'] = [];
  let cumulative = 0;
  for (let d = 0; d < tail.length; d++) {
    cumulative += tail[d]!;
    if (cumulative >= minCount && points.length < 10) points.push({ d, log10p: Math.log10(cumulative / total), count: cumulative });
  }
  let slope = 0;
  let intercept = Math.log10(3 / total);
  if (points.length >= 2) {
    const n = points.length;
    const mx = points.reduce((s, p) => s + p.d, 0) / n;
    const my = points.reduce((s, p) => s + p.log10p, 0) / n;
    const sxx = points.reduce((s, p) => s + (p.d - mx) ** 2, 0);
    slope = points.reduce((s, p) => s + (p.d - mx) * (p.log10p - my), 0) / sxx;
    intercept = my - slope * mx;
  }
  const seenAtOrBelow = tail.slice(0, threshold + 1).reduce((s, c) => s + c, 0);
  const upperBound = (seenAtOrBelow + 3) / total;
  const atThreshold = points.length >= 2 ? Math.min(upperBound, 10 ** (intercept + slope * threshold)) : upperBound;
  return { kind, slope, intercept, points, atThreshold, upperBound };
}

export interface Extrapolation {
  bank: number;
  /** Mean code pairs per (upload, registered image) of each kind. */
  codePairsPerSetPair: Record<PairKind, number>;
  fits: Record<PairKind, TailFit>;
  /** Expected false matches per upload against the bank, and per million uploads. */
  perUpload: number;
  perMillionUploads: number;
  /** The same for full-against-full pairs alone: today's matching, same fit, same run. */
  perMillionUploadsToday: number;
}

export function extrapolate(impostor: ImpostorResults, thresholds: Thresholds, bank = 1_000_000): Extrapolation {
  const sets = impostor.setPairs.all;
  const codePairsPerSetPair = {
    full: impostor.codePairs.all.full / sets,
    whole: impostor.codePairs.all.whole / sets,
    region: impostor.codePairs.all.region / sets,
  };
  const fits = {
    full: fitTail('full', impostor.codeTail.full, impostor.codePairs.all.full, thresholds.full),
    whole: fitTail('whole', impostor.codeTail.whole, impostor.codePairs.all.whole, thresholds.whole),
    region: fitTail('region', impostor.codeTail.region, impostor.codePairs.all.region, thresholds.region),
  };
  // Union bound over the code pairs of one (upload, registered image): conservative.
  const perSetPair = KINDS.reduce((s, k) => s + codePairsPerSetPair[k] * fits[k].atThreshold, 0);
  const perUpload = bank * perSetPair;
  const today = bank * codePairsPerSetPair.full * fits.full.atThreshold;
  return { bank, codePairsPerSetPair, fits, perUpload, perMillionUploads: perUpload * 1e6, perMillionUploadsToday: today * 1e6 };
}
