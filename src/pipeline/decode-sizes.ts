/**
 * How large each algorithm needs its pixels, as the longest side it is fed.
 * Shrinking before hashing lets libvips decode JPEG/WebP at 1/2, 1/4 or 1/8 scale
 * (shrink-on-load), the largest saving in the pipeline. Measured costs are in
 * docs/pipeline.md:
 * - pdq: its reference hashes PIL thumbnail((512, 512)); 512 reproduces it.
 * - blockhash: 1024 changed 0 bits on all 49 PDQ vector images (up to 4032×3024)
 *   and leaves every blockhash vector (all under 1000 px) untouched; 512 flipped up
 *   to 16 bits on those vectors, so it is not used.
 * Algorithms not listed get full-size pixels.
 */
export const DECODE_MAX_SIDE: Readonly<Record<string, number>> = Object.freeze({
  pdq: 512,
  blockhash: 1024,
});

/**
 * The image is decoded once, to fit this side (the largest in DECODE_MAX_SIDE, with
 * shrink-on-load); algorithms wanting fewer pixels get them resized from that buffer,
 * in memory. Always, whichever algorithms are requested, so a hash never depends on
 * the request. Measured in docs/pipeline.md ("Decode once").
 */
export const SHARED_DECODE_SIDE = Math.max(...Object.values(DECODE_MAX_SIDE));

/**
 * Kernel for the in-memory resize from the shared decode. Of sharp's kernels,
 * lanczos3 (also sharp's resize default, used by the decode itself) came closest to
 * decoding straight to 512: mean 1.9 bits of PDQ over the 66 vector images (cubic 2.0,
 * mitchell 2.0, linear 2.1, mks2013 2.1), max 6 for all of them.
 */
export const DERIVED_RESIZE_KERNEL = 'lanczos3';

/** Groups algorithms by the size they are fed. */
export function groupByDecodeSize(algorithms: readonly string[]): Map<number | undefined, string[]> {
  const groups = new Map<number | undefined, string[]>();
  for (const name of algorithms) {
    const side = DECODE_MAX_SIDE[name];
    const group = groups.get(side);
    if (group) group.push(name);
    else groups.set(side, [name]);
  }
  return groups;
}

/** One decode and the sizes derived from its pixels. */
export interface DecodePlan {
  /** Longest side of the decode (undefined: full size). */
  decodeSide: number | undefined;
  /** Side each group of algorithms is fed; a side equal to decodeSide uses the decode as is. */
  groups: Map<number | undefined, string[]>;
}

/**
 * At most two decodes: one at SHARED_DECODE_SIDE for every algorithm with a size, and
 * one at full size for algorithms without one (none registered today).
 */
export function planDecodes(algorithms: readonly string[]): DecodePlan[] {
  const plans: DecodePlan[] = [];
  const sized = new Map<number | undefined, string[]>();
  const fullSize: string[] = [];
  for (const [side, names] of groupByDecodeSize(algorithms)) {
    if (side === undefined) fullSize.push(...names);
    else sized.set(side, names);
  }
  if (sized.size > 0) plans.push({ decodeSide: SHARED_DECODE_SIDE, groups: sized });
  if (fullSize.length > 0) plans.push({ decodeSide: undefined, groups: new Map([[undefined, fullSize]]) });
  return plans;
}
