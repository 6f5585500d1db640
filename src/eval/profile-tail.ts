/**
 * The impostor tail far beyond the search radius: every code pair of every impostor set
 * pair is compared (brute force, no index), and each set pair's margin under the shipped
 * decision rule is counted per decision path, out to `reach` bits above the thresholds.
 * The multi-index search of profile-analysis.ts stops at its radius (a few bits above the
 * thresholds), where too few set pairs lie to fit a tail; here nothing is cut off.
 *
 * A set pair's margin on a path is the closest distance of its code pairs on that path less
 * the path's threshold: the least uniform raise of the thresholds at which the decision
 * (src/hashing/profile/decision.ts, as profile-rules.ts `routeMinima` reads it) would
 * accept the pair through that path. Its margin is the least over paths. Nothing but
 * histograms is kept: per population of registered images, per half of the corpus, per
 * path; the distances of code pairs per kind of pair; and, for the sampling error, the
 * counts per upload picture and per registered picture (set pairs of one picture are not
 * independent: one photo comes as 64 variants). Pure: no I/O; the eval runs it in worker
 * threads over chunks of uploads (`marginTail`), tests call it directly.
 */
import { regionsAgree, type RelativeBox } from '../hashing/profile/decision.js';
import { popcount32 } from '../hashing/hamming.js';
import { isGraphic, type GraphicRule } from '../hashing/profile/texture.js';
import { ROLES, TEXTURE_SCALE, type PackedSet } from './profile-task.js';
import { uploadQuality, type DecisionRule, type Thresholds } from './profile-rules.js';
import type { CorpusEntry } from './profile-analysis.js';
import { DEFAULT_BOUND_RULE, designEffect, poissonUpper, tailBound, type BoundRule, type TailBound } from './tail-bound.js';

/**
 * The decision's paths to a match: the whole picture against the whole picture (at PDQ's
 * threshold), other pairs with a whole picture, trimmed content, window or tilt in them, a
 * lone upload region (against any registered hash, within the single-region distance), two
 * upload regions agreeing on one scale and offset, and a flat-graphic upload's whole picture
 * (within its tighter distance).
 */
export const TAIL_PATHS = ['full', 'whole', 'lone', 'agree', 'graphic'] as const;
export type TailPath = (typeof TAIL_PATHS)[number];
const [P_FULL, P_WHOLE, P_LONE, P_AGREE, P_GRAPHIC] = [0, 1, 2, 3, 4];
/** Rows of a margin histogram: one per path, then the set pair's margin (the least over paths). */
/**
 * Rows of a margin histogram: one per path, the set pair's margin (the least over paths), and
 * today's matching alone (the service's PDQ whole picture with its 8 dihedral codes against the
 * registered whole picture at PDQ's threshold, for every upload, near-blank ones included):
 * what the profile keeps matching by design, read by the same method.
 */
export const TAIL_ROWS = [...TAIL_PATHS, 'any', 'today'] as const;
export type TailRow = (typeof TAIL_ROWS)[number];
const ROW_ANY = TAIL_PATHS.length;
const ROW_TODAY = ROW_ANY + 1;
const ROWS = TAIL_ROWS.length;

/**
 * Kinds of code pair whose distances are histogrammed: one per path that a single code pair
 * decides, and region against region (the pairs two agreeing regions are made of; also lone).
 */
export const CODE_KINDS = ['full', 'whole', 'lone', 'graphic', 'regionPair', 'today'] as const;
export type CodeKind = (typeof CODE_KINDS)[number];
const [K_FULL, K_WHOLE, K_LONE, K_GRAPHIC, K_REGIONPAIR, K_TODAY] = [0, 1, 2, 3, 4, 5];

/** Registered pictures by what they are: a corpus photo or a distractor, photo-like (whole picture passes the graphic gate) or not. */
export const CATEGORIES = ['distractor, graphic', 'photo, graphic', 'distractor, photo-like', 'photo, photo-like'] as const;
const catOf = (photo: boolean, photoLike: boolean): number => (photo ? 1 : 0) + (photoLike ? 2 : 0);
/** Halves a set pair falls in: both images in the tune half, both in the report half, one in each. */
export const HALVES = ['tune', 'report', 'across'] as const;

const FULL = ROLES.indexOf('full');
const REGION = ROLES.indexOf('region');

// Query code classes and registered code classes (codes the rule rules out are left out).
const Q_FULL = 0; // the upload's whole picture, not a flat graphic
const Q_GRAPHIC_FULL = 1; // the whole picture of a flat-graphic upload: whole pictures only, tighter
const Q_DERIVED = 2; // trimmed content, window, tilt: open to every registered hash
const Q_REGION = 3; // an upload region
const Q_FULL_ONLY = 4; // a whole picture under the derived floor (only when the upload floor is off)
const R_FULL = 0;
const R_DERIVED = 1;
const R_REGION = 2;
const NONE = -1;
/** [query class][registered class] → path, and kind of code pair (NONE: the rule does not pair them). */
const PATH = [
  [P_FULL, P_WHOLE, P_WHOLE],
  [P_GRAPHIC, NONE, NONE],
  [P_WHOLE, P_WHOLE, P_WHOLE],
  [P_LONE, P_LONE, P_LONE],
  [P_FULL, NONE, NONE],
];
const KIND = [
  [K_FULL, K_WHOLE, K_WHOLE],
  [K_GRAPHIC, NONE, NONE],
  [K_WHOLE, K_WHOLE, K_WHOLE],
  [K_LONE, K_LONE, K_LONE],
  [K_FULL, NONE, NONE],
];

