/**
 * Recognises the accepted video containers from their first bytes, and names the ffmpeg
 * demuxer to force: ffmpeg never probes the input, so a file cannot steer it to another
 * demuxer (playlists, concat lists, image sequences, …).
 */
export type VideoContainer = 'mp4' | 'mov' | 'matroska' | 'webm' | 'avi';

export interface SniffedVideo {
  container: VideoContainer;
  /** The ffmpeg demuxer (`-f`). */
  demuxer: 'mov' | 'matroska' | 'avi';
}

export const ACCEPTED_VIDEO_TEXT = 'MP4, MOV, M4V, 3GP, WebM, MKV and AVI';

/** HEIF image brands: an ftyp box with one of these is a still image, not a video. */
const IMAGE_BRANDS = new Set(['avif', 'avis', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'mif1', 'msf1']);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

function ftypBrands(bytes: Uint8Array): string[] | undefined {
  if (bytes.length < 12 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const size = Math.min(((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0, bytes.length, 256);
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= size; offset += 4) brands.push(ascii(bytes, offset, offset + 4));
  return brands;
}

/** The first top-level box type of an ISO BMFF / QuickTime file without ftyp. */
const QUICKTIME_FIRST_BOXES = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

export function sniffVideoFormat(bytes: Uint8Array): SniffedVideo | undefined {
  const brands = ftypBrands(bytes);
  if (brands) {
    // HEIF stills carry image brands; a video may list them too only beside a video brand.
    const major = brands[0]!;
    if (IMAGE_BRANDS.has(major)) return undefined;
    return { container: major === 'qt  ' ? 'mov' : 'mp4', demuxer: 'mov' };
  }
  if (bytes.length >= 8 && QUICKTIME_FIRST_BOXES.has(ascii(bytes, 4, 8))) return { container: 'mov', demuxer: 'mov' };
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) {
    const head = ascii(bytes, 0, 64);
    return { container: head.includes('webm') ? 'webm' : 'matroska', demuxer: 'matroska' };
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'AVI ') return { container: 'avi', demuxer: 'avi' };
  return undefined;
}
