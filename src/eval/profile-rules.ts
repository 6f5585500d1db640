/**
 * Decision rules of a matching profile, compared on one run: which (query set, registered
 * set) pairs match under each candidate rule, from the code pairs within the largest
 * threshold (their distance, roles, quality, texture and boxes). The shipped rule is one of
 * them; the others are what it was chosen against (recall lost against false matches
 * removed), so the report can show why it won. Pure: no I/O.
 */
import { isGraphic, type GraphicRule } from '../hashing/profile/texture.js';
import type { MatchingProfile, PairKind } from '../hashing/profile/profile.js';
import { otherWholeAnswered, regionsAgree, type DecisionRules, type RelativeBox } from '../hashing/profile/decision.js';
import { getAlgorithm } from '../hashing/registry.js';
import { ROLES, TEXTURE_SCALE, type PackedSet } from './profile-task.js';

/** Blockhash's threshold at the service's defaults (the bank's, for whole picture against whole picture). */
export const BLOCKHASH_THRESHOLD = getAlgorithm('blockhash').defaultThreshold;

/**
 * What a code pair is: a kind of pair of the profile's PDQ codes, or 'blockhash': the
 * service's blockhash of the whole upload against a registered image's (every upload is
 * hashed with every algorithm, and victims' clients register both).
 */
export type HitKind = PairKind | 'blockhash';

const FULL = ROLES.indexOf('full');
const REGION = ROLES.indexOf('region');

/** One code pair within the detail radius: which codes of which sets, and how far apart. */
export interface CodeHit {
  kind: HitKind;
  distance: number;
  query: PackedSet;
  /** Codes of the sets ('blockhash': the sets' whole-picture PDQ codes, whose quality and texture are the picture's). */
  i: number;
  registered: PackedSet;
  j: number;
  /** 'blockhash' only: the registered item holds no PDQ hash (an older client registered its blockhash alone). */
  legacy?: boolean;
}

export interface Thresholds {
  full: number;
  whole: number;
  region: number;
  /** Blockhash whole-picture pairs (absent: BLOCKHASH_THRESHOLD). */
  blockhash?: number;
}

export interface DecisionRule {
  name: string;
  /** Derived hashes of flat graphics neither registered nor searched; a graphic upload's whole-picture hash meets whole pictures only. */
  graphic: GraphicRule | null;
  /**
   * Region pairs alone match only when two of them agree on one scale-and-offset between the
   * upload and the registered image, or one is within `singleRegion` bits (decision.ts).
   */
  twoRegions?: Pick<DecisionRules, 'singleRegion' | 'agreeScale' | 'agreeOffset'>;
  /** A flat graphic upload's whole-picture hash meets whole pictures within this distance only. */
  graphicWhole?: number;
  /** Derived query hashes need at least this PDQ quality (the profile's floor). */
  derivedFloor: number;
  /**
   * An upload whose own whole-picture PDQ quality is under the floor matches nothing, not even
   * whole picture against whole picture (today's matching checks quality only at registration).
   */
  fullFloor?: boolean;
  /** Blockhash whole-picture pairs (decision.ts DecisionRules.otherWhole; absent: 'legacy'). */
  otherWhole?: DecisionRules['otherWhole'];
}

/** The rule a profile ships: its graphic gate, quality floor and decision rules (the service applies the same). */
export function shippedRule(profile: MatchingProfile, name = 'shipped'): DecisionRule {
  const { singleRegion, agreeScale, agreeOffset, uploadFloor, graphicWhole, otherWhole } = profile.decision;
  return { name, graphic: profile.rules.graphic, twoRegions: { singleRegion, agreeScale, agreeOffset }, derivedFloor: profile.minQuality, fullFloor: uploadFloor, graphicWhole, otherWhole };
}

/** PDQ quality of an upload's own whole-picture hash (its first 'full' code). */
export function uploadQuality(set: PackedSet): number {
  const i = set.roles.indexOf(FULL);
  return i < 0 ? 0 : set.quality[i]!;
}

const graphicAt = (set: PackedSet, k: number, rule: GraphicRule | null): boolean =>
  rule !== null && isGraphic({ flat: set.flat[k]! / TEXTURE_SCALE, levels: set.levels[k]! / TEXTURE_SCALE }, rule);

/** Whether a code pair may count under the rule (the service's quality floor and the graphic gate). */
export function allowed(hit: CodeHit, rule: DecisionRule): boolean {
  if (rule.fullFloor && uploadQuality(hit.query) < rule.derivedFloor) return false;
  if (hit.kind === 'blockhash') {
    // As the service: only pictures registered without PDQ, and never for a flat-graphic upload (decision.ts).
    const upload = { underFloor: uploadQuality(hit.query) < rule.derivedFloor, graphic: graphicAt(hit.query, hit.i, rule.graphic) };
    return otherWholeAnswered(upload, hit.legacy !== true, { uploadFloor: rule.fullFloor === true, otherWhole: rule.otherWhole ?? 'legacy' });
  }
  if (hit.kind === 'full') return true;
  if (hit.query.quality[hit.i]! < rule.derivedFloor || graphicAt(hit.query, hit.i, rule.graphic)) return false;
  return hit.registered.roles[hit.j] === FULL || !graphicAt(hit.registered, hit.j, rule.graphic);
}