/** Each path's threshold under the rule: a margin is a distance less this. */
export function pathThresholds(rule: DecisionRule, t: Thresholds): number[] {
  if (!rule.twoRegions || rule.graphicWhole === undefined) throw new Error(`the tail needs a rule with two agreeing regions and a graphic whole-picture distance (${rule.name})`);
  const out: number[] = [];
  out[P_FULL] = t.full;
  out[P_WHOLE] = t.whole;
  // routeMinima raises a lone region by (threshold − single-region distance): its margin is distance − single-region distance.
  out[P_LONE] = Math.min(rule.twoRegions.singleRegion, t.whole, t.region);
  out[P_AGREE] = t.region;
  out[P_GRAPHIC] = Math.min(rule.graphicWhole, t.full);
  return out;
}

/** Margins counted: from −offset (distance 0 on the widest path) to `reach`; the last bin holds every larger margin and set pairs with no allowed code pair. */
export interface TailShape {
  offset: number;
  reach: number;
  /** Bins per histogram row: offset + reach + 2. */
  bins: number;
}
export const tailShape = (thresholds: readonly number[], reach: number): TailShape => {
  const offset = Math.max(...thresholds);
  return { offset, reach, bins: offset + reach + 2 };
};

/** The registered side, laid out for a brute-force scan (typed arrays, shared with the worker threads). */
export interface TailBank {
  /** Open registered codes, 8 words each, set after set. */
  words: Uint32Array;
  codeClass: Uint8Array;
  /** Index of the code in its registered set (two agreeing region pairs use different registered regions). */
  codeIndex: Int32Array;
  boxes: Float32Array;
  /** Codes of set s: setStart[s] .. setStart[s + 1]. */
  setStart: Int32Array;
  setGroup: Int32Array;
  /** −1: no concept. */
  setConcept: Int32Array;
  setCategory: Uint8Array;
  /** 0 tune, 1 report. */
  setHalf: Uint8Array;
}

/** Uploads: a chunk of query sets. */
export interface TailQueries {
  words: Uint32Array;
  codeClass: Uint8Array;
  boxes: Float32Array;
  codeStart: Int32Array;
  /** Per query set: its picture (index into this chunk's pictures), group, concept, half, and 1 when it matches nothing (upload floor). */
  setPicture: Int32Array;
  setGroup: Int32Array;
  setConcept: Int32Array;
  setHalf: Uint8Array;
  setSilent: Uint8Array;
  pictures: number;
}

export interface TailTask {
  bank: TailBank;
  queries: TailQueries;
  /** Per path (pathThresholds). */
  thresholds: number[];
  reach: number;
  /** The decision's agreement tolerances for two region pairs. */
  agreement: { agreeScale: number; agreeOffset: number };
  /** Set pairs whose margin on a path is at most this are listed (up to NEAREST_CAP per chunk): what the closest pairs are. */
  listBelow?: number;
}

/** Listed set pairs per chunk, at most. */
export const NEAREST_CAP = 4000;

/**
 * Counts of one chunk (or of everything, once merged). Histograms are flat arrays:
 * margins[((category · 3 + half) · rows + row) · bins + bin]; codes[(category · kinds + kind) · 257 + distance];
 * byUpload[((picture · 2 + photoLikeOnly) · rows + row) · bins + bin]; byRegistered[(set · rows + row) · bins + bin].
 */
export interface TailCounts {
  margins: Float64Array;
  codes: Float64Array;
  byUpload: Uint32Array;
  byRegistered: Uint32Array;
  codePairs: number;
  /** (upload picture, registered picture) pairs per category: the independent units when nothing is seen. */
  picturePairs: Float64Array;
  /** Close set pairs, 4 numbers each: path, query set (in its chunk), registered set, margin. */
  nearest: Int32Array;
}

const SHARED = typeof SharedArrayBuffer === 'function';
function shared<T extends Uint8Array | Uint32Array | Int32Array | Float32Array>(Type: { new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number }, length: number, share: boolean): T {
  const buffer = share && SHARED ? new SharedArrayBuffer(length * Type.BYTES_PER_ELEMENT) : new ArrayBuffer(length * Type.BYTES_PER_ELEMENT);
  return new Type(buffer);
}

const graphicAt = (set: PackedSet, k: number, rule: GraphicRule | null): boolean =>
  rule !== null && isGraphic({ flat: set.flat[k]! / TEXTURE_SCALE, levels: set.levels[k]! / TEXTURE_SCALE }, rule);

/** Class of a registered code under the rule (NONE: the graphic gate drops it). */
function registeredClass(set: PackedSet, j: number, rule: DecisionRule): number {
  if (set.roles[j] === FULL) return R_FULL;
  if (graphicAt(set, j, rule.graphic)) return NONE;
  return set.roles[j] === REGION ? R_REGION : R_DERIVED;
}

/** Class of a query code under the rule (NONE: it meets nothing), as profile-rules.ts `allowed` and `routeMinima` read it. */
function queryClass(set: PackedSet, i: number, rule: DecisionRule): number {
  const open = set.quality[i]! >= rule.derivedFloor && !graphicAt(set, i, rule.graphic);
  if (set.roles[i] === FULL) {
    if (rule.graphicWhole !== undefined && graphicAt(set, i, rule.graphic)) return Q_GRAPHIC_FULL;
    return open ? Q_FULL : Q_FULL_ONLY;
  }
  if (!open) return NONE;
  return set.roles[i] === REGION ? Q_REGION : Q_DERIVED;
}

/** Ids for group and concept names, shared by both sides. */
class Names {
  readonly #ids = new Map<string, number>();
  id(name: string | undefined): number {
    if (name === undefined) return -1;
    let v = this.#ids.get(name);
    if (v === undefined) this.#ids.set(name, (v = this.#ids.size));
    return v;
  }
}

export interface TailInputs {
  bank: TailBank;
  /** The registered entries, in bank order. */
  registered: CorpusEntry[];
  /** Upload chunks, and the entries each chunk's pictures are. */
  chunks: { queries: TailQueries; pictures: CorpusEntry[] }[];
  querySets: number;
}

