/**
 * Tilt of a picture turned by a few degrees inside its frame, read from the corners the
 * turn left empty (filled with one colour). Each corner holds a right triangle whose
 * legs run along the frame; their ratio is the tangent of the angle. Three corners that
 * agree on one angle are needed: a dark vignette or a black object in one corner is not
 * a tilt, and a tilted copy whose own content is as dark as the fill in one corner still is.
 */
import type { LumaImage } from './luma-image.js';

export interface Tilt {
  /** Radians, image coordinates (y down): content turned clockwise as displayed is positive. */
  readonly angle: number;
  /** Luma of the fill. */
  readonly fill: number;
}

const TOLERANCE = 14;
/** Below this the turn is within what PDQ tolerates; above, it is not a small tilt. */
const MIN_DEGREES = 0.4;
const MAX_DEGREES = 12;
/** The corners' angles must agree within this. */
const AGREEMENT_DEGREES = 0.6;
/** Corners that must agree by default: three of four (one may hold content as dark as the fill). */
export const TILT_CORNERS = 3;

const near = (v: number, fill: number): boolean => Math.abs(v - fill) <= TOLERANCE;

/** Run of fill pixels from a corner along a row or a column (in pixels). */
function run(image: LumaImage, x: number, y: number, dx: number, dy: number, fill: number, limit: number): number {
  const { width, data } = image;
  let n = 0;
  while (n < limit && near(data[(y + n * dy) * width + (x + n * dx)]!, fill)) n++;
  return n;
}

interface CornerLegs {
  /** Along the horizontal frame edge. */
  horizontal: number;
  /** Along the vertical frame edge. */
  vertical: number;
}

/**
 * Legs of the empty triangle at one corner, along the frame's edges. Undefined when there
 * is none or its long side is not straight.
 */
function cornerLegs(image: LumaImage, right: boolean, bottom: boolean, fill: number): CornerLegs | undefined {
  const { width, height } = image;
  const x = right ? width - 1 : 0;
  const y = bottom ? height - 1 : 0;
  const dx = right ? -1 : 1;
  const dy = bottom ? -1 : 1;
  const horizontal = run(image, x, y, dx, 0, fill, width);
  const vertical = run(image, x, y, 0, dy, fill, height);
  if (horizontal < 3 || vertical < 3 || horizontal >= width * 0.75 || vertical >= height * 0.75) return undefined;
  // Straightness: halfway along the longer leg, the run across must be about half the other leg.
  if (horizontal >= vertical) {
    const at = Math.round(horizontal / 2);
    const across = run(image, x + at * dx, y, 0, dy, fill, height);
    if (Math.abs(across - vertical / 2) > Math.max(2, vertical * 0.2)) return undefined;
  } else {
    const at = Math.round(vertical / 2);
    const across = run(image, x, y + at * dy, dx, 0, fill, width);
    if (Math.abs(across - horizontal / 2) > Math.max(2, horizontal * 0.2)) return undefined;
  }
  return { horizontal, vertical };
}

/**
 * The tilt of the picture, or undefined when the corners do not show one. Under a
 * clockwise turn the top-right and bottom-left triangles lie along the horizontal edges
 * (long horizontal leg) and the other two along the vertical edges; counter-clockwise,
 * the reverse.
 */
export function detectTilt(image: LumaImage, minCorners = TILT_CORNERS): Tilt | undefined {
  const { width, height, data } = image;
  if (width < 32 || height < 32) return undefined;
  const fill = data[0]!;
  const corners = [data[width - 1]!, data[(height - 1) * width]!, data[height * width - 1]!];
  if (!corners.every((v) => near(v, fill))) return undefined;
  const topLeft = cornerLegs(image, false, false, fill);
  const topRight = cornerLegs(image, true, false, fill);
  const bottomLeft = cornerLegs(image, false, true, fill);
  const bottomRight = cornerLegs(image, true, true, fill);
  const flat = (c: CornerLegs | undefined): number | undefined => (c && c.horizontal > c.vertical ? Math.atan2(c.vertical, c.horizontal) : undefined);
  const steep = (c: CornerLegs | undefined): number | undefined => (c && c.vertical > c.horizontal ? Math.atan2(c.horizontal, c.vertical) : undefined);
  // Clockwise: the top-right and bottom-left triangles are flat, the others steep; counter-clockwise, the reverse.
  const clockwise = agreeing([flat(topRight), flat(bottomLeft), steep(topLeft), steep(bottomRight)]);
  const counter = agreeing([flat(topLeft), flat(bottomRight), steep(topRight), steep(bottomLeft)]).map((a) => -a);
  const angles = clockwise.length >= counter.length ? clockwise : counter;
  if (angles.length < minCorners) return undefined;
  const mean = (angles.reduce((s, a) => s + a, 0) / angles.length) * (180 / Math.PI);
  if (Math.abs(mean) < MIN_DEGREES || Math.abs(mean) > MAX_DEGREES) return undefined;
  return { angle: (mean * Math.PI) / 180, fill };
}

/**
 * The largest set of corner angles that agree within `AGREEMENT_DEGREES`. A corner whose
 * own content is as dark as the fill runs past its triangle and reads another angle: it is
 * left out rather than spoiling the others.
 */
function agreeing(angles: readonly (number | undefined)[]): number[] {
  const known = angles.filter((a): a is number => a !== undefined).sort((a, b) => a - b);
  let best: number[] = [];
  for (let i = 0; i < known.length; i++) {
    let j = i;
    while (j + 1 < known.length && ((known[j + 1]! - known[i]!) * 180) / Math.PI <= AGREEMENT_DEGREES) j++;
    if (j - i + 1 > best.length) best = known.slice(i, j + 1);
  }
  return best;
}

/**
 * Scale of the largest centred rectangle of the picture's own proportions that a turn by
 * `angle` keeps inside a frame of the same size (the frame is cut back to the picture's
 * size, as editors do).
 */
export function innerScale(width: number, height: number, angle: number): number {
  const c = Math.abs(Math.cos(angle));
  const s = Math.abs(Math.sin(angle));
  return Math.min(width / (width * c + height * s), height / (height * c + width * s));
}
