/**
 * What one picture turns into: the registered set (everything a victim's image is
 * registered as) and the query set (everything an upload is searched with). Both come
 * from the same luma image through the same code, on the server and in the browser.
 */
import { pdqFromDecimated } from '../pdq.js';
import { AreaSampler, relativeBox, sampleRotated, type Box, type LumaImage } from './luma-image.js';
import { findContentBox, trimsSomething, DEFAULT_TRIM_RULES, type TrimRules } from './trim.js';
import { detectTilt, innerScale, TILT_CORNERS } from './tilt.js';
import { regionsOf, stableSegments, DEFAULT_SEGMENT_RULES, type Segment, type SegmentMoments, type SegmentRules } from './segments.js';
import { dominantOrientation, DEFAULT_ORIENTATION_RULES, type Orientation, type OrientationRules } from './orientation.js';
import { isGraphic, measureTexture, type GraphicRule, type Texture } from './texture.js';

/** What a derived hash was computed from. */
export type Role = 'full' | 'trimmed' | 'window' | 'region' | 'tilt';

export interface DerivedHash {
  readonly role: Role;
  /** The hashed box, in fractions of the (oriented) picture; for a turned window, the box before turning. */
  readonly box: Box;
  /** Turn of the hashed window, radians ('tilt', and upright regions). */
  readonly angle?: number;
  /** 32 bytes; with `dihedral`, the 8 dihedral hashes (own first). */
  readonly hashes: Uint8Array[];
  readonly quality: number;
  /** How flat the hashed box is (texture.ts): flat graphics are neither registered nor searched. */
  readonly texture: Texture;
  /** The whole picture ('full' only, which is kept whatever it is): a flat graphic, so it meets only whole pictures. */
  readonly graphic?: true;
}

export interface DeriveRules {
  readonly trim: TrimRules;
  readonly segments: SegmentRules;
  readonly orientation: OrientationRules;
  /**
   * Upright regions: when the picture's content has a direction (coherence) and it is
   * turned from the frame by at least `minDegrees` (less is within PDQ's tolerance) and at
   * most `maxDegrees`, its regions are also boxed and hashed in the frame turned by it.
   */
  readonly upright: {
    readonly minCoherence: number;
    readonly minDegrees: number;
    readonly maxDegrees: number;
    /** Largest turn an upright window is hashed for (registered, and queried from the content's orientation). */
    readonly maxTiltDegrees: number;
    /** Scale of the centred upright window: one scale on both sides, so that they meet whatever the two turns are. */
    readonly windowScale: number;
    /**
     * Upright regions hashed per picture (the largest segments first): measured on the tune
     * half, the ones after the first few found nothing the others had not (cost and
     * impostor chances without recall).
     */
    readonly maxRegions: number;
  };
  /** Centred windows registered, as shares of each side of the (trimmed) picture. */
  readonly windowScales: readonly number[];
  /**
   * Centred windows of an upload's content searched beside the whole: half a step of the
   * registered scales, so that a centred crop of any amount lands within a quarter step of
   * a registered window through one of them (PDQ tolerates about 1 % per edge).
   */
  readonly queryWindowScales: readonly number[];
  /**
   * Pictures whose content is not their whole frame (trimmed flat bands) also register
   * windows centred on the frame, at the scales a tilt of the frame up to this many degrees
   * with filled corners makes the query ask for (`tiltWindows`: the tilted copy keeps the
   * frame, so its tilt windows are centred on the frame, not on the content). 0: none.
   */
  readonly frameWindowDegrees: number;
  /** Corners of an upload whose filled triangles must agree on one tilt (tilt.ts): 3 of 4, or all 4. */
  readonly tiltCorners: number;
  /** Also register the centred square (and the centred 4:5 / 5:4 of non-square pictures). */
  readonly aspectWindows: boolean;
  /** Derived hashes below this PDQ quality are not registered or queried (flat regions). */
  readonly minQuality: number;
  /** Derived hashes of flat graphics are not registered or queried either (texture.ts). */
  readonly graphic: GraphicRule;
}

/** No graphic gate (evaluation: the texture of every hash is kept, and the gate applied afterwards). */
export const NO_GRAPHIC_GATE: GraphicRule = { maxFlat: Number.POSITIVE_INFINITY, maxLevels: Number.POSITIVE_INFINITY };