/**
 * Lays the corpus out for the scan: every registrable entry whose registered set `keep`
 * accepts, and every query set of every entry, in chunks of about `chunkSets` query sets
 * (a picture's query sets stay in one chunk).
 */
export function tailInputs(
  entries: readonly CorpusEntry[],
  rule: DecisionRule,
  isRegistrable: (set: PackedSet) => boolean,
  isPhotoLike: (set: PackedSet) => boolean,
  keep: (entry: CorpusEntry) => boolean = () => true,
  chunkSets = 400,
  share = false,
): TailInputs {
  const names = new Names();
  const registered = entries.filter((e) => isRegistrable(e.result.registered) && keep(e));
  const classes = registered.map((e) => Array.from(e.result.registered.roles, (_, j) => registeredClass(e.result.registered, j, rule)));
  const codes = classes.reduce((n, c) => n + c.filter((x) => x !== NONE).length, 0);
  const S = registered.length;
  const bank: TailBank = {
    words: shared(Uint32Array, 8 * codes, share),
    codeClass: shared(Uint8Array, codes, share),
    codeIndex: shared(Int32Array, codes, share),
    boxes: shared(Float32Array, 4 * codes, share),
    setStart: shared(Int32Array, S + 1, share),
    setGroup: shared(Int32Array, S, share),
    setConcept: shared(Int32Array, S, share),
    setCategory: shared(Uint8Array, S, share),
    setHalf: shared(Uint8Array, S, share),
  };
  let c = 0;
  registered.forEach((e, s) => {
    const set = e.result.registered;
    bank.setStart[s] = c;
    bank.setGroup[s] = names.id(e.group);
    bank.setConcept[s] = names.id(e.concept);
    bank.setCategory[s] = catOf(e.kind === 'photo', isPhotoLike(set));
    bank.setHalf[s] = e.split === 'tune' ? 0 : 1;
    classes[s]!.forEach((cls, j) => {
      if (cls === NONE) return;
      bank.words.set(set.words.subarray(8 * j, 8 * j + 8), 8 * c);
      bank.boxes.set(set.boxes.subarray(4 * j, 4 * j + 4), 4 * c);
      bank.codeClass[c] = cls;
      bank.codeIndex[c++] = j;
    });
  });
  bank.setStart[S] = c;

  const chunks: TailInputs['chunks'] = [];
  let pending: CorpusEntry[] = [];
  let pendingSets = 0;
  const flush = () => {
    if (pending.length) chunks.push({ queries: packQueries(pending, rule, names, share), pictures: pending });
    pending = [];
    pendingSets = 0;
  };
  let querySets = 0;
  for (const e of entries) {
    const n = e.result.queries.filter(Boolean).length;
    if (n === 0) continue;
    if (pendingSets + n > chunkSets) flush();
    pending.push(e);
    pendingSets += n;
    querySets += n;
  }
  flush();
  return { bank, registered, chunks, querySets };
}

function packQueries(pictures: readonly CorpusEntry[], rule: DecisionRule, names: Names, share: boolean): TailQueries {
  const sets: { set: PackedSet; picture: number; entry: CorpusEntry; classes: number[] }[] = [];
  pictures.forEach((entry, picture) => {
    for (const set of entry.result.queries) {
      if (set) sets.push({ set, picture, entry, classes: Array.from(set.roles, (_, i) => queryClass(set, i, rule)) });
    }
  });
  const codes = sets.reduce((n, s) => n + s.classes.filter((x) => x !== NONE).length, 0);
  const n = sets.length;
  const q: TailQueries = {
    words: shared(Uint32Array, 8 * codes, share),
    codeClass: shared(Uint8Array, codes, share),
    boxes: shared(Float32Array, 4 * codes, share),
    codeStart: shared(Int32Array, n + 1, share),
    setPicture: shared(Int32Array, n, share),
    setGroup: shared(Int32Array, n, share),
    setConcept: shared(Int32Array, n, share),
    setHalf: shared(Uint8Array, n, share),
    setSilent: shared(Uint8Array, n, share),
    pictures: pictures.length,
  };
  let c = 0;
  sets.forEach(({ set, picture, entry, classes }, k) => {
    q.codeStart[k] = c;
    q.setPicture[k] = picture;
    q.setGroup[k] = names.id(entry.group);
    q.setConcept[k] = names.id(entry.concept);
    q.setHalf[k] = entry.split === 'tune' ? 0 : 1;
    // The upload floor: an upload whose own whole picture is under it matches nothing.
    q.setSilent[k] = rule.fullFloor && uploadQuality(set) < rule.derivedFloor ? 1 : 0;
    classes.forEach((cls, i) => {
      if (cls === NONE) return;
      q.words.set(set.words.subarray(8 * i, 8 * i + 8), 8 * c);
      q.boxes.set(set.boxes.subarray(4 * i, 4 * i + 4), 4 * c);
      q.codeClass[c++] = cls;
    });
  });
  q.codeStart[n] = c;
  return q;
}

export function emptyCounts(bank: TailBank, pictures: number, shape: TailShape): TailCounts {
  const S = bank.setHalf.length;
  return {
    margins: new Float64Array(CATEGORIES.length * HALVES.length * ROWS * shape.bins),
    codes: new Float64Array(CATEGORIES.length * CODE_KINDS.length * 257),
    byUpload: new Uint32Array(pictures * 2 * ROWS * shape.bins),
    byRegistered: new Uint32Array(S * ROWS * shape.bins),
    codePairs: 0,
    picturePairs: new Float64Array(CATEGORIES.length),
    nearest: new Int32Array(0),
  };
}

const bump = (a: Float64Array | Uint32Array, i: number): void => {
  a[i] = a[i]! + 1;
};

