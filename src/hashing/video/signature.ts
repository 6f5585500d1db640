import { bytesToHex } from '../codec.js';
import { hammingDistance } from '../hamming.js';
import { pdqCoefficients } from '../pdq.js';
import { coefficientsToHash } from '../pdq/bits.js';
import { DCT_SIDE } from '../pdq/dct.js';
import { transformCoefficients } from '../pdq/dihedral.js';
import { DIHEDRAL_NAMES, type Pixels } from '../types.js';
import { ActivityMeter } from './bands.js';
import { probeTime, VIDEO_PROFILE, windowBox, type VideoProfile } from './profile.js';
import type { FrameOrigin, VideoFrameHash, VideoSignature, VideoSummary } from './types.js';

const COEFFICIENTS = DCT_SIDE * DCT_SIDE;

export interface VideoHasherOptions {
  /** Also derive the 7 other dihedral hashes of each kept frame and of the summary. */
  dihedral?: boolean;
  /**
   * 'samples' (registration): the regular samples and cut frames. 'every-probe' (queries):
   * every probe frame, so that whatever a copy's start, one of its frames lies within
   * half a probe interval (0.1 s) of each registered sample.
   */
  keep?: 'samples' | 'every-probe';
  /** Also look for static bands at the edges over time (queries: see bands.ts). */
  bands?: boolean;
  /**
   * Also hash each kept frame's centred window (registration: see VideoProfile.windowScale),
   * so that copies cropped at the edges meet it.
   */
  windows?: boolean;
  profile?: VideoProfile;
}

function dihedralHexes(coefficients: Float64Array, scratch: Float64Array): NonNullable<VideoFrameHash['dihedral']> {
  const out: NonNullable<VideoFrameHash['dihedral']> = {};
  for (const name of DIHEDRAL_NAMES) {
    if (name === 'original') continue;
    transformCoefficients(name, coefficients, scratch);
    out[name] = bytesToHex(coefficientsToHash(scratch));
  }
  scratch.fill(0);
  return out;
}

/**
 * Turns a video's probe frames (in order, `profile.probeFps` per second, each scaled to fit
 * `profile.frameSide`) into its signature, one frame at a time: nothing but the running
 * average and the previous frame's hash is held between frames.
 *
 * Every probe frame is PDQ-hashed. Kept: every `sampleEvery`-th probe frame (2.5 a
 * second), and the first probe frame after a scene cut (a jump of ≥ cutBits between two
 * frames of usable quality, or usable quality after an unusable stretch such as a fade
 * from black). Cut frames anchor sampling to the content, so a trimmed or clipped copy
 * samples the same frames there whatever its start; regular samples cover long shots.
 */
export class VideoHasher {
  readonly #profile: VideoProfile;
  readonly #dihedral: boolean;
  readonly #everyProbe: boolean;
  readonly #activity: ActivityMeter | undefined;
  readonly #windows: boolean;
  readonly #sum = new Float64Array(COEFFICIENTS);
  readonly #scratch = new Float64Array(COEFFICIENTS);
  readonly #frames: VideoFrameHash[] = [];
  #summaryFrames = 0;
  #index = 0;
  /** Hash of the previous probe frame when its quality was usable for cut detection. */
  #previous: Uint8Array | undefined;
  #sawUnusable = false;
  #lastCut = -Infinity;
  #finished = false;

  constructor(options: VideoHasherOptions = {}) {
    this.#profile = options.profile ?? VIDEO_PROFILE;
    this.#dihedral = options.dihedral === true;
    this.#everyProbe = options.keep === 'every-probe';
    this.#activity = options.bands ? new ActivityMeter() : undefined;
    this.#windows = options.windows === true;
  }

