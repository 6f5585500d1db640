/**
 * The hash model shared by the server, the workers and the browser.
 * Nothing in src/hashing/ may import a Node API: the victim's page bundles this code.
 */

/** Decoded pixels, row-major, `channels` bytes per pixel (RGB or RGBA, 8 bits each). */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array | Uint8ClampedArray;
}

/** The 8 dihedral transforms of an image, in the order the PDQ reference names them. */
export const DIHEDRAL_NAMES = [
  'original',
  'rotate90',
  'rotate180',
  'rotate270',
  'flipX',
  'flipY',
  'flipPlus1',
  'flipMinus1',
] as const;
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];

/** A hash as it travels on the wire: 64 lowercase hex characters (256 bits). */
export interface WireHash {
  algorithm: string;
  value: string;
  /** 0..100 for algorithms that measure it (PDQ); absent otherwise. */
  quality?: number;
}

/** What an algorithm computes from one image. */
export interface ComputedHash extends WireHash {
  /** The 7 other dihedral hashes (hex), for algorithms that derive them, when asked. */
  dihedral?: Partial<Record<Exclude<DihedralName, 'original'>, string>>;
}

export interface HashOptions {
  /** Also derive the 7 other dihedral hashes (only for algorithms with `hasDihedral`). */
  dihedral?: boolean;
}

/**
 * One perceptual hash algorithm: adding an algorithm means adding one module that
 * exports one of these, and one line in `registry.ts`.
 */
export interface HashAlgorithm {
  /** Wire name, e.g. "pdq". */
  readonly name: string;
  /** Always 256 in this engine (32 bytes at rest, 64 hex on the wire). */
  readonly bits: 256;
  /** Matching threshold (inclusive Hamming distance) used when the operator sets none. */
  readonly defaultThreshold: number;
  /** Whether the algorithm reports a quality score (0..100). */
  readonly hasQuality: boolean;
  /** Whether the algorithm can derive hashes of the 8 rotations/mirrors of the image. */
  readonly hasDihedral: boolean;
  /** One-line description for docs and `--help`. */
  readonly description: string;
  hash(pixels: Pixels, options?: HashOptions): ComputedHash;
}

export const HASH_BITS = 256;
export const HASH_BYTES = HASH_BITS / 8;
export const HASH_HEX_LENGTH = HASH_BITS / 4;
