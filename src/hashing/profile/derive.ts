/**
 * What one picture turns into: the registered set (everything a victim's image is
 * registered as) and the query set (everything an upload is searched with). Both come
 * from the same luma image through the same code, on the server and in the browser.
 */
import { pdqFromDecimated } from '../pdq.js';
import { AreaSampler, relativeBox, sampleRotated, type Box, type LumaImage } from './luma-image.js';
import { findContentBox, trimsSomething, DEFAULT_TRIM_RULES, type TrimRules } from './trim.js';
import { detectTilt, innerScale } from './tilt.js';
import { findSegments, DEFAULT_SEGMENT_RULES, type SegmentRules } from './segments.js';
import { isGraphic, measureTexture, type GraphicRule, type Texture } from './texture.js';

/** What a derived hash was computed from. */
export type Role = 'full' | 'trimmed' | 'window' | 'region' | 'tilt';

export interface DerivedHash {
  readonly role: Role;
  /** The hashed box, in fractions of the (oriented) picture; for 'tilt', the box before turning. */
  readonly box: Box;
  /** Turn of the hashed window, radians ('tilt' only). */
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
  /** Centred windows registered, as shares of each side of the (trimmed) picture. */
  readonly windowScales: readonly number[];
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
  windowScales: [0.96, 0.92, 0.88, 0.84, 0.8, 0.76],
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
  turned(box: Box, angle: number, dihedral: boolean): DerivedHash {
    const centre = { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 };
    sampleRotated(this.image, centre, (box.x1 - box.x0) / 2, (box.y1 - box.y0) / 2, angle, this.cells);
    const { hashes, quality } = pdqFromDecimated(this.cells, dihedral);
    // The texture of the box before turning: the same content, give or take its corners.
    return { role: 'tilt', box: relativeBox(box, this.image.width, this.image.height), angle, hashes, quality, texture: measureTexture(this.image, box) };
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

/** Regions of the picture inside `content`, boxes in the coordinates of `image`. */
function regionHashes(hasher: Hasher, image: LumaImage, content: Box, rules: DeriveRules): DerivedHash[] {
  const inner = crop(image, content);
  return findSegments(inner, rules.segments).map((s) =>
    hasher.box('region', { x0: s.box.x0 + content.x0, y0: s.box.y0 + content.y0, x1: s.box.x1 + content.x0, y1: s.box.y1 + content.y0 }, false),
  );
}

/** The registered set of a picture whose hasher, content box and regions are already at hand. */
function registeredFrom(hasher: Hasher, content: Box, regions: DerivedHash[], rules: DeriveRules): DerivedHash[] {
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

/** The query set of a picture whose hasher, content box and regions are already at hand. */
function queryFrom(hasher: Hasher, content: Box, regions: DerivedHash[], rules: DeriveRules): DerivedHash[] {
  const { image } = hasher;
  const whole: Box = { x0: 0, y0: 0, x1: image.width, y1: image.height };
  const out: DerivedHash[] = [hasher.box('full', whole, true)];
  if (trimsSomething(content, image.width, image.height)) out.push(hasher.box('trimmed', content, true));
  const tilt = detectTilt(image);
  if (tilt) {
    // Undo the turn and keep the largest registered window that the turn left whole.
    const fits = innerScale(image.width, image.height, tilt.angle);
    const scale = [1, ...rules.windowScales].find((s) => s <= fits);
    if (scale !== undefined) out.push(hasher.turned(centred(whole, scale, scale), tilt.angle, true));
  }
  out.push(...regions);
  return kept(out, rules);
}

/** Everything registered for one picture. */
export function registeredSet(image: LumaImage, rules: DeriveRules = DEFAULT_DERIVE_RULES): DerivedHash[] {
  const hasher = new Hasher(image);
  const content = findContentBox(image, rules.trim);
  return registeredFrom(hasher, content, regionHashes(hasher, image, content, rules), rules);
}

/** Everything an upload is searched with: whole-picture hashes with their dihedral variants, and regions. */
export function querySet(image: LumaImage, rules: DeriveRules = DEFAULT_DERIVE_RULES): DerivedHash[] {
  const hasher = new Hasher(image);
  const content = findContentBox(image, rules.trim);
  return queryFrom(hasher, content, regionHashes(hasher, image, content, rules), rules);
}

/** Both sets of one picture, sharing the trimming, the segmentation and the sampler (evaluation). */
export function bothSets(image: LumaImage, rules: DeriveRules = DEFAULT_DERIVE_RULES): { registered: DerivedHash[]; query: DerivedHash[] } {
  const hasher = new Hasher(image);
  const content = findContentBox(image, rules.trim);
  const regions = regionHashes(hasher, image, content, rules);
  return { registered: registeredFrom(hasher, content, regions, rules), query: queryFrom(hasher, content, regions, rules) };
}