export const DEFAULT_DERIVE_RULES: DeriveRules = {
  trim: DEFAULT_TRIM_RULES,
  segments: DEFAULT_SEGMENT_RULES,
  orientation: DEFAULT_ORIENTATION_RULES,
  upright: { minCoherence: 0.02, minDegrees: 0.3, maxDegrees: 45, maxTiltDegrees: 10, windowScale: 0.76, maxRegions: 4 },
  windowScales: [0.96, 0.92, 0.88, 0.84, 0.8, 0.76],
  queryWindowScales: [0.98],
  frameWindowDegrees: 6,
  tiltCorners: TILT_CORNERS,
  aspectWindows: true,
  minQuality: 50,
  graphic: { maxFlat: 0.5, maxLevels: 0.9 },
};

function centred(box: Box, scaleX: number, scaleY: number): Box {
  const cx = (box.x0 + box.x1) / 2;
  const cy = (box.y0 + box.y1) / 2;
  const hx = ((box.x1 - box.x0) * scaleX) / 2;
  const hy = ((box.y1 - box.y0) * scaleY) / 2;
  return { x0: cx - hx, y0: cy - hy, x1: cx + hx, y1: cy + hy };
}

/** Centred windows of a given aspect (width / height) inside a box, when it differs enough. */
function aspectWindow(box: Box, aspect: number): Box | undefined {
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  const own = w / h;
  if (Math.abs(Math.log(own / aspect)) < 0.08) return undefined;
  return own > aspect ? centred(box, (h * aspect) / w, 1) : centred(box, 1, w / aspect / h);
}

class Hasher {
  private readonly sampler: AreaSampler;
  private readonly cells = new Float64Array(64 * 64);
  constructor(readonly image: LumaImage) {
    this.sampler = new AreaSampler(image);
  }
  box(role: Role, box: Box, dihedral: boolean): DerivedHash {
    const { hashes, quality } = pdqFromDecimated(this.sampler.sampleBox(box, this.cells), dihedral);
    return { role, box: relativeBox(box, this.image.width, this.image.height), hashes, quality, texture: measureTexture(this.image, box) };
  }
  turned(role: Role, box: Box, angle: number, dihedral: boolean): DerivedHash {
    const centre = { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 };
    sampleRotated(this.image, centre, (box.x1 - box.x0) / 2, (box.y1 - box.y0) / 2, angle, this.cells);
    const { hashes, quality } = pdqFromDecimated(this.cells, dihedral);
    // The texture of the box before turning: the same content, give or take its corners.
    return { role, box: relativeBox(box, this.image.width, this.image.height), angle, hashes, quality, texture: measureTexture(this.image, box) };
  }
}

function crop(image: LumaImage, box: Box): LumaImage {
  const x0 = Math.round(box.x0);
  const y0 = Math.round(box.y0);
  const width = Math.round(box.x1) - x0;
  const height = Math.round(box.y1) - y0;
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) data.set(image.data.subarray((y0 + y) * image.width + x0, (y0 + y) * image.width + x0 + width), y * width);
  return { width, height, data };
}

/** What both sets of a picture are derived from: its sampler, its content box, its orientation and its regions. */
interface Analysis {
  readonly hasher: Hasher;
  readonly content: Box;
  readonly orientation: Orientation;
  /** Stable segments of the content (coordinates inside the content box). */
  readonly segments: readonly SegmentMoments[];
  readonly regions: DerivedHash[];
}

/** Whether the content is turned from its frame enough, and clearly enough, to be hashed upright too (up to `maxDegrees`). */
function turnedEnough(orientation: Orientation, upright: DeriveRules['upright'], maxDegrees = upright.maxDegrees): boolean {
  const degrees = Math.abs((orientation.angle * 180) / Math.PI);
  return orientation.coherence >= upright.minCoherence && degrees >= upright.minDegrees && degrees <= maxDegrees;
}

/**
 * The centred window of the upright picture at the upright window scale, when the turn
 * leaves it whole (undefined otherwise). A picture not turned enough registers its
 * axis-aligned window of that scale instead (one of `windowScales`).
 */
function uprightWindow(hasher: Hasher, frame: Box, orientation: Orientation, rules: DeriveRules, role: Role): DerivedHash | undefined {
  if (!turnedEnough(orientation, rules.upright, rules.upright.maxTiltDegrees)) return undefined;
  const scale = rules.upright.windowScale;
  if (innerScale(frame.x1 - frame.x0, frame.y1 - frame.y0, orientation.angle) < scale) return undefined;
  return hasher.turned(role, centred(frame, scale, scale), orientation.angle, false);
}

