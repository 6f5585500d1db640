import type { DihedralName } from '../types.js';

/**
 * Why a frame was kept: the regular sample (once a second), the first frame after a scene
 * cut, or (query signatures only) any other probe frame.
 */
export type FrameOrigin = 'interval' | 'cut' | 'probe';

/** One sampled frame of a video: its PDQ hash, quality and time. */
export interface VideoFrameHash {
  /** Seconds from the first frame, to the millisecond. */
  t: number;
  /** PDQ hash, 64 lowercase hex characters. */
  value: string;
  /** PDQ quality 0..100 (frames below the service's floor are never registered or queried). */
  quality: number;
  origin: FrameOrigin;
  /**
   * Registration: PDQ hash and quality of the frame's centred window (profile.windowScale
   * of each side; see windowBox), matched as the frame at the same time.
   */
  window?: { value: string; quality: number };
  /** The 7 other dihedral hashes of the frame, when asked for (mirror/rotation matching). */
  dihedral?: Partial<Record<Exclude<DihedralName, 'original'>, string>>;
}

/**
 * The whole-video summary, in the spirit of TMK+PDQF's level-1 feature: the time-average
 * of the PDQ DCT coefficients (PDQF) of every probe frame of usable quality.
 */
export interface VideoSummary {
  /** The average thresholded at its median, as PDQ does: a 256-bit hash (64 hex). */
  value: string;
  /** The average itself (256 numbers), for TMK's level-1 cosine comparison. */
  vector: Float32Array;
  /** Probe frames averaged. */
  frames: number;
  /** The 7 other dihedral hashes of the average (the DCT is linear: exact). */
  dihedral?: Partial<Record<Exclude<DihedralName, 'original'>, string>>;
}

/** What Rempart keeps of a video: per-frame PDQ hashes with their times, and a summary. */
export interface VideoSignature {
  /** Seconds covered by the probe frames (probe count / probe rate). */
  duration: number;
  /** Probe frames seen. */
  probeFrames: number;
  frames: VideoFrameHash[];
  /** Absent when no probe frame had usable quality (a black or flat video). */
  summary: VideoSummary | null;
  /**
   * Static bands found at the edges (queries, when asked): the crop [x0, y0, x1, y1] in
   * fractions of the frame that removes them.
   */
  staticCrop?: [number, number, number, number];
}
