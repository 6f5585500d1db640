/**
 * Decoding in the worker: file → oriented RGBA pixels, shrunk exactly where the server
 * shrinks (src/pipeline/decode-sizes.ts), so browser and server hashes agree.
 * Uses only APIs available in a dedicated worker (createImageBitmap, OffscreenCanvas).
 */
import type { Pixels } from '../../hashing/types.js';

export class DecodeError extends Error {
  constructor(
    readonly failure: 'decode' | 'empty',
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Target size fitting in a `maxSide` square, keeping the aspect ratio; never enlarges. */
export function fitInside(width: number, height: number, maxSide: number | undefined): { width: number; height: number } {
  if (maxSide === undefined) return { width, height };
  const scale = Math.min(1, maxSide / width, maxSide / height);
  if (scale === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Decodes the whole image once. 'from-image' applies the EXIF orientation, as the server
 * does; colour profiles are ignored ('none'), as the server's sharp (ignoreIcc) and the
 * reference hashers (PIL) take pixels as stored.
 */
export async function decodeBitmap(file: Blob): Promise<ImageBitmap> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, {
      imageOrientation: 'from-image',
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
  } catch (error) {
    throw new DecodeError('decode', error instanceof Error ? error.message : String(error));
  }
  if (bitmap.width === 0 || bitmap.height === 0) {
    bitmap.close();
    throw new DecodeError('empty', 'image has no pixels');
  }
  return bitmap;
}

/** RGBA pixels of the bitmap, shrunk to fit in `maxSide` (full size when undefined). */
export function pixelsOf(bitmap: ImageBitmap, maxSide: number | undefined): Pixels {
  const target = fitInside(bitmap.width, bitmap.height, maxSide);
  const canvas = new OffscreenCanvas(target.width, target.height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new DecodeError('decode', 'no 2D canvas context in this browser');
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, target.width, target.height);
  const { data } = context.getImageData(0, 0, target.width, target.height);
  return { width: target.width, height: target.height, channels: 4, data };
}