/** Region hashes of the content's segments, boxed in the frame turned by `angle` (0: the picture's own frame; turned: the largest few). */
function regionHashesAt(hasher: Hasher, content: Box, segments: readonly SegmentMoments[], angle: number, rules: DeriveRules): DerivedHash[] {
  const shift = (s: Segment): Box => ({ x0: s.box.x0 + content.x0, y0: s.box.y0 + content.y0, x1: s.box.x1 + content.x0, y1: s.box.y1 + content.y0 });
  const segmentRules = angle === 0 ? rules.segments : { ...rules.segments, maxRegions: Math.min(rules.segments.maxRegions, rules.upright.maxRegions) };
  const boxes = regionsOf(segments, content.x1 - content.x0, content.y1 - content.y0, segmentRules, angle);
  return boxes.map((s) => (angle === 0 ? hasher.box('region', shift(s), false) : hasher.turned('region', shift(s), angle, false)));
}

/**
 * The picture's sampler, content box, orientation and regions: boxed in the picture's
 * frame, and, when its content is turned from the frame, also boxed and hashed upright
 * (in the frame turned by the content's own orientation), so that a tilted copy, whose
 * regions are upright again after the same measure, meets them.
 */
function analyse(image: LumaImage, rules: DeriveRules): Analysis {
  const hasher = new Hasher(image);
  const content = findContentBox(image, rules.trim);
  const inner = crop(image, content);
  const orientation = dominantOrientation(inner, rules.orientation);
  const segments = stableSegments(inner, rules.segments);
  const regions = regionHashesAt(hasher, content, segments, 0, rules);
  if (turnedEnough(orientation, rules.upright)) regions.push(...regionHashesAt(hasher, content, segments, orientation.angle, rules));
  return { hasher, content, orientation, segments, regions };
}

/**
 * Upright regions of an upload whose orientation lies near ±45°, in the frame a quarter
 * turn away: the orientation is read modulo a quarter turn, so a small tilt of a picture
 * at 44° reads as −43°, and its upright frame is then a quarter turn from the original's.
 */
function wrappedRegions({ hasher, content, orientation, segments }: Analysis, rules: DeriveRules): DerivedHash[] {
  const degrees = (orientation.angle * 180) / Math.PI;
  if (!turnedEnough(orientation, rules.upright) || Math.abs(degrees) < 45 - rules.upright.maxTiltDegrees) return [];
  return regionHashesAt(hasher, content, segments, orientation.angle - Math.sign(orientation.angle) * (Math.PI / 2), rules);
}

/** Scale of the frame's largest centred window a tilt by `angle` leaves whole, among `scales` (descending). */
function filledTiltScale(width: number, height: number, angle: number, scales: readonly number[]): number | undefined {
  const fits = innerScale(width, height, angle);
  return scales.find((s) => s <= fits);
}

/** Scale of the registered window a tilt by `angle` cut back to its inner rectangle keeps whole, as a share of the cut frame. */
function cutBackScale(width: number, height: number, angle: number, scales: readonly number[]): { registered: number; cut: number } | undefined {
  const fits = innerScale(width, height, angle);
  const registered = scales.find((s) => s / fits <= fits);
  return registered === undefined ? undefined : { registered, cut: registered / fits };
}

/**
 * Scales of the frame-centred windows that `tiltWindows` asks for on a copy of this
 * picture tilted by up to `frameWindowDegrees` with its corners filled (a quarter of a
 * degree apart: neighbouring tilts pick the same scale). A tilt cut back to its inner
 * rectangle would ask for smaller ones too; measured, they added hashes and no match.
 */
function frameWindowScales(width: number, height: number, rules: DeriveRules): number[] {
  const scales = [1, ...rules.windowScales];
  const used = new Set<number>();
  for (let degrees = 0.25; degrees <= rules.frameWindowDegrees; degrees += 0.25) {
    const filled = filledTiltScale(width, height, (degrees * Math.PI) / 180, scales);
    if (filled !== undefined && filled < 1) used.add(filled);
  }
  return rules.windowScales.filter((s) => used.has(s));
}