const box = (boxes: Float32Array, k: number): RelativeBox => [boxes[4 * k]!, boxes[4 * k + 1]!, boxes[4 * k + 2]!, boxes[4 * k + 3]!];

/**
 * The scan of one chunk of uploads against the whole bank. For each (query set, registered
 * set) of unrelated pictures: every code pair's distance (histogrammed per kind), the
 * closest per path, the closest two agreeing region pairs, and the margins.
 */
export function scanTail(task: TailTask): TailCounts {
  const { bank, queries: q, thresholds, reach } = task;
  const shape = tailShape(thresholds, reach);
  const { offset, bins } = shape;
  const out = emptyCounts(bank, q.pictures, shape);
  const { margins, codes: codeHist, byUpload, byRegistered } = out;
  const S = bank.setHalf.length;
  const bw = bank.words;
  const bcls = bank.codeClass;
  const qw = q.words;
  const agreeThreshold = thresholds[P_AGREE]!;
  const agreeMax = agreeThreshold + reach;
  const min = new Int32Array(TAIL_PATHS.length);
  const margin = new Int32Array(ROWS);
  // Region pairs within reach of the agreement path: query code, registered code, distance.
  let pairs = new Int32Array(3 * 256);
  let codePairs = 0;
  const listBelow = task.listBelow ?? -1;
  const nearest: number[] = [];
  for (let k = 0; k < q.setHalf.length; k++) {
    const c0 = q.codeStart[k]!;
    const c1 = q.codeStart[k + 1]!;
    const group = q.setGroup[k]!;
    const concept = q.setConcept[k]!;
    const silent = q.setSilent[k] === 1;
    const picture = q.setPicture[k]!;
    const firstOfPicture = k === 0 || q.setPicture[k - 1] !== picture;
    for (let s = 0; s < S; s++) {
      if (bank.setGroup[s] === group || (concept >= 0 && bank.setConcept[s] === concept)) continue;
      const cat = bank.setCategory[s]!;
      if (firstOfPicture) out.picturePairs[cat] = out.picturePairs[cat]! + 1;
      const half = bank.setHalf[s] !== q.setHalf[k] ? 2 : q.setHalf[k]!;
      min.fill(1 << 20);
      let today = 1 << 20;
      let found = 0;
      const todayBase = (cat * CODE_KINDS.length + K_TODAY) * 257;
      if (silent) {
        // Today's matching still meets a near-blank upload's whole picture.
        for (let i = c0; i < c1; i++) {
          const qc = q.codeClass[i]!;
          if (qc === Q_DERIVED || qc === Q_REGION) continue;
          for (let j = bank.setStart[s]!; j < bank.setStart[s + 1]!; j++) {
            if (bcls[j] !== R_FULL) continue;
            let d = 0;
            for (let w = 0; w < 8; w++) d += popcount32(qw[8 * i + w]! ^ bw[8 * j + w]!);
            codeHist[todayBase + d] = codeHist[todayBase + d]! + 1;
            if (d < today) today = d;
          }
        }
      } else {
        const r0 = bank.setStart[s]!;
        const r1 = bank.setStart[s + 1]!;
        const codeBase = cat * CODE_KINDS.length * 257;
        codePairs += (c1 - c0) * (r1 - r0);
        for (let i = c0; i < c1; i++) {
          const qc = q.codeClass[i]!;
          const pathRow = PATH[qc]!;
          const kindRow = KIND[qc]!;
          const o = 8 * i;
          const q0 = qw[o]!, q1 = qw[o + 1]!, q2 = qw[o + 2]!, q3 = qw[o + 3]!, q4 = qw[o + 4]!, q5 = qw[o + 5]!, q6 = qw[o + 6]!, q7 = qw[o + 7]!;
          for (let j = r0; j < r1; j++) {
            const rc = bcls[j]!;
            const path = pathRow[rc]!;
            if (path === NONE) continue;
            const p = 8 * j;
            // SWAR popcount of 4 words at a time: per-byte counts (≤ 32 each) summed before the final multiply.
            let x = q0 ^ bw[p]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            let t = (x + (x >>> 4)) & 0x0f0f0f0f;
            x = q1 ^ bw[p + 1]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            t += (x + (x >>> 4)) & 0x0f0f0f0f;
            x = q2 ^ bw[p + 2]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            t += (x + (x >>> 4)) & 0x0f0f0f0f;
            x = q3 ^ bw[p + 3]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            t += (x + (x >>> 4)) & 0x0f0f0f0f;
            let d = Math.imul(t, 0x01010101) >>> 24;
            x = q4 ^ bw[p + 4]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            t = (x + (x >>> 4)) & 0x0f0f0f0f;
            x = q5 ^ bw[p + 5]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            t += (x + (x >>> 4)) & 0x0f0f0f0f;
            x = q6 ^ bw[p + 6]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            t += (x + (x >>> 4)) & 0x0f0f0f0f;
            x = q7 ^ bw[p + 7]!;
            x -= (x >>> 1) & 0x55555555;
            x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
            t += (x + (x >>> 4)) & 0x0f0f0f0f;
            d += Math.imul(t, 0x01010101) >>> 24;
            const h = codeBase + kindRow[rc]! * 257 + d;
            codeHist[h] = codeHist[h]! + 1;
            if (d < min[path]!) min[path] = d;
            if (rc === R_FULL && qc !== Q_DERIVED && qc !== Q_REGION) {
              codeHist[todayBase + d] = codeHist[todayBase + d]! + 1;
              if (d < today) today = d;
            }
            if (qc === Q_REGION && rc === R_REGION) {
              const hr = codeBase + K_REGIONPAIR * 257 + d;
              codeHist[hr] = codeHist[hr]! + 1;
              if (d <= agreeMax) {
                if (3 * found + 3 > pairs.length) {
                  const grown = new Int32Array(2 * pairs.length);
                  grown.set(pairs);
                  pairs = grown;
                }
                pairs[3 * found] = i;
                pairs[3 * found + 1] = j;
                pairs[3 * found + 2] = d;
                found++;
              }
            }
          }
        }
        // Two region pairs of different regions on both sides that agree: the larger distance counts.
        if (found > 1) min[P_AGREE] = closestAgreeing(pairs, found, q, bank, task.agreement);
      }
      let any = 1 << 20;
      for (let r = 0; r < TAIL_PATHS.length; r++) {
        const m = min[r]! >= 1 << 20 ? 1 << 20 : min[r]! - thresholds[r]!;
        margin[r] = m;
        if (m < any) any = m;
        if (m <= listBelow && nearest.length < 4 * NEAREST_CAP) nearest.push(r, k, s, m);
      }
      margin[ROW_ANY] = any;
      margin[ROW_TODAY] = today >= 1 << 20 ? 1 << 20 : today - thresholds[P_FULL]!;
      const mBase = (cat * HALVES.length + half) * ROWS;
      const uBase = picture * 2 * ROWS;
      const rBase = s * ROWS;
      const photoLike = cat >= 2;
      for (let r = 0; r < ROWS; r++) {
        const m = margin[r]!;
        const bin = m > reach ? bins - 1 : m + offset;
        bump(margins, (mBase + r) * bins + bin);
        bump(byUpload, (uBase + r) * bins + bin);
        if (photoLike) bump(byUpload, (uBase + ROWS + r) * bins + bin);
        bump(byRegistered, (rBase + r) * bins + bin);
      }
    }
  }
  out.codePairs = codePairs;
  out.nearest = Int32Array.from(nearest);
  return out;
}

