/**
 * Decision rules of a matching profile, compared on one run: which (query set, registered
 * set) pairs match under each candidate rule, from the code pairs within the largest
 * threshold (their distance, roles, quality, texture and boxes). The shipped rule is one of
 * them; the others are what it was chosen against (recall lost against false matches
 * removed), so the report can show why it won. Pure: no I/O.
 */
import { isGraphic, type GraphicRule } from '../hashing/profile/texture.js';
import type { PairKind } from '../hashing/profile/profile.js';
import { ROLES, TEXTURE_SCALE, type PackedSet } from './profile-task.js';

const FULL = ROLES.indexOf('full');
const REGION = ROLES.indexOf('region');

/** One code pair within the detail radius: which codes of which sets, and how far apart. */
export interface CodeHit {
  kind: PairKind;
  distance: number;
  query: PackedSet;
  i: number;
  registered: PackedSet;
  j: number;
}

export interface Thresholds {
  full: number;
  whole: number;
  region: number;
}

export interface DecisionRule {
  name: string;
  /** Derived hashes of flat graphics neither registered nor searched; a graphic upload's whole-picture hash meets whole pictures only. */
  graphic: GraphicRule | null;
  /**
   * Region pairs alone match only when two of them agree on one scale-and-offset between the
   * upload and the registered image, or one is within `single` bits.
   */
  twoRegions?: { single: number };
  /** Derived query hashes need at least this PDQ quality (the profile's floor). */
  derivedFloor: number;
  /**
   * Also hold the whole picture against the whole picture (today's matching) to the floor: an
   * upload whose own PDQ quality is under it matches nothing (PDQ's authors deem such hashes
   * unreliable; today's service checks quality only at registration).
   */
  fullFloor?: boolean;
}

const graphicAt = (set: PackedSet, k: number, rule: GraphicRule | null): boolean =>
  rule !== null && isGraphic({ flat: set.flat[k]! / TEXTURE_SCALE, levels: set.levels[k]! / TEXTURE_SCALE }, rule);

/** Whether a code pair may count under the rule (the service's quality floor and the graphic gate). */
export function allowed(hit: CodeHit, rule: DecisionRule): boolean {
  if (hit.kind === 'full') return !rule.fullFloor || hit.query.quality[hit.i]! >= rule.derivedFloor;
  if (hit.query.quality[hit.i]! < rule.derivedFloor || graphicAt(hit.query, hit.i, rule.graphic)) return false;
  return hit.registered.roles[hit.j] === FULL || !graphicAt(hit.registered, hit.j, rule.graphic);
}

/** Scale and offset per axis taking the query box of a pair onto its registered box. */
function mapping(hit: CodeHit): [number, number, number, number] {
  const q = hit.query.boxes;
  const r = hit.registered.boxes;
  const a = 4 * hit.i;
  const b = 4 * hit.j;
  const sx = (r[b + 2]! - r[b]!) / Math.max(1e-6, q[a + 2]! - q[a]!);
  const sy = (r[b + 3]! - r[b + 1]!) / Math.max(1e-6, q[a + 3]! - q[a + 1]!);
  return [sx, r[b]! - sx * q[a]!, sy, r[b + 1]! - sy * q[a + 1]!];
}

/** Two region pairs of different regions on both sides whose mappings agree within 8 % in scale and 3 % of the picture in offset. */
export function agree(a: CodeHit, b: CodeHit): boolean {
  if (a.i === b.i || a.j === b.j) return false;
  const [sxa, txa, sya, tya] = mapping(a);
  const [sxb, txb, syb, tyb] = mapping(b);
  return Math.abs(Math.log(sxa / sxb)) < 0.08 && Math.abs(Math.log(sya / syb)) < 0.08 && Math.abs(txa - txb) < 0.03 && Math.abs(tya - tyb) < 0.03;
}

/** Whether a set pair with these code hits matches under the rule at these thresholds. */
export function decide(hits: readonly CodeHit[], rule: DecisionRule, t: Thresholds): boolean {
  const regions: CodeHit[] = [];
  for (const h of hits) {
    if (h.distance > t[h.kind] || !allowed(h, rule)) continue;
    if (h.kind !== 'region') return true;
    if (!rule.twoRegions || h.distance <= rule.twoRegions.single) return true;
    regions.push(h);
  }
  for (let x = 0; x < regions.length; x++) for (let y = x + 1; y < regions.length; y++) if (agree(regions[x]!, regions[y]!)) return true;
  return false;
}

/** Every code pair of a query set and a registered set within `radius` (genuine pairs: small sets, a plain scan). */
export function codeHits(query: PackedSet, registered: PackedSet, radius: number, distance: (a: Uint32Array, i: number, b: Uint32Array, j: number) => number): CodeHit[] {
  const out: CodeHit[] = [];
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
