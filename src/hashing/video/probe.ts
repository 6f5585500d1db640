/**
 * Picking probe frames from a decoded stream exactly as the server's ffmpeg does
 * (`fps=5,scale=…`), so that the browser, decoding every frame itself (WebCodecs), hashes
 * the same pictures at the same size.
 */
import { VIDEO_PROFILE, type VideoProfile } from './profile.js';

/** Rounds half away from zero, as ffmpeg's av_rescale with AV_ROUND_NEAR_INF. */
function roundNear(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/**
 * The size ffmpeg's `scale=w='min(S,iw)':h='min(S,ih)':force_original_aspect_ratio=decrease`
 * gives a `width` × `height` picture: fitted inside S × S, never enlarged.
 */
export function probeFrameSize(width: number, height: number, side = VIDEO_PROFILE.frameSide): { width: number; height: number } {
  const w0 = Math.min(side, width);
  const h0 = Math.min(side, height);
  const w = Math.min(roundNear((h0 * width) / height), w0);
  const h = Math.min(roundNear((w0 * height) / width), h0);
  return { width: Math.max(1, w), height: Math.max(1, h) };
}

/**
 * ffmpeg's `fps` filter as a stream: frames arrive in presentation order with their time
 * (seconds from the first frame); probe slot n (time n / fps) shows the last frame whose
 * time, rounded to the slot grid, is ≤ n. `finish` closes the stream at the end of the last
 * frame's display, as ffmpeg does.
 */
export class ProbeSelector<F> {
  #next = 0;
  #pending: { frame: F; t: number; duration: number } | undefined;
  readonly #fps: number;

  constructor(
    private readonly emit: (frame: F, slot: number) => void,
    /** Called when a frame will never be emitted again (to release it). */
    private readonly release: (frame: F) => void = () => {},
    profile: VideoProfile = VIDEO_PROFILE,
  ) {
    this.#fps = profile.probeFps;
  }

  push(frame: F, t: number, duration: number): void {
    const slot = roundNear(t * this.#fps);
    const pending = this.#pending;
    if (pending) {
      while (this.#next < slot) this.emit(pending.frame, this.#next++);
      this.release(pending.frame);
    }
    this.#pending = { frame, t, duration };
  }

  finish(): void {
    const pending = this.#pending;
    if (!pending) return;
    const end = roundNear((pending.t + pending.duration) * this.#fps);
    while (this.#next < end) this.emit(pending.frame, this.#next++);
    // A last frame shorter than half a slot still shows at its own slot when nothing else covers it.
    if (this.#next === 0) this.emit(pending.frame, this.#next++);
    this.release(pending.frame);
    this.#pending = undefined;
  }

  /** Probe frames emitted so far. */
  get emitted(): number {
    return this.#next;
  }
}