/** The closest agreeing pair of region pairs (its larger distance), as profile-rules.ts `routeMinima` finds it; 1 << 20: none. */
function closestAgreeing(pairs: Int32Array, n: number, q: TailQueries, bank: TailBank, agreement: TailTask['agreement']): number {
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => pairs[3 * a + 2]! - pairs[3 * b + 2]!);
  for (let y = 1; y < n; y++) {
    const b = order[y]!;
    for (let x = 0; x < y; x++) {
      const a = order[x]!;
      const ia = pairs[3 * a]!;
      const ib = pairs[3 * b]!;
      const ja = pairs[3 * a + 1]!;
      const jb = pairs[3 * b + 1]!;
      if (ia === ib || bank.codeIndex[ja] === bank.codeIndex[jb]) continue;
      if (regionsAgree({ query: box(q.boxes, ia), registered: box(bank.boxes, ja) }, { query: box(q.boxes, ib), registered: box(bank.boxes, jb) }, agreement)) return pairs[3 * b + 2]!;
    }
  }
  return 1 << 20;
}

/** Adds `b` into `a` (upload counts are per chunk: they are concatenated, not added). */
export function addCounts(a: TailCounts, b: TailCounts): void {
  for (let i = 0; i < a.margins.length; i++) a.margins[i]! += b.margins[i]!;
  for (let i = 0; i < a.codes.length; i++) a.codes[i]! += b.codes[i]!;
  for (let i = 0; i < a.byRegistered.length; i++) a.byRegistered[i]! += b.byRegistered[i]!;
  a.codePairs += b.codePairs;
  for (let i = 0; i < a.picturePairs.length; i++) a.picturePairs[i]! += b.picturePairs[i]!;
}

/** Worker entry (piscina name MARGIN_TAIL_TASK). */
export const MARGIN_TAIL_TASK = 'marginTail';
export function marginTail(task: TailTask): TailCounts {
  return scanTail(task);
}

/** Populations of registered pictures the tail is read for: what victims register (photo-like pictures), and every registrable picture. */
export const POPULATIONS = [
  { name: 'photo-like', categories: [2, 3], uploadSide: 1 },
  { name: 'every image', categories: [0, 1, 2, 3], uploadSide: 0 },
] as const;
export type PopulationName = (typeof POPULATIONS)[number]['name'];

export interface PathTail {
  row: TailRow;
  /** The path's threshold (the margin's zero). */
  threshold: number;
  /** Set pairs with margin ≤ k on this path (k = 0..reach). */
  count: number[];
  designEffect: number[];
  bound: TailBound;
}

export interface CodeTail {
  kind: CodeKind;
  threshold: number;
  codePairs: number;
  /** Code pairs of this kind within threshold + k (k = 0..reach). */
  count: number[];
  bound: TailBound;
  /** Expected code pairs within the threshold per set pair (upper bound): a union bound on the path's share. */
  perSetPair: number;
  /** A model reading, not a bound: a Gaussian fitted to the lower tail of the distance histogram, read at the threshold. */
  gaussian: GaussianTail | null;
  /** The same with Daugman's degrees-of-freedom binomial. */
  binomial: BinomialTail | null;
}

/**
 * log10 count(d) = a + b·d + c·d² fitted by least squares over the measured lower tail [from, to]
 * ('lower tail'), or, when that tail is not concave (a heavier-than-Gaussian lower tail), a
 * Gaussian centred on the histogram's mean whose σ is fitted to the same tail ('centred'), or
 * failing that the histogram's own mean and σ ('moments'); residuals over the same range.
 */
export interface GaussianTail {
  method: 'lower tail' | 'centred' | 'moments';
  /** The first distance holding the rule's count of code pairs, and log10 of measured / model code pairs up to it. */
  first: number;
  excess: number;
  from: number;
  to: number;
  centre: number;
  sigma: number;
  /** Residuals of log10 counts over the range: root mean square and largest. */
  rms: number;
  largest: number;
  /** Code pairs within the threshold by the model, and per set pair. */
  predicted: number;
  perSetPair: number;
}

