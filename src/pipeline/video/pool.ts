import { Piscina } from 'piscina';
import { RempartError } from '../../errors.js';
import { Admission } from '../admission.js';
import { unwrapResult } from '../run-task.js';
import { locateHashWorker } from '../../worker-location.js';
import { requireFfmpeg, type FfmpegBinary } from './ffmpeg-binary.js';
import type { VideoHashes, VideoHashRequest } from './hash-video.js';
import { DEFAULT_VIDEO_LIMITS, type VideoLimits } from './limits.js';
import { HASH_VIDEO_TASK, type HashVideoTask, type HashVideoTaskResult } from './run-task.js';
import { videoErrors } from './errors.js';

export interface VideoPoolOptions {
  /** Videos decoded at once (each ffmpeg uses every core by itself); default 1. */
  concurrency?: number;
  /** Videos waiting before hashVideo fails with OVERLOADED; default 8. */
  maxQueue?: number;
  /** Longest wait for a free decoder before hashVideo fails with OVERLOADED (503, Retry-After); default: no limit. */
  queueTimeoutMs?: number;
  limits?: Partial<VideoLimits>;
  /** ffmpeg executable; default: see ffmpeg-binary.ts. */
  ffmpegPath?: string;
}

const QUEUE_FULL = /Task queue is at limit|No task queue available/;

/**
 * Hashes videos on worker threads of their own, so a long video never holds a thread
 * images are waiting for. Each video is decoded by its own ffmpeg process (see decode.ts).
 * Videos wait for a decoder in order and against a deadline (Admission), as images wait
 * for a thread: an upload that would wait longer is refused with 503 OVERLOADED and a
 * Retry-After rather than held in memory while the queue drains.
 */
export class VideoHashingPool {
  readonly limits: VideoLimits;
  readonly #maxQueue: number;
  readonly #ffmpegPath: string | undefined;
  #ffmpeg: FfmpegBinary | undefined;
  #piscina: Piscina<HashVideoTask, HashVideoTaskResult> | undefined;
  readonly #concurrency: number;
  readonly #admission: Admission;
  #closed = false;

  constructor(options: VideoPoolOptions = {}) {
    this.limits = { ...DEFAULT_VIDEO_LIMITS, ...options.limits };
    this.#concurrency = options.concurrency ?? 1;
    this.#maxQueue = options.maxQueue ?? 8;
    this.#ffmpegPath = options.ffmpegPath;
    this.#admission = new Admission({
      slots: this.#concurrency,
      maxWaiting: this.#maxQueue,
      timeoutMs: options.queueTimeoutMs ?? Infinity,
      work: 'video hashing',
    });
  }

  /** The ffmpeg in use (found on first use); throws VIDEO_DECODER_MISSING when there is none. */
  get ffmpeg(): FfmpegBinary {
    this.#ffmpeg ??= requireFfmpeg(this.#ffmpegPath);
    return this.#ffmpeg;
  }

  /**
   * Hashes one video. Takes ownership of `bytes` (transferred to the worker). Rejects
   * with RempartError: VIDEO_* for bad input or a crossed limit, OVERLOADED when too many
   * videos wait, VIDEO_DECODER_MISSING without ffmpeg.
   */
  async hashVideo(bytes: Uint8Array, request: VideoHashRequest): Promise<VideoHashes> {
    if (this.#closed) throw new Error('VideoHashingPool is closed');
    if (bytes.byteLength === 0) throw videoErrors.empty();
    if (bytes.byteLength > this.limits.maxVideoBytes) throw videoErrors.tooManyBytes(bytes.byteLength, this.limits);
    const ffmpeg = this.ffmpeg.path;
    this.#piscina ??= new Piscina({
      filename: locateHashWorker(),
      minThreads: 0,
      maxThreads: this.#concurrency,
      maxQueue: this.#maxQueue,
      idleTimeout: 30_000,
    });
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
    const view = own ? bytes : new Uint8Array(bytes);
    const task: HashVideoTask = { bytes: view, dihedral: request.dihedral, keep: request.keep, bands: request.bands === true, windows: request.windows === true, limits: this.limits, ffmpeg };
    const piscina = this.#piscina;
    let result: HashVideoTaskResult;
    try {
      result = await this.#admission.run(() => piscina.run(task, { name: HASH_VIDEO_TASK, transferList: [view.buffer as ArrayBuffer] }));
    } catch (error) {
      if (error instanceof Error && QUEUE_FULL.test(error.message)) {
        throw new RempartError('OVERLOADED', `video hashing is at capacity (${this.#maxQueue} videos waiting); retry later`);
      }
      throw error;
    }
    return unwrapResult(result);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#piscina?.close();
  }
}
