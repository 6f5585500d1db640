/**
 * Many needles searched in one pass over each haystack: a bitset of every needle's first
 * three bytes screens each position, and only positions that pass are compared in full.
 * Searching hundreds of needles (image slices and pixel runs, in several encodings) through
 * hundreds of megabytes of files stays a second's work instead of one pass per needle.
 */
export class NeedleSet {
  private readonly prefixBits = new Uint32Array((1 << 24) / 32);
  private readonly byPrefix = new Map<number, Buffer[]>();

  constructor(readonly needles: readonly Buffer[]) {
    for (const needle of needles) {
      if (needle.length < 3) throw new RangeError('needles must be at least 3 bytes long');
      const key = (needle[0]! << 16) | (needle[1]! << 8) | needle[2]!;
      this.prefixBits[key >>> 5]! |= 1 << (key & 31);
      const list = this.byPrefix.get(key);
      if (list) list.push(needle);
      else this.byPrefix.set(key, [needle]);
    }
  }

  /** The first needle found in `haystack` (scanning from its start), or undefined. */
  firstIn(haystack: Buffer): Buffer | undefined {
    const { prefixBits } = this;
    const end = haystack.length - 2;
    let key = haystack.length >= 2 ? (haystack[0]! << 8) | haystack[1]! : 0;
    for (let i = 0; i < end; i++) {
      key = ((key << 8) | haystack[i + 2]!) & 0xffffff;
      if ((prefixBits[key >>> 5]! & (1 << (key & 31))) === 0) continue;
      for (const needle of this.byPrefix.get(key)!) {
        if (i + needle.length <= haystack.length && haystack.compare(needle, 0, needle.length, i, i + needle.length) === 0) return needle;
      }
    }
    return undefined;
  }
}