/**
 * Fits a Gaussian (a parabola in log counts) to the lower tail of a distance histogram, from
 * its 10⁻⁴ quantile (or the first distance holding `minCount` pairs) to its 5 % quantile, and
 * sums the model's counts up to the threshold.
 */
export function gaussianTail(raw: readonly number[], threshold: number, minCount = 30): Omit<GaussianTail, 'perSetPair'> | null {
  const hist = smoothParity(raw);
  const total = hist.reduce((a, b) => a + b, 0);
  const first = hist.findIndex((c) => c >= minCount);
  if (first < 0) return null;
  // The fitted range: the lower tail from the 10⁻⁴ quantile to the 5 % quantile (well measured, below the bulk).
  const quantile = (q: number): number => {
    let run = 0;
    for (let d = 0; d < hist.length; d++) {
      run += hist[d]!;
      if (run >= q * total) return d;
    }
    return hist.length - 1;
  };
  const from = Math.max(first, quantile(1e-4));
  const to = Math.max(quantile(0.05), from + 6);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let d = from; d <= Math.min(to, hist.length - 1); d++) if (hist[d]! > 0) (xs.push(d), ys.push(Math.log10(hist[d]!)));
  if (xs.length < 4) return null;
  // Normal equations of a quadratic, centred for conditioning.
  const m = xs.reduce((a, x) => a + x, 0) / xs.length;
  const S = [0, 0, 0, 0, 0];
  const T = [0, 0, 0];
  xs.forEach((x0, i) => {
    const x = x0 - m;
    for (let p = 0; p <= 4; p++) S[p]! += x ** p;
    for (let p = 0; p <= 2; p++) T[p]! += ys[i]! * x ** p;
  });
  let [A, B, C] = solve3(
    [
      [S[0]!, S[1]!, S[2]!],
      [S[1]!, S[2]!, S[3]!],
      [S[2]!, S[3]!, S[4]!],
    ],
    T,
  );
  let method: GaussianTail['method'] = 'lower tail';
  if (!(C < 0)) {
    // A convex lower tail (heavier than any Gaussian through it): the centre fixed at the bulk's mean and σ fitted to the
    // tail (log counts linear in (d − mean)²), else the bulk's own mean and σ.
    let mean = 0;
    for (let d = 0; d < hist.length; d++) mean += (d * hist[d]!) / total;
    let variance = 0;
    for (let d = 0; d < hist.length; d++) variance += ((d - mean) ** 2 * hist[d]!) / total;
    if (!(variance > 0)) return null;
    const X = xs.map((x) => (x - mean) ** 2);
    const mX = X.reduce((a, x) => a + x, 0) / X.length;
    const mY = ys.reduce((a, y) => a + y, 0) / ys.length;
    const slope = X.reduce((a, x, i) => a + (x - mX) * (ys[i]! - mY), 0) / X.reduce((a, x) => a + (x - mX) ** 2, 0);
    if (slope < 0) {
      method = 'centred';
      C = slope;
      A = mY - slope * mX + C * (m - mean) ** 2;
    } else {
      method = 'moments';
      C = -1 / (2 * variance * Math.LN10);
      A = Math.log10(total / Math.sqrt(2 * Math.PI * variance)) + C * (m - mean) ** 2;
    }
    B = 2 * C * (m - mean);
  }
  const fit = (d: number) => A + B * (d - m) + C * (d - m) ** 2;
  const residuals = xs.map((x, i) => ys[i]! - fit(x));
  let predicted = 0;
  for (let d = 0; d <= threshold; d++) predicted += 10 ** fit(d);
  // How far the measured tail stands above the model where it is first measured (the lumps the model leaves out).
  let measured = 0;
  let model = 0;
  for (let d = 0; d <= first; d++) (measured += hist[d]!), (model += 10 ** fit(d));
  return {
    method,
    first,
    excess: Math.log10(measured / model),
    from,
    to,
    centre: m - B / (2 * C),
    sigma: Math.sqrt(-1 / (2 * C * Math.LN10)),
    rms: Math.sqrt(residuals.reduce((a, r) => a + r * r, 0) / residuals.length),
    largest: Math.max(...residuals.map(Math.abs)),
    predicted,
  };
}

/**
 * The histogram with each count spread over its neighbours (¼, ½, ¼): two PDQ codes with 128
 * bits set each are always an even distance apart, so raw histograms alternate between full
 * and (nearly) empty distances, which no smooth curve fits. Totals are kept.
 */
function smoothParity(hist: readonly number[]): number[] {
  return hist.map((c, d) => 0.25 * (hist[d - 1] ?? 0) + 0.5 * c + 0.25 * (hist[d + 1] ?? 0) + (d === 0 ? 0.25 * c : 0) + (d === hist.length - 1 ? 0.25 * c : 0));
}

/**
 * Daugman's degrees-of-freedom binomial: the fractional distance d / 256 of unrelated codes
 * behaves like the share of successes in N independent trials at the bulk's mean fraction p
 * (N < 256 when bits are correlated). p is the histogram's mean; N (and the amplitude) are
 * fitted by least squares on log counts over the same lower tail as the Gaussian; the model is
 * summed up to the threshold. A model reading, not a bound.
 */
export interface BinomialTail {
  dof: number;
  p: number;
  from: number;
  to: number;
  rms: number;
  largest: number;
  first: number;
  excess: number;
  predicted: number;
  perSetPair: number;
}

