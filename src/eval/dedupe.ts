/**
 * One picture, once: Debian packages ship the same artwork several times (openclipart's
 * drawings again as Tux Paint stamps, a logo in two packages), and two copies of one
 * picture are not an impostor pair: a hash that matches them is right. Before anything is
 * hashed, the corpus is reduced to one copy of each picture, judged on pixels alone (never
 * by the hash under test): each image is flattened onto white (transparent margins become
 * white), its uniform margins trimmed, and the rest shrunk to a 32 × 32 RGB thumbnail,
 * whatever its size and aspect; two images are one picture when their content has nearly
 * the same aspect and their thumbnails differ by at most a few levels per channel on
 * average, and by at most a tenth of the fainter one's ink (nearly blank pictures are not
 * all one picture). The first copy (photos first, then the distractor packages in their
 * order) is kept. The corpus is public Debian artwork: thumbnails may be cached on disk.
 */
import sharp from 'sharp';

/** Thumbnail side (pixels per side, RGB). */
export const THUMB_SIDE = 32;

export interface DedupeRules {
  /** Largest mean absolute difference of the thumbnails (levels 0..255, over every channel). */
  maxMeanDifference: number;
  /**
   * Largest mean difference as a share of the fainter thumbnail's ink (its mean distance from
   * white): two nearly blank pictures (a faint star, a wisp of mist, flattened on white) differ
   * by little in absolute terms and are still different pictures.
   */
  maxInkShare: number;
  /** Largest ratio between the two contents' aspect ratios (width / height), minus one. */
  maxAspectDifference: number;
}

export const DEFAULT_DEDUPE_RULES: DedupeRules = { maxMeanDifference: 8, maxInkShare: 0.1, maxAspectDifference: 0.1 };

export interface Fingerprint {
  /** Width / height of the trimmed content. */
  aspect: number;
  /** THUMB_SIDE² RGB values of the trimmed content. */
  thumb: Uint8Array;
}

/** The fingerprint of one image file (undefined when sharp cannot read it). */
export async function fingerprint(path: string): Promise<Fingerprint | undefined> {
  try {
    const flat = await sharp(path, { limitInputPixels: 1e8 }).flatten({ background: '#ffffff' }).toColourspace('srgb').png().toBuffer();
    let trimmed = sharp(flat);
    let info = await sharp(flat).metadata();
    try {
      const t = await sharp(flat).trim({ threshold: 10 }).png().toBuffer({ resolveWithObject: true });
      trimmed = sharp(t.data);
      info = { ...info, width: t.info.width, height: t.info.height };
    } catch {
      // A uniform image has nothing to trim to: keep it whole.
    }
    const thumb = await trimmed.resize(THUMB_SIDE, THUMB_SIDE, { fit: 'fill', kernel: 'cubic' }).removeAlpha().raw().toBuffer();
    return { aspect: (info.width ?? 1) / (info.height ?? 1), thumb: new Uint8Array(thumb) };
  } catch {
    return undefined;
  }
}

function meanDifference(a: Uint8Array, b: Uint8Array, stopAbove: number): number {
  let sum = 0;
  const cut = stopAbove * a.length;
  for (let i = 0; i < a.length; i++) {
    sum += Math.abs(a[i]! - b[i]!);
    if (sum > cut) return Number.POSITIVE_INFINITY;
  }
  return sum / a.length;
}

/** 4 × 4 grey means of a thumbnail: a cheap first look before the full comparison. */
function coarse(thumb: Uint8Array): Float32Array {
  const out = new Float32Array(16);
  const cell = THUMB_SIDE / 4;
  for (let y = 0; y < THUMB_SIDE; y++) {
    for (let x = 0; x < THUMB_SIDE; x++) {
      const p = 3 * (y * THUMB_SIDE + x);
      out[4 * Math.floor(y / cell) + Math.floor(x / cell)]! += (thumb[p]! + thumb[p + 1]! + thumb[p + 2]!) / 3;
    }
  }
  for (let i = 0; i < 16; i++) out[i]! /= cell * cell;
  return out;
}

export interface DedupeResult {
  /** For each input, the index of the earlier input it copies, or -1 when it is the first copy of its picture. */
  copyOf: number[];
}

/**
 * Marks every image that shows the same picture as an earlier one. The coarse 4 × 4 means
 * of two copies differ by at most the full threshold on average (averaging cannot widen a
 * difference), so the first look never drops a true copy.
 */
export function findCopies(prints: readonly (Fingerprint | undefined)[], rules: DedupeRules = DEFAULT_DEDUPE_RULES): DedupeResult {
  const n = prints.length;
  const coarseOf = prints.map((p) => (p ? coarse(p.thumb) : undefined));
  const inkOf = prints.map((p) => (p ? p.thumb.reduce((sum, v) => sum + 255 - v, 0) / p.thumb.length : 0));
  const copyOf = new Array<number>(n).fill(-1);
  const firsts: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = prints[i];
    const c = coarseOf[i];
    if (!p || !c) continue;
    for (const j of firsts) {
      const q = prints[j]!;
      const limit = Math.min(rules.maxMeanDifference, rules.maxInkShare * Math.min(inkOf[i]!, inkOf[j]!));
      if (Math.abs(Math.log(p.aspect / q.aspect)) > Math.log1p(rules.maxAspectDifference)) continue;
      const d = coarseOf[j]!;
      let coarseSum = 0;
      for (let k = 0; k < 16; k++) coarseSum += Math.abs(c[k]! - d[k]!);
      if (coarseSum / 16 > limit) continue;
      if (meanDifference(p.thumb, q.thumb, limit) <= limit) {
        copyOf[i] = j;
        break;
      }
    }
    if (copyOf[i] === -1) firsts.push(i);
  }
  return { copyOf };
}
