/**
 * Content-anchored regions: boxes that move with the picture's content, not with its
 * frame, so that a crop which keeps a region keeps its box (and hash) too.
 *
 * The picture is cut at fixed grey levels (not at its median or quantiles, which a crop
 * moves); each connected piece above or below a level that does not touch the frame is a
 * segment. A segment found again, nearly unchanged, at the next level is stable (it has
 * a sharp outline), and survives small changes of tone. Its box comes from its moments
 * (centroid and spread), which average thousands of pixels, rather than from its
 * extreme points, which one pixel can move. Segmentation runs at 512 px or more: at
 * 128 px one pixel is already more than PDQ's tolerance of about 1 % of a side.
 */
import { shrinkLuma, type Box, type LumaImage } from './luma-image.js';

export interface SegmentRules {
  /** Longest side the segmentation runs at. */
  readonly side: number;
  /** Grey levels the picture is cut at. */
  readonly levels: readonly number[];
  /** Segment area bounds, as shares of the picture. */
  readonly minArea: number;
  readonly maxArea: number;
  /** Half-side of the region box in standard deviations of the segment (per axis). */
  readonly spread: number;
  /** Region boxes smaller than this share of the picture's shorter side are dropped. */
  readonly minBoxShare: number;
  /** Two segments at neighbouring levels are one if centroids and spreads agree within these shares. */
  readonly centroidTolerance: number;
  readonly spreadTolerance: number;
  /** Most regions returned (largest stable segments first). */
  readonly maxRegions: number;
}

export const DEFAULT_SEGMENT_RULES: SegmentRules = {
  side: 512,
  levels: [40, 64, 88, 112, 136, 160, 184, 208, 232],
  minArea: 0.001,
  maxArea: 0.3,
  spread: 2.5,
  minBoxShare: 0.1,
  centroidTolerance: 1,
  spreadTolerance: 10,
  maxRegions: 16,
};

/** A stable segment: its moments and the region box derived from them (in the input's pixels). */
export interface Segment {
  readonly level: number;
  /** true: brighter than the level; false: darker. */
  readonly bright: boolean;
  /** Share of the picture. */
  readonly area: number;
  readonly cx: number;
  readonly cy: number;
  readonly sx: number;
  readonly sy: number;
  /** Covariance of x and y over the segment (its spread along a turned axis). */
  readonly sxy: number;
  readonly box: Box;
  /**
   * Turn of the region box (radians, the sense of a tilt): the box is `box` turned by this
   * angle about its centre. 0 for regions boxed in the picture's own frame.
   */
  readonly angle: number;
}

/** A stable segment's moments, before a region box is drawn around it. */
export type SegmentMoments = Omit<Segment, 'box' | 'angle'>;

/** 3 × 3 box blur: the JPEG noise of a re-encode must not split or join segments. */
function blur3(image: LumaImage): Float32Array {
  const { width: w, height: h, data } = image;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = x > 0 ? x - 1 : x;
      const r = x < w - 1 ? x + 1 : x;
      tmp[y * w + x] = (data[y * w + l]! + data[y * w + x]! + data[y * w + r]!) / 3;
    }
  }
  for (let y = 0; y < h; y++) {
    const u = y > 0 ? y - 1 : y;
    const d = y < h - 1 ? y + 1 : y;
    for (let x = 0; x < w; x++) out[y * w + x] = (tmp[u * w + x]! + tmp[y * w + x]! + tmp[d * w + x]!) / 3;
  }
  return out;
}

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

/** Per-pixel scratch for one segmentation: union-find parents and moment sums per root. */
class Scratch {
  readonly parent: Int32Array;
  readonly count: Float64Array;
  readonly sumX: Float64Array;
  readonly sumY: Float64Array;
  readonly sumXX: Float64Array;
  readonly sumYY: Float64Array;
  readonly sumXY: Float64Array;
  readonly border: Uint8Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    this.count = new Float64Array(n);
    this.sumX = new Float64Array(n);
    this.sumY = new Float64Array(n);
    this.sumXX = new Float64Array(n);
    this.sumYY = new Float64Array(n);
    this.sumXY = new Float64Array(n);
    this.border = new Uint8Array(n);
  }
}