export function binomialTail(raw: readonly number[], threshold: number, minCount = 30): Omit<BinomialTail, 'perSetPair'> | null {
  const g = gaussianTail(raw, threshold, minCount);
  const hist = smoothParity(raw);
  if (!g) return null;
  const total = hist.reduce((a, b) => a + b, 0);
  let mean = 0;
  for (let d = 0; d < hist.length; d++) mean += (d * hist[d]!) / total;
  const p = mean / 256;
  if (!(p > 0 && p < 1)) return null;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let d = g.from; d <= Math.min(g.to, hist.length - 1); d++) if (hist[d]! > 0) (xs.push(d), ys.push(Math.log10(hist[d]!)));
  // log10 of the binomial density at fractional distance d / 256, N trials, per unit of d.
  const shape = (N: number, d: number): number => {
    const k = (N * d) / 256;
    return (logGamma(N + 1) - logGamma(k + 1) - logGamma(N - k + 1) + k * Math.log(p) + (N - k) * Math.log(1 - p) + Math.log(N / 256)) / Math.LN10;
  };
  let best: { N: number; a: number; rms: number } | null = null;
  for (let i = 0; i <= 80; i++) {
    const N = 8 * 2 ** (i / 10);
    const f = xs.map((d) => shape(N, d));
    const a = ys.reduce((acc, y, j) => acc + y - f[j]!, 0) / ys.length;
    const rms = Math.sqrt(ys.reduce((acc, y, j) => acc + (y - a - f[j]!) ** 2, 0) / ys.length);
    if (!best || rms < best.rms) best = { N, a, rms };
  }
  const { N, a, rms } = best!;
  const model = (d: number) => 10 ** (a + shape(N, d));
  let predicted = 0;
  for (let d = 0; d <= threshold; d++) predicted += model(d);
  let measured = 0;
  let modelled = 0;
  for (let d = 0; d <= g.first; d++) (measured += hist[d]!), (modelled += model(d));
  return {
    dof: N,
    p,
    from: g.from,
    to: g.to,
    rms,
    largest: Math.max(...xs.map((d, j) => Math.abs(ys[j]! - a - shape(N, d)))),
    first: g.first,
    excess: Math.log10(measured / modelled),
    predicted,
  };
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

function solve3(a: number[][], b: number[]): [number, number, number] {
  const det = (m: number[][]) =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const D = det(a);
  const col = (c: number) => det(a.map((row, i) => row.map((v, j) => (j === c ? b[i]! : v))));
  return [col(0) / D, col(1) / D, col(2) / D];
}

export interface PopulationTail {
  name: PopulationName;
  setPairs: number;
  paths: PathTail[];
  /** Σ over paths of their bounds: an upper bound on the share of set pairs that match, whatever the paths' dependence. */
  union: number;
  /** (upload picture, registered picture) pairs: what the set pairs come from. */
  picturePairs: number;
  /**
   * The share bound by counting at the thresholds alone (no shape assumed): the count of set
   * pairs with margin ≤ 0 at its upper limit, with the design effect measured where the tail
   * starts (the lowest k holding the rule's count), since a count of 0 shows no clustering.
   */
  counted: { observed: number; designEffect: number; share: number };
  codes: CodeTail[];
  /** Σ over code kinds (region pairs standing for two agreeing regions) of expected code pairs within the threshold per set pair. */
  codeUnion: number;
  /** Per path, the closest picture pairs (an upload picture, any of its variants, against a registered picture). */
  nearest: { path: TailPath; upload: string; registered: string; margin: number; sets: number }[];
  /** Tune half only (both pictures in it): set pairs with margin ≤ k per row (paths, then any), for the thresholds policy. */
  tuneCount: number[][];
  tuneSetPairs: number;
}

export interface TailSummary {
  reach: number;
  thresholds: Record<TailPath, number>;
  rule: BoundRule;
  codePairs: number;
  seconds: number;
  populations: PopulationTail[];
}

/** A listed close set pair, named: path index, upload picture, registered picture and its category, margin. */
export interface ListedPair {
  path: number;
  upload: string;
  registered: string;
  category: number;
  margin: number;
}
/** Closest picture pairs kept per path (the summary JSON; the report shows the first 5). */
export const NEAREST_SHOWN = 15;

/** Names the close set pairs a chunk listed. */
export function nameListed(nearest: Int32Array, queries: Pick<TailQueries, 'setPicture'>, pictures: readonly { name: string }[], registered: readonly { name: string }[], bank: Pick<TailBank, 'setCategory'>): ListedPair[] {
  const out: ListedPair[] = [];
  for (let x = 0; x + 3 < nearest.length; x += 4) {
    const s = nearest[x + 2]!;
    out.push({ path: nearest[x]!, upload: pictures[queries.setPicture[nearest[x + 1]!]!]!.name, registered: registered[s]!.name, category: bank.setCategory[s]!, margin: nearest[x + 3]! });
  }
  return out;
}

/** Code kind → the path whose threshold it is held against. */
const KIND_PATH = [P_FULL, P_WHOLE, P_LONE, P_GRAPHIC, P_AGREE, P_FULL];

/**
 * Reads the counts: per population and path, the tail S(k), its design effect and the bound
 * (tail-bound.ts), the union over paths; per kind of code pair, the same on code pairs and
 * the expected code pairs within the threshold per set pair.
 */
