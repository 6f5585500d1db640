/**
 * A registered video as the victim's device sends it (its MD5, and the PDQ hash, time and
 * quality of each sampled frame and of its centred window), checked and turned into one
 * store item: frame hashes with role 'frame' and their time, window hashes with role
 * 'window', their time and box, the MD5 with role 'file'.
 */
import { hexToBytes } from '../hashing/codec.js';
import { windowBox } from '../hashing/video/profile.js';
import { md5ToStored, VIDEO_MD5 } from '../hashing/video/digest.js';
import { RempartError } from '../errors.js';
import type { NewHash, NewItem } from '../store/types.js';

export interface VideoFrameInput {
  t: number;
  value: string;
  quality: number;
  origin?: string;
  /** PDQ hash and quality of the frame's centred window (VideoProfile.windowScale). */
  window?: { value: string; quality: number };
}

export interface VideoItemInput {
  /** MD5 of the file (32 hex). */
  md5?: string;
  frames: VideoFrameInput[];
}

export interface VideoItemPolicy {
  /** Frames below this PDQ quality are left out (black, flat or blurred frames match anything). */
  qualityFloor: number;
  /** Frames one video may register. */
  maxFrames: number;
  /** Longest video accepted, seconds (frame times beyond are refused). */
  maxSeconds: number;
}

export const FRAME_ROLE = 'frame';
export const FILE_ROLE = 'file';
/** A registered frame's centred window (the matching profile's role for windows). */
export const WINDOW_ROLE = 'window';

/** Whether a registered hash is a video frame or a frame's window (matched as that frame, at detail.t). */
export function isVideoFrameRole(role: string, detail: Record<string, unknown> | null | undefined): boolean {
  return role === FRAME_ROLE || (role === WINDOW_ROLE && typeof detail?.t === 'number');
}

function bad(where: string, message: string): RempartError {
  return new RempartError('BAD_REQUEST', `${where}: ${message}`);
}

function parseHex(value: string, at: string): Uint8Array {
  try {
    return hexToBytes(value);
  } catch (error) {
    throw new RempartError('HASH_FORMAT', `${at}: ${(error as Error).message}`);
  }
}

export function videoToItem(input: VideoItemInput, where: string, policy: VideoItemPolicy): NewItem {
  const frames = input.frames ?? [];
  if (!Array.isArray(frames)) throw bad(where, 'frames must be an array');
  if (frames.length > policy.maxFrames) throw bad(where, `at most ${policy.maxFrames} frames per video, got ${frames.length}`);
  const hashes: NewHash[] = [];
  const seen = new Set<string>();
  frames.forEach((frame, j) => {
    const at = `${where}.frames[${j}]`;
    if (!Number.isFinite(frame.t) || frame.t < 0 || frame.t > policy.maxSeconds) {
      throw bad(at, `t must be a time in seconds from 0 to ${policy.maxSeconds}, got ${frame.t}`);
    }
    if (!Number.isInteger(frame.quality) || frame.quality < 0 || frame.quality > 100) {
      throw bad(at, 'quality must be an integer from 0 to 100 (the PDQ quality of the frame)');
    }
    const bytes = parseHex(frame.value, at);
    const t = Math.round(frame.t * 1000) / 1000;
    const window = frame.window;
    let windowBytes: Uint8Array | undefined;
    if (window !== undefined) {
      if (window === null || typeof window !== 'object') throw bad(`${at}.window`, 'must be an object {value, quality}');
      if (!Number.isInteger(window.quality) || window.quality < 0 || window.quality > 100) {
        throw bad(`${at}.window`, 'quality must be an integer from 0 to 100 (the PDQ quality of the window)');
      }
      windowBytes = parseHex(window.value, `${at}.window`);
    }
    if (frame.quality >= policy.qualityFloor && !seen.has(`${t}:${frame.value}`)) {
      seen.add(`${t}:${frame.value}`);
      hashes.push({ algorithm: 'pdq', bytes, quality: frame.quality, role: FRAME_ROLE, detail: { t } });
    }
    if (windowBytes && window!.quality >= policy.qualityFloor && !seen.has(`w${t}:${window!.value}`)) {
      seen.add(`w${t}:${window!.value}`);
      hashes.push({ algorithm: 'pdq', bytes: windowBytes, quality: window!.quality, role: WINDOW_ROLE, detail: { t, box: windowBox() } });
    }
  });
  if (hashes.length === 0 && input.md5 === undefined) {
    throw new RempartError(
      'LOW_QUALITY',
      `${where}: no frame has a PDQ quality of ${policy.qualityFloor} or more: the video is too dark, flat or blurred to be ` +
        'recognised reliably (it would match unrelated videos)',
    );
  }
  if (input.md5 !== undefined) {
    try {
      hashes.push({ algorithm: VIDEO_MD5, bytes: md5ToStored(input.md5), quality: null, role: FILE_ROLE });
    } catch (error) {
      throw new RempartError('HASH_FORMAT', `${where}.md5: ${(error as Error).message}`);
    }
  }
  return { kind: 'video', hashes };
}
