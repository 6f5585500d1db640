/**
 * How a video is sampled and summarised: one set of numbers shared by the server's ffmpeg
 * decoder, the victim's browser and the evaluation, so that every side hashes the same
 * frames. Changing any of these changes the hashes: registered videos would have to be
 * hashed again.
 */
export interface VideoProfile {
  /**
   * Frames examined per second of video (the probe rate). Every probe frame is PDQ-hashed:
   * for scene-cut detection and for the whole-video summary. Probe frame k shows the video
   * at k / probeFps seconds from its first frame (ffmpeg's `fps` filter picks them).
   */
  readonly probeFps: number;
  /**
   * One probe frame in this many is kept as a regular sample (2 at 5 fps: 2.5 a second).
   * Measured by `rempart eval-video` (registration density): a still posted as an image,
   * taken between two samples, matched its video 64 % of the time at one sample a second,
   * 96 % at 2.5, 98 % at 5, with no false match at any density; video copies matched alike.
   */
  readonly sampleEvery: number;
  /** Probe frames are scaled to fit inside this square (never enlarged) before PDQ. */
  readonly frameSide: number;
  /**
   * A scene cut: the PDQ hash moves at least this many bits between two consecutive probe
   * frames (0.2 s apart) that both have quality ≥ cutQuality. Unrelated images are ~128
   * bits apart; consecutive frames of one shot rarely move more than 40.
   */
  readonly cutBits: number;
  readonly cutQuality: number;
  /** Probe frames between two kept cut frames, at least (a strobe or shaky shot is not a cut per frame). */
  readonly minCutGap: number;
  /** Probe frames below this PDQ quality (fades, black frames) stay out of the summary. */
  readonly summaryQuality: number;
  /** At most this many frames are kept (regular samples first); longer videos are refused upstream. */
  readonly maxFrames: number;
  /**
   * Registration also hashes the centred window of each kept frame covering this share of
   * each side (role 'window'): a copy cropped by a few per cent at each edge shows about
   * that window, which its frames then meet (per-frame PDQ of the whole picture moves too
   * much under a crop). The matching profile's centred windows do the same for images.
   */
  readonly windowScale: number;
}

export const VIDEO_PROFILE: VideoProfile = Object.freeze({
  probeFps: 5,
  sampleEvery: 2,
  frameSide: 256,
  cutBits: 72,
  cutQuality: 30,
  minCutGap: 3,
  summaryQuality: 30,
  maxFrames: 3600,
  windowScale: 0.9,
});

/** The registered window of a frame, [x0, y0, x1, y1] in fractions of the frame. */
export function windowBox(profile: VideoProfile = VIDEO_PROFILE): [number, number, number, number] {
  const margin = Math.round(((1 - profile.windowScale) / 2) * 1e6) / 1e6;
  return [margin, margin, 1 - margin, 1 - margin];
}

/** Seconds of video shown by probe frame `index`. */
export function probeTime(index: number, profile: VideoProfile = VIDEO_PROFILE): number {
  return Math.round((index / profile.probeFps) * 1000) / 1000;
}