export function summariseTail(
  counts: TailCounts,
  byUpload: readonly Uint32Array[],
  bank: Pick<TailBank, 'setCategory'>,
  thresholds: readonly number[],
  reach: number,
  seconds: number,
  rule: BoundRule = DEFAULT_BOUND_RULE,
  only?: readonly PopulationName[],
  listed: readonly ListedPair[] = [],
): TailSummary {
  const { offset, bins } = tailShape(thresholds, reach);
  const S = bank.setCategory.length;
  const populations = POPULATIONS.filter((pop) => !only || only.includes(pop.name)).map((pop) => {
    const cats = pop.categories as readonly number[];
    const cumulative = (row: number, halves: readonly number[] = [0, 1, 2]): number[] => {
      const out = new Array<number>(reach + 1).fill(0);
      for (const cat of cats) {
        for (const half of halves) {
          const base = ((cat * HALVES.length + half) * ROWS + row) * bins;
          let run = 0;
          for (let b = 0; b <= offset + reach; b++) {
            run += counts.margins[base + b]!;
            const k = b - offset;
            if (k >= 0) out[k] = out[k]! + run;
          }
        }
      }
      return out;
    };
    const totalOf = (row: number, halves: readonly number[] = [0, 1, 2]): number => {
      let n = 0;
      for (const cat of cats) for (const half of halves) for (let b = 0; b < bins; b++) n += counts.margins[((cat * HALVES.length + half) * ROWS + row) * bins + b]!;
      return n;
    };
    const setPairs = totalOf(ROW_ANY);
    const effect = (row: number): number[] => {
      const clusters: number[][] = [];
      for (const chunk of byUpload) {
        const pictures = chunk.length / (2 * ROWS * bins);
        for (let p = 0; p < pictures; p++) clusters.push(prefix(chunk, ((p * 2 + pop.uploadSide) * ROWS + row) * bins, offset, reach));
      }
      const registered: number[][] = [];
      for (let s = 0; s < S; s++) if (cats.includes(bank.setCategory[s]!)) registered.push(prefix(counts.byRegistered, (s * ROWS + row) * bins, offset, reach));
      return Array.from({ length: reach + 1 }, (_, k) => Math.max(designEffect(clusters.map((c) => c[k]!)), designEffect(registered.map((c) => c[k]!))));
    };
    const paths: PathTail[] = TAIL_ROWS.map((row, r) => {
      const count = cumulative(r);
      const designEffects = effect(r);
      return { row, threshold: r === ROW_ANY ? 0 : r === ROW_TODAY ? thresholds[P_FULL]! : thresholds[r]!, count, designEffect: designEffects, bound: tailBound({ total: setPairs, count, designEffect: designEffects }, rule) };
    });
    const union = paths.slice(0, TAIL_PATHS.length).reduce((a, p) => a + p.bound.share, 0);
    const anyPath = paths[ROW_ANY]!;
    const startsAt = anyPath.count.findIndex((c) => c >= rule.minCount);
    const countedEffect = Math.max(1, anyPath.designEffect[0]!, startsAt < 0 ? 1 : anyPath.designEffect[startsAt]!);
    const counted = { observed: anyPath.count[0]!, designEffect: countedEffect, share: setPairs > 0 ? (countedEffect * poissonUpper(anyPath.count[0]! / countedEffect, rule.confidence)) / setPairs : 1 };
    let picturePairs = 0;
    for (const cat of cats) picturePairs += counts.picturePairs[cat]!;
    const codes: CodeTail[] = CODE_KINDS.map((kind, kk) => {
      const threshold = thresholds[KIND_PATH[kk]!]!;
      let codePairs = 0;
      const hist = new Array<number>(257).fill(0);
      for (const cat of cats) {
        for (let d = 0; d <= 256; d++) {
          const v = counts.codes[(cat * CODE_KINDS.length + kk) * 257 + d]!;
          hist[d] = hist[d]! + v;
          codePairs += v;
        }
      }
      const count: number[] = [];
      let run = 0;
      for (let d = 0; d <= Math.min(256, threshold + reach); d++) {
        run += hist[d]!;
        if (d >= threshold) count.push(run);
      }
      const bound = tailBound({ total: Math.max(1, codePairs), count }, rule);
      const g = gaussianTail(hist, threshold, rule.minCount);
      const gaussian = g ? { ...g, perSetPair: setPairs > 0 ? g.predicted / setPairs : 0 } : null;
      const b = binomialTail(hist, threshold, rule.minCount);
      const binomial = b ? { ...b, perSetPair: setPairs > 0 ? b.predicted / setPairs : 0 } : null;
      return { kind, threshold, codePairs, count, bound, perSetPair: setPairs > 0 ? (bound.share * codePairs) / setPairs : 0, gaussian, binomial };
    });
    // Two agreeing regions need two region pairs within the threshold: one is already an upper bound.
    const codeUnion = codes.filter((c) => c.kind !== 'today').reduce((a, c) => a + c.perSetPair, 0);
    const pictures = new Map<string, PopulationTail['nearest'][number]>();
    for (const x of listed) {
      if (!cats.includes(x.category)) continue;
      const key = `${x.path}\u0000${x.upload}\u0000${x.registered}`;
      const held = pictures.get(key);
      if (!held) pictures.set(key, { path: TAIL_PATHS[x.path]!, upload: x.upload, registered: x.registered, margin: x.margin, sets: 1 });
      else {
        held.margin = Math.min(held.margin, x.margin);
        held.sets++;
      }
    }
    const nearest = TAIL_PATHS.flatMap((path) =>
      [...pictures.values()]
        .filter((x) => x.path === path)
        .sort((a, b) => a.margin - b.margin)
        .slice(0, NEAREST_SHOWN),
    );
    return { name: pop.name, setPairs, paths, union, picturePairs, counted, codes, codeUnion, nearest, tuneCount: TAIL_ROWS.map((_, r) => cumulative(r, [0])), tuneSetPairs: totalOf(ROW_ANY, [0]) };
  });
  const named = Object.fromEntries(TAIL_PATHS.map((p, r) => [p, thresholds[r]!])) as Record<TailPath, number>;
  return { reach, thresholds: named, rule, codePairs: counts.codePairs, seconds, populations };
}

/** Cumulative counts of one histogram row at k = 0..reach. */
function prefix(a: ArrayLike<number>, base: number, offset: number, reach: number): number[] {
  const out: number[] = [];
  let run = 0;
  for (let b = 0; b <= offset + reach; b++) {
    run += a[base + b]!;
    if (b >= offset) out.push(run);
  }
  return out;
}
