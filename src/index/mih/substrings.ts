import { WORDS_PER_CODE } from '../../hashing/hamming.js';

/** Longest substring a table may use: its bucket directory holds 2^bits 4-byte heads. */
export const MAX_SUBSTRING_BITS = 26;
export const MIN_SUBSTRING_BITS = 4;
const CODE_BITS = WORDS_PER_CODE * 32;

/**
 * How the 256 bits of a code are cut into m disjoint substrings, one per table.
 * Bit i of a code is bit (31 - i % 32) of word ⌊i / 32⌋ (most significant first), so
 * substring j covers bits [start_j, start_j + bits_j). Bits left over when m·bits < 256
 * are simply not indexed: the pigeonhole bound only needs the substrings to be disjoint.
 */
export interface SubstringLayout {
  readonly count: number;
  /** Bits of each substring. */
  readonly bits: Int32Array;
  /** Word holding the first bit of each substring. */
  readonly word: Int32Array;
  /** Offset of the first bit inside that word, counted from the most significant bit. */
  readonly left: Int32Array;
}

/** `count` substrings of `bits` bits each (count · bits ≤ 256). */
export function makeLayout(count: number, bits: number): SubstringLayout {
  if (!Number.isInteger(bits) || bits < MIN_SUBSTRING_BITS || bits > MAX_SUBSTRING_BITS) {
    throw new RangeError(`substringBits must be an integer from ${MIN_SUBSTRING_BITS} to ${MAX_SUBSTRING_BITS}, got ${bits}`);
  }
  if (!Number.isInteger(count) || count < 1 || count * bits > CODE_BITS) {
    throw new RangeError(`substrings must be an integer from 1 to ${Math.floor(CODE_BITS / bits)} for ${bits}-bit substrings, got ${count}`);
  }
  const layout = { count, bits: new Int32Array(count), word: new Int32Array(count), left: new Int32Array(count) };
  for (let j = 0; j < count; j++) {
    const start = j * bits;
    layout.bits[j] = bits;
    layout.word[j] = start >>> 5;
    layout.left[j] = start & 31;
  }
  return layout;
}

/** The value of substring `j` of the code whose words start at `offset`. */
export function substringKey(layout: SubstringLayout, j: number, words: Uint32Array, offset: number): number {
  const bits = layout.bits[j]!;
  const left = layout.left[j]!;
  const w = offset + layout.word[j]!;
  const end = left + bits;
  if (end <= 32) return (words[w]! >>> (32 - end)) & ((1 << bits) - 1);
  // The substring straddles two words: high part from the end of one, low part from the next.
  const low = end - 32;
  return ((words[w]! & ((1 << (32 - left)) - 1)) << low) | (words[w + 1]! >>> (32 - low));
}
