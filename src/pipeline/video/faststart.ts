/**
 * MP4/MOV with the index at the end, made readable from a pipe.
 *
 * Phones write the `moov` box (the index) after the media data. ffmpeg reading a pipe
 * cannot seek back to it, and the bytes must not touch a disk, so the file is streamed
 * with `moov` moved in front of the first `mdat`, its chunk offsets (`stco`/`co64`)
 * shifted by the moov's size: the same reordering as ffmpeg's own `qt-faststart`, done on
 * the segments in memory (only the moov box is copied).
 */
import { RempartError } from '../../errors.js';

interface Box {
  type: string;
  start: number;
  headerSize: number;
  end: number;
  truncated: boolean;
}

/** Boxes on the path from moov to the chunk-offset tables. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

function corrupt(): RempartError {
  return new RempartError('VIDEO_CORRUPT', 'MP4/MOV video is corrupt or truncated (its box structure is broken)');
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function writeUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 255;
  bytes[at + 2] = (value >>> 8) & 255;
  bytes[at + 3] = value & 255;
}

/**
 * The boxes between `start` and `end`. Inside moov a size pointing past its parent is
 * corruption; at the top level (`lenient`) the last box may be cut short (a recording
 * that stopped early): it is taken to the end and left for ffmpeg to judge.
 */
function readBoxes(bytes: Uint8Array, start: number, end: number, lenient = false): Box[] {
  const boxes: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = readUint32(bytes, at);
    let headerSize = 8;
    if (size === 1) {
      if (at + 16 > end) break;
      size = readUint32(bytes, at + 8) * 2 ** 32 + readUint32(bytes, at + 12);
      headerSize = 16;
    } else if (size === 0) {
      size = end - at; // to the end of the file
    }
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (size < headerSize || at + size > end) {
      if (!lenient) throw corrupt();
      boxes.push({ type, start: at, headerSize, end, truncated: true });
      break;
    }
    boxes.push({ type, start: at, headerSize, end: at + size, truncated: false });
    at += size;
  }
  return boxes;
}

/** Rewrites every chunk offset in the (copied) moov box with `move`. */
function moveChunkOffsets(moov: Uint8Array, box: Box, move: (offset: number) => number): void {
  for (const child of readBoxes(moov, box.start + box.headerSize, box.end)) {
    if (CONTAINERS.has(child.type)) {
      moveChunkOffsets(moov, child, move);
    } else if (child.type === 'stco' || child.type === 'co64') {
      const body = child.start + child.headerSize;
      if (body + 8 > child.end) throw corrupt();
      const count = readUint32(moov, body + 4);
      const width = child.type === 'stco' ? 4 : 8;
      if (body + 8 + count * width > child.end) throw corrupt();
      for (let i = 0; i < count; i++) {
        const at = body + 8 + i * width;
        if (width === 4) {
          const value = move(readUint32(moov, at));
          if (value > 0xffffffff) throw new RempartError('VIDEO_TOO_LARGE', 'video is too large to be read from memory');
          writeUint32(moov, at, value);
        } else {
          const value = move(readUint32(moov, at) * 2 ** 32 + readUint32(moov, at + 4));
          writeUint32(moov, at, Math.floor(value / 2 ** 32));
          writeUint32(moov, at + 4, value % 2 ** 32);
        }
      }
    }
  }
}

/**
 * The file as segments to write in order, readable front to back: the bytes themselves
 * when `moov` already precedes the media (or the file is fragmented), otherwise the
 * segments with the patched moov moved before the first `mdat`.
 */
export function streamableSegments(bytes: Uint8Array): Uint8Array[] {
  const top = readBoxes(bytes, 0, bytes.length, true);
  const moovIndex = top.findIndex((b) => b.type === 'moov');
  const mdatIndex = top.findIndex((b) => b.type === 'mdat');
  if (moovIndex < 0 || mdatIndex < 0 || moovIndex < mdatIndex) return [bytes];
  const moovBox = top[moovIndex]!;
  if (moovBox.truncated) throw corrupt();
  const insertAt = top[mdatIndex]!.start;
  const size = moovBox.end - moovBox.start;
  // A copy (not Buffer#slice, which would be a view: patching it would alter the upload).
  const moov = new Uint8Array(bytes.subarray(moovBox.start, moovBox.end));
  // Media between the insertion point and the old moov moves down by its size; media after
  // the old moov (a second mdat) keeps its place.
  const move = (offset: number) => (offset >= insertAt && offset < moovBox.start ? offset + size : offset);
  moveChunkOffsets(moov, { ...moovBox, start: 0, end: size }, move);
  return [bytes.subarray(0, insertAt), moov, bytes.subarray(insertAt, moovBox.start), bytes.subarray(moovBox.end)].filter(
    (segment) => segment.length > 0,
  );
}
