/**
 * Decoding limits: the first line of defence against oversized uploads and
 * decompression bombs. Checked on the main thread (bytes) and in the worker
 * (bytes again, then the pixel count read from the image header before decoding).
 */
export interface DecodeLimits {
  /** Largest accepted upload, in bytes. */
  readonly maxInputBytes: number;
  /** Largest accepted image, in pixels (width × height of the first frame). */
  readonly maxPixels: number;
  /** Whole seconds libvips may spend on one decode (sharp's timeout) before IMAGE_TIMEOUT. */
  readonly decodeTimeoutSeconds: number;
}

/**
 * 50 MB holds any phone or camera JPEG/HEIF/AVIF (a 48-megapixel phone JPEG is
 * ~15 MB) and most lossless PNG/TIFF exports, while bounding what one request can
 * make the server hold in memory. 100 megapixels admits 48 MP phones and 61 MP
 * full-frame cameras; a 100 MP RGBA frame is 400 MB, the worst one worker may hold.
 * 20 s of decoding: a 100 MP PNG (no shrink-on-load) takes a few seconds on one loaded
 * core; anything slower is holding a worker that other uploads are waiting for.
 */
export const DEFAULT_LIMITS: DecodeLimits = Object.freeze({
  maxInputBytes: 50 * 1024 * 1024,
  maxPixels: 100_000_000,
  decodeTimeoutSeconds: 20,
});

/** sharp's timeout() accepts whole seconds up to an hour. */
export const MAX_DECODE_TIMEOUT_SECONDS = 3600;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatMegapixels(pixels: number): string {
  const mp = pixels / 1_000_000;
  return mp >= 10 ? mp.toFixed(0) : mp.toFixed(1).replace(/\.0$/, '');
}
