/**
 * How large each algorithm needs its pixels, as the longest side it is fed.
 * Shrinking before hashing lets libvips decode JPEG/WebP at 1/2, 1/4 or 1/8 scale
 * (shrink-on-load), the largest saving in the pipeline. Measured costs are in
 * docs/pipeline.md:
 * - pdq: its reference hashes PIL thumbnail((512, 512)); feeding 512 reproduces it.
 * - blockhash: 1024 changed 0 bits on all 49 PDQ vector images (up to 4032×3024)
 *   and leaves every blockhash vector (all under 1000 px) untouched; 512 flipped up
 *   to 16 bits on those vectors, so it is not used.
 * Algorithms not listed get full-size pixels.
 */
export const DECODE_MAX_SIDE: Readonly<Record<string, number>> = Object.freeze({
  pdq: 512,
  blockhash: 1024,
});

/** Groups algorithms by the size they are decoded at, so each size is decoded once. */
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