  /**
   * PDQ of the centred window: the probe frame's pixels inside it, through PDQ's own
   * filter and decimation, as a cropped copy's probe frames are hashed. (Exact area means
   * straight to 64 × 64, as the matching profile samples image windows, differ from PDQ's
   * tent filter by 20–40 bits on fine textures: too far from what a query frame gives.)
   */
  #window(pixels: Pixels): { value: string; quality: number } {
    const crop = cropPixels(pixels, windowBox(this.#profile));
    const { coefficients, quality } = pdqCoefficients(crop);
    crop.data.fill(0);
    const value = bytesToHex(coefficientsToHash(coefficients));
    coefficients.fill(0);
    return { value, quality };
  }

  /** Probe frames pushed so far. */
  get probeFrames(): number {
    return this.#index;
  }

  /** Adds the next probe frame (pixels are read, never kept). */
  push(pixels: Pixels): void {
    if (this.#finished) throw new Error('VideoHasher.push after finish');
    const profile = this.#profile;
    const index = this.#index++;
    this.#activity?.push(pixels.width, pixels.height, pixels.channels, pixels.data);
    const { coefficients, quality } = pdqCoefficients(pixels);
    try {
      const hash = coefficientsToHash(coefficients);
      if (quality >= profile.summaryQuality) {
        for (let i = 0; i < COEFFICIENTS; i++) this.#sum[i]! += coefficients[i]!;
        this.#summaryFrames++;
      }

      let origin: FrameOrigin | undefined = index % profile.sampleEvery === 0 ? 'interval' : undefined;
      if (quality >= profile.cutQuality) {
        const cut =
          this.#previous === undefined
            ? this.#sawUnusable // usable again after black or flat frames
            : hammingDistance(this.#previous, hash) >= profile.cutBits;
        if (cut && origin === undefined && index - this.#lastCut >= profile.minCutGap) {
          origin = 'cut';
          this.#lastCut = index;
        }
        this.#previous = hash;
      } else {
        this.#previous = undefined;
        this.#sawUnusable = true;
      }

      if (origin === undefined && this.#everyProbe) origin = 'probe';
      const limit = this.#everyProbe ? profile.maxFrames * profile.sampleEvery : profile.maxFrames;
      if (origin !== undefined && this.#frames.length < limit) {
        const frame: VideoFrameHash = { t: probeTime(index, profile), value: bytesToHex(hash), quality, origin };
        if (this.#windows) frame.window = this.#window(pixels);
        if (this.#dihedral) frame.dihedral = dihedralHexes(coefficients, this.#scratch);
        this.#frames.push(frame);
      }
    } finally {
      coefficients.fill(0);
    }
  }

  /** The signature of everything pushed; the hasher is wiped and cannot be reused. */
  finish(): VideoSignature {
    if (this.#finished) throw new Error('VideoHasher.finish called twice');
    this.#finished = true;
    let summary: VideoSummary | null = null;
    if (this.#summaryFrames > 0) {
      const mean = new Float64Array(COEFFICIENTS);
      for (let i = 0; i < COEFFICIENTS; i++) mean[i] = this.#sum[i]! / this.#summaryFrames;
      summary = { value: bytesToHex(coefficientsToHash(mean)), vector: Float32Array.from(mean), frames: this.#summaryFrames };
      if (this.#dihedral) summary.dihedral = dihedralHexes(mean, this.#scratch);
      mean.fill(0);
    }
    this.#sum.fill(0);
    this.#previous = undefined;
    const signature: VideoSignature = {
      duration: Math.round((this.#index / this.#profile.probeFps) * 1000) / 1000,
      probeFrames: this.#index,
      frames: this.#frames,
      summary,
    };
    const crop = this.#activity?.crop();
    this.#activity?.wipe();
    if (crop) signature.staticCrop = crop;
    return signature;
  }
}

/** The pixels of a frame inside a box given in fractions of its sides (edges rounded to whole pixels). */
export function cropPixels(pixels: Pixels, box: readonly [number, number, number, number]): Pixels & { data: Uint8Array } {
  const { width, height, channels, data } = pixels;
  const x0 = Math.round(box[0] * width);
  const y0 = Math.round(box[1] * height);
  const w = Math.max(1, Math.round(box[2] * width) - x0);
  const h = Math.max(1, Math.round(box[3] * height) - y0);
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * width + x0) * channels;
    out.set(data.subarray(from, from + w * channels), y * w * channels);
  }
  return { width: w, height: h, channels, data: out };
}

/** The frames a registration keeps from a signature (drops query-only probe frames). */
export function registrationFrames(signature: VideoSignature): VideoSignature['frames'] {
  return signature.frames.filter((frame) => frame.origin !== 'probe');
}

/** The signature of a whole sequence of probe frames at once (tests, evaluation). */
export function hashVideoFrames(frames: Iterable<Pixels>, options: VideoHasherOptions = {}): VideoSignature {
  const hasher = new VideoHasher(options);
  for (const pixels of frames) hasher.push(pixels);
  return hasher.finish();
}