/** The registered set of an analysed picture. */
function registeredFrom({ hasher, content, orientation, regions }: Analysis, rules: DeriveRules): DerivedHash[] {
  const { image } = hasher;
  const whole: Box = { x0: 0, y0: 0, x1: image.width, y1: image.height };
  const out: DerivedHash[] = [hasher.box('full', whole, false)];
  if (trimsSomething(content, image.width, image.height)) out.push(hasher.box('trimmed', content, false));
  for (const s of rules.windowScales) out.push(hasher.box('window', centred(content, s, s), false));
  if (rules.aspectWindows) {
    for (const aspect of [1, 4 / 5, 5 / 4]) {
      const w = aspectWindow(content, aspect);
      if (w) out.push(hasher.box('window', w, false));
    }
  }
  const upright = uprightWindow(hasher, content, orientation, rules, 'window');
  if (upright) out.push(upright);
  if (trimsSomething(content, image.width, image.height)) {
    for (const s of frameWindowScales(image.width, image.height, rules)) out.push(hasher.box('window', centred(whole, s, s), false));
  }
  out.push(...regions);
  return kept(out, rules);
}

/**
 * The derived hashes a set keeps: sharp enough (PDQ quality) and not flat graphics. The
 * whole picture is always kept (today's matching, under the case's own quality rule), and
 * says whether it is a flat graphic: then it may meet only whole pictures, never windows
 * or regions of other images.
 */
function kept(set: DerivedHash[], rules: DeriveRules): DerivedHash[] {
  const out: DerivedHash[] = [];
  for (const h of set) {
    const graphic = isGraphic(h.texture, rules.graphic);
    if (h.role === 'full') out.push(graphic ? { ...h, graphic: true } : h);
    else if (h.quality >= rules.minQuality && !graphic) out.push(h);
  }
  return out;
}

/**
 * Upright windows of a tilted upload, for registered windows. When the turn shows in
 * filled corners (then the frame is the original's), it is undone and the largest
 * registered window it left whole is hashed. Otherwise the content's own orientation
 * gives the turn: the window at the upright scale meets the original's upright window
 * (any turn of the original, frame kept, corners filled or not); and, taking the
 * original as upright, the window a cut back to the largest rectangle of the picture's
 * proportions inside the turn (what editors do) makes of a registered window.
 */
function tiltWindows({ hasher, orientation }: Analysis, rules: DeriveRules): DerivedHash[] {
  const { image } = hasher;
  const whole: Box = { x0: 0, y0: 0, x1: image.width, y1: image.height };
  const scales = [1, ...rules.windowScales];
  const tilt = detectTilt(image, rules.tiltCorners);
  if (tilt) {
    const scale = filledTiltScale(image.width, image.height, tilt.angle, scales);
    return scale === undefined ? [] : [hasher.turned('tilt', centred(whole, scale, scale), tilt.angle, true)];
  }
  const out: DerivedHash[] = [];
  const kept = uprightWindow(hasher, whole, orientation, rules, 'tilt');
  if (!kept) return out;
  out.push(kept);
  // Cut back: this frame is `fits` of the original's, so a registered window of scale s is s / fits of it.
  const cut = cutBackScale(image.width, image.height, orientation.angle, scales);
  if (cut !== undefined) out.push(hasher.turned('tilt', centred(whole, cut.cut, cut.cut), orientation.angle, false));
  return out;
}

/** The query set of an analysed picture. */
function queryFrom(analysis: Analysis, rules: DeriveRules): DerivedHash[] {
  const { hasher, content, regions } = analysis;
  const { image } = hasher;
  const whole: Box = { x0: 0, y0: 0, x1: image.width, y1: image.height };
  const out: DerivedHash[] = [hasher.box('full', whole, true)];
  if (trimsSomething(content, image.width, image.height)) out.push(hasher.box('trimmed', content, true));
  for (const s of rules.queryWindowScales) out.push(hasher.box('window', centred(content, s, s), false));
  out.push(...tiltWindows(analysis, rules));
  out.push(...regions, ...wrappedRegions(analysis, rules));
  return kept(out, rules);
}

/** Everything registered for one picture. */
export function registeredSet(image: LumaImage, rules: DeriveRules = DEFAULT_DERIVE_RULES): DerivedHash[] {
  return registeredFrom(analyse(image, rules), rules);
}

/** Everything an upload is searched with: whole-picture hashes with their dihedral variants, and regions. */
export function querySet(image: LumaImage, rules: DeriveRules = DEFAULT_DERIVE_RULES): DerivedHash[] {
  return queryFrom(analyse(image, rules), rules);
}

/** Both sets of one picture, sharing the trimming, the segmentation and the sampler (evaluation). */
export function bothSets(image: LumaImage, rules: DeriveRules = DEFAULT_DERIVE_RULES): { registered: DerivedHash[]; query: DerivedHash[] } {
  const analysis = analyse(image, rules);
  return { registered: registeredFrom(analysis, rules), query: queryFrom(analysis, rules) };
}
