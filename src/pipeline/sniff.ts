/**
 * Recognises the accepted image formats from their first bytes. Only these reach
 * the decoder: libvips also reads SVG (which can fetch external resources), PDF,
 * FITS, raw camera files and more, none of which a photo upload needs. A client's
 * Content-Type is never trusted.
 */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';

export const ACCEPTED_FORMATS_TEXT = 'JPEG, PNG, WebP, GIF, TIFF, AVIF/HEIF';

/** HEIF family brands (ISO/IEC 23008-12, AV1 Image File Format). */
const HEIF_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((value, i) => bytes[offset + i] === value);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  const gifHeader = ascii(bytes, 0, 6);
  if (gifHeader === 'GIF87a' || gifHeader === 'GIF89a') return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (ascii(bytes, 4, 8) === 'ftyp') {
    // Major brand at 8..12, compatible brands follow until the end of the ftyp box.
    const boxSize = Math.min(((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0, bytes.length, 64);
    for (let offset = 8; offset + 4 <= boxSize; offset += 4) {
      if (offset === 12) continue; // minor version, not a brand
      if (HEIF_BRANDS.has(ascii(bytes, offset, offset + 4))) return 'heif';
    }
  }
  return undefined;
}

/** A short, byte-free description of unrecognised input, for the error message. */
export function describeUnrecognised(bytes: Uint8Array): string {
  const head = ascii(bytes, 0, Math.min(bytes.length, 256)).trimStart().toLowerCase();
  if (head.startsWith('<') && head.includes('<svg')) return 'SVG is not accepted (it can load external resources and is not a photo)';
  if (head.startsWith('<')) return 'it looks like HTML or XML text, not an image';
  if (head.startsWith('%pdf')) return 'PDF is not accepted';
  return 'the format was not recognised';
}