/** Segments of one level: 4-connected pieces of pixels on the same side of `level`. */
function segmentsAt(data: Float32Array, w: number, h: number, level: number, rules: SegmentRules, scratch: Scratch): SegmentMoments[] {
  const n = w * h;
  const { parent, count, sumX, sumY, sumXX, sumYY, sumXY, border } = scratch;
  for (let i = 0; i < n; i++) parent[i] = i;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const above = data[i]! >= level;
      if (x > 0 && data[i - 1]! >= level === above) {
        const a = find(parent, i - 1);
        const b = find(parent, i);
        if (a !== b) parent[b] = a;
      }
      if (y > 0 && data[i - w]! >= level === above) {
        const a = find(parent, i - w);
        const b = find(parent, i);
        if (a !== b) parent[b] = a;
      }
    }
  }
  count.fill(0);
  sumX.fill(0);
  sumY.fill(0);
  sumXX.fill(0);
  sumYY.fill(0);
  sumXY.fill(0);
  border.fill(0);
  for (let y = 0; y < h; y++) {
    const py = y + 0.5;
    const edgeRow = y === 0 || y === h - 1;
    for (let x = 0; x < w; x++) {
      const root = find(parent, y * w + x);
      const px = x + 0.5;
      count[root]!++;
      sumX[root]! += px;
      sumY[root]! += py;
      sumXX[root]! += px * px;
      sumYY[root]! += py * py;
      sumXY[root]! += px * py;
      if (edgeRow || x === 0 || x === w - 1) border[root] = 1;
    }
  }
  const out: SegmentMoments[] = [];
  for (let root = 0; root < n; root++) {
    const c = count[root]!;
    if (c === 0 || border[root]) continue;
    const area = c / n;
    if (area < rules.minArea || area > rules.maxArea) continue;
    const cx = sumX[root]! / c;
    const cy = sumY[root]! / c;
    out.push({
      level,
      bright: data[root]! >= level,
      area,
      cx,
      cy,
      sx: Math.sqrt(Math.max(0, sumXX[root]! / c - cx * cx)),
      sy: Math.sqrt(Math.max(0, sumYY[root]! / c - cy * cy)),
      sxy: sumXY[root]! / c - cx * cy,
    });
  }
  return out;
}

/**
 * The stable segments of a picture (moments in the coordinates of `image`): pieces found
 * again, nearly unchanged, at the next level. Largest first.
 */
export function stableSegments(image: LumaImage, rules: SegmentRules = DEFAULT_SEGMENT_RULES): SegmentMoments[] {
  const small = shrinkLuma(image, rules.side);
  const { width: w, height: h } = small;
  const data = blur3(small);
  const scratch = new Scratch(w * h);
  const diagonal = Math.hypot(w, h);
  const byLevel = rules.levels.map((level) => segmentsAt(data, w, h, level, rules, scratch));
  const same = (a: SegmentMoments, b: SegmentMoments): boolean =>
    a.bright === b.bright &&
    Math.hypot(a.cx - b.cx, a.cy - b.cy) <= rules.centroidTolerance * diagonal &&
    Math.abs(a.sx - b.sx) <= rules.spreadTolerance * a.sx &&
    Math.abs(a.sy - b.sy) <= rules.spreadTolerance * a.sy;
  const stable: SegmentMoments[] = [];
  byLevel.forEach((segments, i) => {
    const next = byLevel[i + 1] ?? [];
    for (const s of segments) if (next.some((t) => same(s, t))) stable.push(s);
  });
  const scale = image.width / w;
  return stable
    .sort((a, b) => b.area - a.area || a.level - b.level)
    .map((s) => ({ ...s, cx: s.cx * scale, cy: s.cy * scale, sx: s.sx * scale, sy: s.sy * scale, sxy: s.sxy * scale * scale }));
}

/**
 * Region boxes around stable segments, in the frame turned by `angle` (0: the picture's
 * own frame): centroid ± `spread` standard deviations along each turned axis. Boxes that
 * would leave the picture are dropped: a region is hashed only where all of it is seen.
 */
export function regionsOf(segments: readonly SegmentMoments[], width: number, height: number, rules: SegmentRules = DEFAULT_SEGMENT_RULES, angle = 0): Segment[] {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const minHalf = (rules.minBoxShare * Math.min(width, height)) / 2;
  const out: Segment[] = [];
  for (const s of segments) {
    // Spread along the turned axes u = (cos, sin) and v = (−sin, cos).
    const su = Math.sqrt(Math.max(0, s.sx * s.sx * cos * cos + 2 * s.sxy * cos * sin + s.sy * s.sy * sin * sin));
    const sv = Math.sqrt(Math.max(0, s.sx * s.sx * sin * sin - 2 * s.sxy * cos * sin + s.sy * s.sy * cos * cos));
    const hx = rules.spread * su;
    const hy = rules.spread * sv;
    // Too small a box holds too little to tell pictures apart. (Enlarging it instead
    // would tie its size to the frame, which a crop changes.)
    if (Math.min(hx, hy) < minHalf) continue;
    // The turned box's extent along the picture's axes.
    const ex = hx * Math.abs(cos) + hy * Math.abs(sin);
    const ey = hx * Math.abs(sin) + hy * Math.abs(cos);
    if (s.cx - ex < 0 || s.cy - ey < 0 || s.cx + ex > width || s.cy + ey > height) continue;
    const box = { x0: s.cx - hx, y0: s.cy - hy, x1: s.cx + hx, y1: s.cy + hy };
    // One region per place: a segment seen at several levels gives near-identical boxes.
    const duplicate = out.some((o) => Math.abs(o.box.x0 - box.x0) + Math.abs(o.box.x1 - box.x1) + Math.abs(o.box.y0 - box.y0) + Math.abs(o.box.y1 - box.y1) < 0.01 * (hx + hy));
    if (duplicate) continue;
    out.push({ ...s, box, angle });
    if (out.length >= rules.maxRegions) break;
  }
  return out;
}

/** The stable segments of a picture and their region boxes in its own frame. */
export function findSegments(image: LumaImage, rules: SegmentRules = DEFAULT_SEGMENT_RULES): Segment[] {
  return regionsOf(stableSegments(image, rules), image.width, image.height, rules);
}
