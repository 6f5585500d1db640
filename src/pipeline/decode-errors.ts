import { RempartError } from '../errors.js';
import { formatBytes, formatMegapixels, type DecodeLimits } from './limits.js';

/**
 * User-facing decode errors. Messages are built from fixed text and numbers only:
 * never from image bytes or decoder output (which could echo embedded metadata).
 */

export function emptyImage(): RempartError {
  return new RempartError('IMAGE_EMPTY', 'image is empty (0 bytes)');
}

export function tooManyBytes(byteLength: number, limits: DecodeLimits): RempartError {
  return new RempartError(
    'IMAGE_TOO_LARGE',
    `image is ${formatBytes(byteLength)}, over the limit of ${formatBytes(limits.maxInputBytes)}`,
  );
}

export function tooManyPixels(width: number, height: number, limits: DecodeLimits): RempartError {
  return new RempartError(
    'IMAGE_TOO_MANY_PIXELS',
    `image is ${width}×${height} = ${formatMegapixels(width * height)} megapixels, ` +
      `over the limit of ${formatMegapixels(limits.maxPixels)}`,
  );
}

export function unsupported(reason: string): RempartError {
  return new RempartError('IMAGE_UNSUPPORTED', `unsupported image: ${reason}; accepted formats are JPEG, PNG, WebP, GIF, TIFF and AVIF`);
}

export function corrupt(formatName: string): RempartError {
  return new RempartError('IMAGE_CORRUPT', `${formatName} image is corrupt or truncated and cannot be decoded`);
}

export function timedOut(seconds: number): RempartError {
  return new RempartError('IMAGE_TIMEOUT', `image took longer than ${seconds} s to decode`);
}

/** sharp's timeout() error: "timeout: 51% complete" (libvips kills the image). */
const TIMEOUT = /\btimeout: \d+% complete/;

export function isTimeout(error: unknown): boolean {
  return error instanceof Error && TIMEOUT.test(error.message);
}

/** Maps an error thrown by sharp/libvips to a RempartError, dropping the decoder's text. */
export function fromDecoderError(error: unknown, formatName: string, limits: DecodeLimits): RempartError {
  if (error instanceof RempartError) return error;
  if (isTimeout(error)) return timedOut(limits.decodeTimeoutSeconds);
  const text = error instanceof Error ? error.message : '';
  if (/pixel limit/i.test(text)) {
    return new RempartError(
      'IMAGE_TOO_MANY_PIXELS',
      `image has more than ${formatMegapixels(limits.maxPixels)} megapixels, the limit`,
    );
  }
  if (/unsupported image format|no decoding plugin|not a known file format/i.test(text)) {
    return unsupported(`the ${formatName} data uses a variant this server cannot decode`);
  }
  return corrupt(formatName);
}