const boxOf = (boxes: Float32Array, k: number): RelativeBox => [boxes[4 * k]!, boxes[4 * k + 1]!, boxes[4 * k + 2]!, boxes[4 * k + 3]!];

/** Two region pairs of different regions on both sides whose mappings agree (decision.ts). */
export function agree(a: CodeHit, b: CodeHit, rules: NonNullable<DecisionRule['twoRegions']>): boolean {
  if (a.i === b.i || a.j === b.j) return false;
  const pair = (h: CodeHit) => ({ query: boxOf(h.query.boxes, h.i), registered: boxOf(h.registered.boxes, h.j) });
  return regionsAgree(pair(a), pair(b), rules);
}

/** Closest distance per route of a set pair (257: none): what `decide` and the margins are read from. */
export interface RouteMinima {
  full: number;
  whole: number;
  /**
   * Region pairs, as the distance the region threshold is held against: the larger distance
   * of the closest two agreeing pairs, or a lone pair's distance raised by the region
   * threshold less the single-region distance (so it matches exactly when within the latter).
   */
  region: number;
  /** Blockhash whole picture against whole picture, where the rule answers it. */
  blockhash: number;
}

const NONE = 257;

/**
 * Closest distance per route under the rule at these thresholds (only the region route
 * depends on them). A set pair matches when some route is within its kind's threshold;
 * its margin (how far it is from matching) is the least route distance less its threshold.
 */
export function routeMinima(hits: readonly CodeHit[], rule: DecisionRule, t: Thresholds): RouteMinima {
  const out = { full: NONE, whole: NONE, region: NONE, blockhash: NONE };
  const regions: CodeHit[] = [];
  const two = rule.twoRegions;
  for (const h of hits) {
    if (!allowed(h, rule)) continue;
    if (h.kind === 'blockhash') out.blockhash = Math.min(out.blockhash, h.distance);
    else if (h.kind === 'full') {
      // A graphic upload meets whole pictures within the tighter distance only.
      const graphic = rule.graphicWhole !== undefined && graphicAt(h.query, h.i, rule.graphic);
      out.full = Math.min(out.full, h.distance + (graphic ? Math.max(0, t.full - rule.graphicWhole!) : 0));
    } else if (!two || h.query.roles[h.i] !== REGION) out[h.kind] = Math.min(out[h.kind], h.distance);
    else {
      // One upload region alone: within the single-region distance only.
      out[h.kind] = Math.min(out[h.kind], h.distance + Math.max(0, t[h.kind] - two.singleRegion));
      if (h.kind === 'region') regions.push(h);
    }
  }
  if (two && regions.length > 1) {
    regions.sort((a, b) => a.distance - b.distance);
    for (let y = 1; y < regions.length && regions[y]!.distance < out.region; y++) {
      for (let x = 0; x < y; x++) if (agree(regions[x]!, regions[y]!, two)) out.region = Math.min(out.region, regions[y]!.distance);
    }
  }
  return out;
}

/** Whether route minima match at these thresholds. */
export const within = (m: RouteMinima, t: Thresholds): boolean =>
  m.full <= t.full || m.whole <= t.whole || m.region <= t.region || m.blockhash <= (t.blockhash ?? BLOCKHASH_THRESHOLD);

/** Whether a set pair with these code hits matches under the rule at these thresholds. */
export const decide = (hits: readonly CodeHit[], rule: DecisionRule, t: Thresholds): boolean => within(routeMinima(hits, rule, t), t);

/** The service's blockhash codes of an upload and of a registered image (8 words each), and whether that image was registered by blockhash alone. */
export interface BlockhashPair {
  query: Uint32Array;
  registered: Uint32Array;
  legacy?: boolean;
}

/**
 * Every code pair of a query set and a registered set within `radius` (genuine pairs: small
 * sets, a plain scan), and their blockhash pair when given (the service searches it too).
 */
export function codeHits(
  query: PackedSet,
  registered: PackedSet,
  radius: number,
  distance: (a: Uint32Array, i: number, b: Uint32Array, j: number) => number,
  blockhash?: BlockhashPair,
): CodeHit[] {
  const out: CodeHit[] = [];
  if (blockhash) {
    const d = distance(blockhash.query, 0, blockhash.registered, 0);
    const i = query.roles.indexOf(FULL);
    const j = registered.roles.indexOf(FULL);
    if (d <= radius && i >= 0 && j >= 0) out.push({ kind: 'blockhash', distance: d, query, i, registered, j, ...(blockhash.legacy ? { legacy: true } : {}) });
  }
  for (let i = 0; i < query.roles.length; i++) {
    for (let j = 0; j < registered.roles.length; j++) {
      const d = distance(query.words, i, registered.words, j);
      if (d > radius) continue;
      const q = query.roles[i]!;
      const r = registered.roles[j]!;
      const kind: PairKind = q === FULL && r === FULL ? 'full' : q === REGION && r === REGION ? 'region' : 'whole';
      out.push({ kind, distance: d, query, i, registered, j });
    }
  }
  return out;
}
