import sharp, { type Metadata, type Sharp } from 'sharp';
import type { Pixels } from '../hashing/types.js';
import { corrupt, emptyImage, fromDecoderError, isTimeout, timedOut, tooManyBytes, tooManyPixels, unsupported } from './decode-errors.js';
import { DERIVED_RESIZE_KERNEL } from './decode-sizes.js';
import type { DecodeLimits } from './limits.js';
import { describeUnrecognised, sniffImageFormat, type ImageFormat } from './sniff.js';

/** What the image is, read from its header without decoding pixels. */
export interface ImageHeader {
  /** 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heif' */
  format: string;
  /** Size after EXIF orientation, at full resolution (first frame). */
  width: number;
  height: number;
}

export interface DecodedImage extends ImageHeader {
  /** 8-bit sRGB RGBA, oriented, possibly shrunk (see DecodeOptions.fitInside). */
  pixels: Pixels;
}

export interface DecodeOptions {
  /** Shrink (never enlarge) so both sides fit this many pixels; full size when absent. */
  fitInside?: number;
}

const FORMAT_NAMES: Record<string, string> = {
  jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF', tiff: 'TIFF', heif: 'HEIF', avif: 'AVIF',
};

/**
 * The one place sharp is configured for untrusted input:
 * - failOn 'error': rejects truncated and broken data (a half-grey picture would
 *   hash as garbage and could match other garbage) but tolerates the benign
 *   warnings many real camera/messenger JPEGs carry (extraneous bytes, etc.).
 * - limitInputPixels: libvips' own bomb guard, behind our header check.
 * - ignoreIcc: pixels are taken as stored, as PIL (used for every reference hash)
 *   and browsers' createImageBitmap(..., {colorSpaceConversion:'none'}) do; see docs/pipeline.md.
 * - autoOrient: hashes describe the picture as displayed.
 * - pages 1: first frame of animations and multi-page TIFF.
 * - sequentialRead: libvips streams the decode and never spills pixels to a temp file.
 * - timeout: libvips kills the decode after limits.decodeTimeoutSeconds (IMAGE_TIMEOUT),
 *   so a CPU-heavy image cannot hold a worker indefinitely.
 */
function openUntrusted(bytes: Uint8Array, limits: DecodeLimits): Sharp {
  return sharp(bytes, {
    failOn: 'error',
    limitInputPixels: limits.maxPixels,
    ignoreIcc: true,
    autoOrient: true,
    pages: 1,
    page: 0,
    sequentialRead: true,
  }).timeout({ seconds: limits.decodeTimeoutSeconds });
}

function checkBytes(bytes: Uint8Array, limits: DecodeLimits): ImageFormat {
  if (bytes.byteLength === 0) throw emptyImage();
  if (bytes.byteLength > limits.maxInputBytes) throw tooManyBytes(bytes.byteLength, limits);
  const sniffed = sniffImageFormat(bytes);
  if (!sniffed) throw unsupported(describeUnrecognised(bytes));
  return sniffed;
}

/** Sniffs, reads the header and enforces the limits; decodes no pixels. */
export async function readImageHeader(bytes: Uint8Array, limits: DecodeLimits): Promise<ImageHeader> {
  const sniffed = checkBytes(bytes, limits);
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { failOn: 'error', limitInputPixels: false, pages: 1 }).metadata();
  } catch (error) {
    throw fromDecoderError(error, FORMAT_NAMES[sniffed]!, limits);
  }
  // The magic bytes and libvips must agree: a polyglot file is not worth the risk.
  if (metadata.format !== sniffed) throw corrupt(FORMAT_NAMES[sniffed]!);
  if (sniffed === 'heif' && metadata.compression === 'hevc') {
    throw unsupported('HEIC (HEVC-coded HEIF) cannot be decoded by this server; send JPEG or AVIF');
  }
  const format = sniffed === 'heif' && metadata.compression === 'av1' ? 'avif' : sniffed;
  const { width, height } = metadata;
  if (!width || !height) throw corrupt(FORMAT_NAMES[format]!);
  if (width * height > limits.maxPixels) throw tooManyPixels(width, height, limits);
  const oriented = metadata.autoOrient ?? { width, height };
  return { format, width: oriented.width, height: oriented.height };
}

/** Decodes untrusted bytes to oriented 8-bit sRGB RGBA pixels, or throws RempartError (IMAGE_*). */
export async function decodeToPixels(
  bytes: Uint8Array,
  limits: DecodeLimits,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  const header = await readImageHeader(bytes, limits);
  let pipeline = openUntrusted(bytes, limits);
  if (options.fitInside !== undefined) {
    pipeline = pipeline.resize({
      width: options.fitInside,
      height: options.fitInside,
      fit: 'inside',
      withoutEnlargement: true,
    });
  }
  try {
    // CMYK, grey, 16-bit and palette images all leave as 8-bit sRGB with alpha.
    const { data, info } = await pipeline
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || data.length !== info.width * info.height * 4) throw corrupt(FORMAT_NAMES[header.format]!);
    const pixels: Pixels = {
      width: info.width,
      height: info.height,
      channels: 4,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
    return { ...header, pixels };
  } catch (error) {
    throw fromDecoderError(error, FORMAT_NAMES[header.format]!, limits);
  }
}

/**
 * Shrinks decoded RGBA pixels (never enlarges) so both sides fit `side`, in memory:
 * how algorithms wanting fewer pixels are fed from the one shared decode.
 * Same rounding of the target size as sharp's fit 'inside' on the encoded image.
 */
export async function shrinkPixels(pixels: Pixels, side: number, limits: DecodeLimits): Promise<Pixels> {
  if (pixels.width <= side && pixels.height <= side) return pixels;
  try {
    const { data, info } = await sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 4 } })
      .resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true, kernel: DERIVED_RESIZE_KERNEL })
      .raw({ depth: 'uchar' })
      .timeout({ seconds: limits.decodeTimeoutSeconds })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || data.length !== info.width * info.height * 4) throw new Error('resize did not return RGBA');
    return { width: info.width, height: info.height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (error) {
    // Our own pixels: anything but a timeout is a bug, not bad input.
    if (isTimeout(error)) throw timedOut(limits.decodeTimeoutSeconds);
    throw error;
  }
}
