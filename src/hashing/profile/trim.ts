/**
 * Finding the picture inside a frame: padding, letterbox bars, caption bars and the
 * chrome of a screenshot (status, app and navigation bars) are bands of one colour,
 * sometimes with a little text on them. Peeling such lines off every side, again and
 * again, leaves the picture. The same function runs on registered and queried images,
 * so whatever it peels off a picture's own flat edges (a white sky) it peels off both.
 */
import type { Box, LumaImage } from './luma-image.js';

export interface TrimRules {
  /** Luma levels (0..255) a pixel may differ from its band's colour. */
  readonly tolerance: number;
  /** Share of a line that must sit on one colour for the line to open a band. */
  readonly uniformShare: number;
  /** Share of a line on the band's colour for a line with text on it to stay in the band. */
  readonly bandShare: number;
  /** Longest run of other pixels (share of the line) that still reads as text, not picture. */
  readonly maxTextRun: number;
  /** Never keep less than this share of either side: a picture is not a thin strip. */
  readonly minKeep: number;
}

export const DEFAULT_TRIM_RULES: TrimRules = { tolerance: 12, uniformShare: 0.97, bandShare: 0.6, maxTextRun: 0.2, minKeep: 0.3 };

type Side = 'top' | 'bottom' | 'left' | 'right';
const SIDES: readonly Side[] = ['top', 'bottom', 'left', 'right'];

interface LineStats {
  /** Most common colour: the mean of the largest group of pixels within the tolerance. */
  mode: number;
  /** Share within tolerance of `mode`. */
  modeShare: number;
}

/** Reads the pixels of a row (or column) segment into `out`; returns their count. */
function readLine(image: LumaImage, side: Side, box: { x0: number; y0: number; x1: number; y1: number }, out: Float32Array): number {
  const { width, data } = image;
  if (side === 'top' || side === 'bottom') {
    const y = side === 'top' ? box.y0 : box.y1 - 1;
    for (let x = box.x0; x < box.x1; x++) out[x - box.x0] = data[y * width + x]!;
    return box.x1 - box.x0;
  }
  const x = side === 'left' ? box.x0 : box.x1 - 1;
  for (let y = box.y0; y < box.y1; y++) out[y - box.y0] = data[y * width + x]!;
  return box.y1 - box.y0;
}

const histogram = new Int32Array(256);

function lineStats(line: Float32Array, n: number, tolerance: number): LineStats {
  histogram.fill(0);
  for (let i = 0; i < n; i++) histogram[Math.round(line[i]!)]!++;
  // The colour with the most pixels within ±tolerance (a sliding window over the histogram).
  let window = 0;
  for (let v = 0; v <= Math.min(255, 2 * tolerance); v++) window += histogram[v]!;
  let best = window;
  let bestCentre = Math.min(255, tolerance);
  for (let centre = tolerance + 1; centre <= 255 - tolerance; centre++) {
    window += histogram[centre + tolerance]! - histogram[centre - tolerance - 1]!;
    if (window > best) {
      best = window;
      bestCentre = centre;
    }
  }
  // The window's first best position has the colour at its edge: centre on the pixels' mean.
  let sum = 0;
  for (let v = Math.max(0, bestCentre - tolerance); v <= Math.min(255, bestCentre + tolerance); v++) sum += v * histogram[v]!;
  return { mode: best > 0 ? sum / best : bestCentre, modeShare: best / n };
}

/** Share of the line within tolerance of `colour`, and its longest run of other pixels. */
function bandFit(line: Float32Array, n: number, colour: number, tolerance: number): { share: number; longestOther: number } {
  let inside = 0;
  let run = 0;
  let longest = 0;
  for (let i = 0; i < n; i++) {
    if (Math.abs(line[i]! - colour) <= tolerance) {
      inside++;
      run = 0;
    } else if (++run > longest) longest = run;
  }
  return { share: inside / n, longestOther: longest / n };
}

/**
 * The box of the picture inside its frame (integer pixel edges). The whole image when
 * nothing is peeled, or when peeling would leave less than `minKeep` of a side.
 */
export function findContentBox(image: LumaImage, rules: TrimRules = DEFAULT_TRIM_RULES): Box {
  const { width, height } = image;
  const box = { x0: 0, y0: 0, x1: width, y1: height };
  const minWidth = Math.ceil(width * rules.minKeep);
  const minHeight = Math.ceil(height * rules.minKeep);
  const line = new Float32Array(Math.max(width, height));
  // The colour of the band being peeled on each side (set by a uniform line).
  const band: Partial<Record<Side, number>> = {};
  let changed = true;
  while (changed) {
    changed = false;
    for (const side of SIDES) {
      for (;;) {
        const horizontal = side === 'top' || side === 'bottom';
        if (horizontal ? box.y1 - box.y0 <= minHeight : box.x1 - box.x0 <= minWidth) break;
        const n = readLine(image, side, box, line);
        const stats = lineStats(line, n, rules.tolerance);
        let peel = false;
        if (stats.modeShare >= rules.uniformShare) {
          band[side] = stats.mode;
          peel = true;
        } else if (band[side] !== undefined) {
          const fit = bandFit(line, n, band[side]!, rules.tolerance);
          peel = fit.share >= rules.bandShare && fit.longestOther <= rules.maxTextRun;
        }
        if (!peel) break;
        if (side === 'top') box.y0++;
        else if (side === 'bottom') box.y1--;
        else if (side === 'left') box.x0++;
        else box.x1--;
        changed = true;
      }
    }
  }
  return box;
}

/** Whether a content box leaves out enough of the image to be worth hashing apart. */
export function trimsSomething(box: Box, width: number, height: number, minShare = 0.01): boolean {
  return box.x0 > width * minShare || box.y0 > height * minShare || width - box.x1 > width * minShare || height - box.y1 > height * minShare;
}
