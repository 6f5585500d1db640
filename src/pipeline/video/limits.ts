/**
 * Limits on one video decode. Each decode runs ffmpeg in its own process; these bound
 * what one upload can cost: bytes held in memory, seconds of video, pixels per frame,
 * wall time, CPU time and memory of the decoder process.
 */
export interface VideoLimits {
  /** Largest accepted upload, in bytes. */
  readonly maxVideoBytes: number;
  /** Longest accepted video, in seconds (counted on the decoded frames, not the header's claim). */
  readonly maxVideoSeconds: number;
  /** Largest accepted frame, in pixels (ffmpeg's max_pixels: the decoder refuses larger pictures). */
  readonly maxVideoPixels: number;
  /** Wall-clock seconds one decode may take before ffmpeg is killed (VIDEO_TIMEOUT). */
  readonly videoTimeoutSeconds: number;
  /** CPU seconds ffmpeg may use over all its threads (RLIMIT_CPU; VIDEO_TOO_COSTLY). */
  readonly videoCpuSeconds: number;
  /** Address space of the ffmpeg process, bytes (RLIMIT_AS; VIDEO_TOO_COSTLY). */
  readonly videoMemoryBytes: number;
  /** Decoder threads of each ffmpeg process; 0 lets ffmpeg choose (one per core). */
  readonly videoThreads: number;
}

/**
 * 256 MB holds a 1-minute 4K phone video or ~3 minutes of 1080p. 10 minutes of video.
 * 8K frames (7680×4320 ≈ 33 MP) at most. 300 s of wall time: a 10-minute 1080p video
 * decodes in ~1–2 minutes on one loaded core. CPU time allows every core of a small
 * machine for the whole wall time. 3 GiB of address space: a 4K HEVC decode with frame
 * threads stays under 1.5 GiB.
 */
export const DEFAULT_VIDEO_LIMITS: VideoLimits = Object.freeze({
  maxVideoBytes: 256 * 1024 * 1024,
  maxVideoSeconds: 600,
  maxVideoPixels: 7680 * 4320,
  videoTimeoutSeconds: 300,
  videoCpuSeconds: 600,
  videoMemoryBytes: 3 * 1024 * 1024 * 1024,
  videoThreads: 0,
});
