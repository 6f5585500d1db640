/**
 * Is a box of the picture a photograph or a flat graphic? Flat graphics (icons, flags,
 * diagrams, dialogs, clipart, checkerboards) are made of a few exactly uniform colours:
 * their PDQ bits are decided by a handful of edges or by nothing at all, so windows and
 * regions of unrelated graphics collide at a few bits (eval-profile found doc figures
 * against icons' windows at distance 0, with PDQ quality 100: quality measures edges, not
 * how many DCT coefficients carry the picture). Photographs are never exactly flat: sensor
 * noise and texture move nearly every pixel away from its neighbours.
 *
 * Measured on the luma pixels of the decode (the same on the server and in the browser),
 * on a grid of sample points inside the box, so a box costs the same at any size.
 */
import type { Box, LumaImage } from './luma-image.js';

export interface Texture {
  /** Share of sample points whose right and lower neighbours have exactly their grey level. */
  readonly flat: number;
  /** Share of sample points on the 8 most frequent grey levels (rounded) of the box. */
  readonly levels: number;
}

/** When a derived hash counts as a flat graphic, and is then neither registered nor searched. */
export interface GraphicRule {
  /** Graphic when at least this share of the box is exactly flat. */
  readonly maxFlat: number;
  /** Graphic when at least this share of the box sits on its 8 most frequent grey levels. */
  readonly maxLevels: number;
}

/** Side of the sample grid (at most; fewer on boxes smaller than that in pixels). */
const GRID = 128;
/** Grey levels closer than this are the same colour (the luma of one RGB colour is exact; JPEG noise is not). */
const SAME = 0.5;

const histogram = new Int32Array(256);

/** Texture of a box (pixel coordinates of `image`, fractional edges allowed). */
export function measureTexture(image: LumaImage, box: Box): Texture {
  const { width, height, data } = image;
  const x0 = Math.max(0, box.x0);
  const y0 = Math.max(0, box.y0);
  const w = Math.min(width, box.x1) - x0;
  const h = Math.min(height, box.y1) - y0;
  const nx = Math.max(1, Math.min(GRID, Math.floor(w)));
  const ny = Math.max(1, Math.min(GRID, Math.floor(h)));
  histogram.fill(0);
  let flat = 0;
  for (let gy = 0; gy < ny; gy++) {
    // Sample points keep a right and a lower neighbour inside the image.
    const y = Math.min(height - 2, Math.max(0, Math.floor(y0 + ((gy + 0.5) * h) / ny)));
    for (let gx = 0; gx < nx; gx++) {
      const x = Math.min(width - 2, Math.max(0, Math.floor(x0 + ((gx + 0.5) * w) / nx)));
      const i = y * width + x;
      const v = data[i]!;
      if (Math.abs(data[i + 1]! - v) < SAME && Math.abs(data[i + width]! - v) < SAME) flat++;
      histogram[Math.min(255, Math.max(0, Math.round(v)))]!++;
    }
  }
  const n = nx * ny;
  // The 8 largest bins, by partial selection (256 bins: cheap).
  let top = 0;
  const taken = new Uint8Array(256);
  for (let k = 0; k < 8; k++) {
    let best = -1;
    for (let b = 0; b < 256; b++) if (!taken[b] && (best < 0 || histogram[b]! > histogram[best]!)) best = b;
    taken[best] = 1;
    top += histogram[best]!;
  }
  histogram.fill(0);
  return { flat: flat / n, levels: top / n };
}

export const isGraphic = (t: Texture, rule: GraphicRule): boolean => t.flat >= rule.maxFlat || t.levels >= rule.maxLevels;
