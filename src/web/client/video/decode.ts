/**
 * A video file hashed in the worker: demuxed (MP4/MOV), decoded with WebCodecs as fast as
 * the machine allows, probe frames picked as the server's ffmpeg picks them
 * (hashing/video/probe.ts), drawn at the server's size on an OffscreenCanvas, and pushed
 * to the same VideoHasher the server uses. Only hashes leave; frames are closed at once.
 */
import { probeFrameSize, ProbeSelector } from '../../../hashing/video/probe.js';
import { VIDEO_PROFILE } from '../../../hashing/video/profile.js';
import { VideoHasher } from '../../../hashing/video/signature.js';
import { probeFrameFromYuv } from '../../../hashing/video/yuv.js';
import type { VideoSignature } from '../../../hashing/video/types.js';
import { demuxMatroska, isMatroska } from './matroska-demuxer.js';
import { demuxMp4, DemuxError, type SampleNeeds, type VideoTrackInfo } from './mp4-demuxer.js';

/** Frames queued in the decoder before the demuxer waits. */
const MAX_DECODE_QUEUE = 12;

export class VideoDecodeError extends Error {
  constructor(
    readonly failure: 'unsupported' | 'decode' | 'empty',
    message: string,
  ) {
    super(message);
    this.name = 'VideoDecodeError';
  }
}

export interface DecodedSignature {
  signature: VideoSignature;
  frameWidth: number;
  frameHeight: number;
  decoder: string;
  /** Pictures decoded, and left undecoded (no probe frame needed them nor any other picture). */
  decodedFrames: number;
  skippedFrames: number;
  /** Probe frames read from the pictures' planes, and drawn on a canvas (other pixel formats). */
  reads: { planes: number; canvas: number };
}

/** Draws a decoded frame upright at `size` and returns its RGBA pixels. */
export function drawer(rotation: VideoTrackInfo['rotation']) {
  let canvas: OffscreenCanvas | undefined;
  let context: OffscreenCanvasRenderingContext2D | undefined;
  return (frame: VideoFrame, size: { width: number; height: number }) => {
    if (!canvas || canvas.width !== size.width || canvas.height !== size.height) {
      canvas = new OffscreenCanvas(size.width, size.height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      if (!ctx) throw new VideoDecodeError('decode', 'no 2D canvas context in this browser');
      context = ctx;
    }
    const ctx = context!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    // Rotate about the canvas centre; a quarter turn draws the frame with sides swapped.
    ctx.translate(size.width / 2, size.height / 2);
    ctx.rotate((rotation * Math.PI) / 180);
    const quarter = rotation === 90 || rotation === 270;
    const w = quarter ? size.height : size.width;
    const h = quarter ? size.width : size.height;
    ctx.drawImage(frame, -w / 2, -h / 2, w, h);
    return ctx.getImageData(0, 0, size.width, size.height).data;
  };
}

/** How probe frames are read from decoded pictures: their YCbCr planes (default), or a canvas. */
export type FrameReading = 'planes' | 'canvas';

/**
 * Reads probe frames off decoded pictures, one at a time and in order, while the decoder
 * goes on: a picture's planes are copied out (VideoFrame.copyTo: I420 or NV12, what software
 * decoders give) and shrunk and converted by src/hashing/video/yuv.ts, as the server's ffmpeg
 * does; other pixel formats (hardware frames) are drawn on a canvas. Drawing the full-size
 * picture on a canvas in a worker cost more than decoding it (software canvas, no GPU).
 */
export class ProbeFrameReader {
  #draw: ReturnType<typeof drawer> | undefined;
  #work: Promise<void> = Promise.resolve();
  #last: VideoFrame | undefined;
  #pixels: Uint8ClampedArray | undefined;
  /** Pictures read from their planes, and drawn on a canvas. */
  readonly reads = { planes: 0, canvas: 0 };

  constructor(
    private readonly rotation: VideoTrackInfo['rotation'],
    private readonly size: { width: number; height: number },
    private readonly sink: (pixels: Uint8ClampedArray) => void,
    private readonly reading: FrameReading = 'planes',
  ) {}

  /** Queues the probe frame shown by `frame` (the caller may close `frame` at once). */
  push(frame: VideoFrame): void {
    const fresh = frame !== this.#last ? frame.clone() : undefined;
    this.#last = frame;
    this.#work = this.#work.then(async () => {
      if (fresh) {
        try {
          this.#pixels?.fill(0);
          this.#pixels = await this.#read(fresh);
        } finally {
          fresh.close();
        }
      }
      this.sink(this.#pixels!);
    });
  }

  /** Resolves once every queued frame went to the sink; the last pixels are wiped. */
  async finish(): Promise<void> {
    await this.#work;
    this.#pixels?.fill(0);
    this.#pixels = undefined;
    this.#last = undefined;
  }

  async #read(frame: VideoFrame): Promise<Uint8ClampedArray> {
    const layout = frame.format === 'I420' || frame.format === 'NV12' ? frame.format : undefined;
    if (this.reading === 'planes' && layout && frame.visibleRect) {
      const data = new Uint8Array(frame.allocationSize());
      const planes = await frame.copyTo(data);
      const { width, height } = frame.visibleRect;
      const fullRange = frame.colorSpace.fullRange === true;
      const pixels = probeFrameFromYuv({ width, height, layout, data, planes, fullRange }, this.size.width, this.size.height, this.rotation);
      data.fill(0);
      this.reads.planes++;
      return pixels;
    }
    this.reads.canvas++;
    this.#draw ??= drawer(this.rotation);
    return this.#draw(frame, this.size);
  }
}

export interface DecodeHandlers {
  onTrack?: (track: VideoTrackInfo) => void;
  /** Every decoded frame, in presentation order; the handler owns it (and must close it). */
  onFrame: (frame: VideoFrame, track: VideoTrackInfo) => void;
  /** Share of the samples decoded. */
  onProgress?: (fraction: number) => void;
  /** The samples `onFrame` will look at: others that no frame depends on are not decoded. */
  needs?: SampleNeeds;
}

/**
 * The samples whose pictures become probe frames: ffmpeg's `fps` pick (ProbeSelector) run
 * over the track's timeline before decoding, exactly as it runs over the decoded frames.
 */
export const probeFrameNeeds: SampleNeeds = (track) => {
  const needed = new Set<number>();
  const first = track.timeline[0]?.t ?? 0;
  const selector = new ProbeSelector<number>((number) => needed.add(number));
  for (const sample of track.timeline) selector.push(sample.number, sample.t - first, sample.duration);
  selector.finish();
  return needed;
};

/**
 * Demuxes (MP4/MOV) and decodes a video with WebCodecs as fast as the machine allows, with
 * backpressure on the decode queue. The bare decode: the hashing pipeline adds only what
 * `onFrame` does, and the timing benchmark measures this loop alone as its baseline.
 */
export async function decodeVideoFile(file: Blob, handlers: DecodeHandlers): Promise<VideoTrackInfo & { decoded: number; skipped: number }> {
  if (typeof VideoDecoder === 'undefined') throw new VideoDecodeError('unsupported', 'this browser has no WebCodecs VideoDecoder');
  let track: VideoTrackInfo | undefined;
  let decoded = 0;
  let skipped = 0;
  let decodeError: Error | undefined;

  let firstTimestamp: number | undefined;
  const decoder = new VideoDecoder({
    output: (frame) => {
      decoded++;
      firstTimestamp ??= frame.timestamp;
      const { samples, duration } = track!;
      const fraction = samples > 0 ? (decoded + skipped) / samples : duration ? (frame.timestamp - firstTimestamp) / 1e6 / duration : 0;
      handlers.onFrame(frame, track!);
      handlers.onProgress?.(Math.min(1, fraction));
    },
    error: (error) => {
      decodeError = error;
    },
  });

  const waitForRoom = () =>
    new Promise<void>((resolve) => {
      if (decoder.decodeQueueSize < MAX_DECODE_QUEUE || decodeError) return resolve();
      decoder.addEventListener('dequeue', function ready() {
        if (decoder.decodeQueueSize < MAX_DECODE_QUEUE || decodeError) {
          decoder.removeEventListener('dequeue', ready);
          resolve();
        }
      });
    });

  try {
    // WebM and MKV start with EBML's magic number; anything else is read as MP4/MOV.
    const demux = (await isMatroska(file)) ? demuxMatroska : demuxMp4;
    await demux(
      file,
      (info) => {
        track = info;
        handlers.onTrack?.(info);
      },
      async (chunks, left) => {
        skipped += left;
        if (decoder.state === 'unconfigured') {
          const support = await VideoDecoder.isConfigSupported(track!.config);
          if (!support.supported) throw new VideoDecodeError('unsupported', `this browser cannot decode ${track!.config.codec}`);
          decoder.configure(track!.config);
        }
        for (const chunk of chunks) {
          if (decodeError) throw decodeError;
          await waitForRoom();
          decoder.decode(chunk);
        }
      },
      handlers.needs,
    );
    if (decoder.state === 'configured') await decoder.flush();
    if (decodeError) throw decodeError;
  } catch (error) {
    if (error instanceof VideoDecodeError) throw error;
    if (error instanceof DemuxError) throw new VideoDecodeError('unsupported', error.message);
    throw new VideoDecodeError('decode', error instanceof Error ? error.message : String(error));
  } finally {
    if (decoder.state !== 'closed') decoder.close();
  }
  return { ...track!, decoded, skipped };
}

/** Timing only: how the page worked before (every picture decoded; probe frames drawn on a canvas). */
export interface HashingVariant {
  decodeEverything?: boolean;
  reading?: FrameReading;
}

/** The page's video hashing: probe frames of the decoded pictures, pushed to the server's VideoHasher. */
export async function hashVideoFile(file: Blob, onProgress: (fraction: number) => void, variant: HashingVariant = {}): Promise<DecodedSignature> {
  const hasher = new VideoHasher({ keep: 'samples', windows: true });
  let track: VideoTrackInfo | undefined;
  let size: { width: number; height: number } | undefined;
  let reader: ProbeFrameReader | undefined;
  let firstTimestamp: number | undefined;

  const selector = new ProbeSelector<VideoFrame>(
    (frame) => {
      if (!reader) {
        const quarter = track!.rotation === 90 || track!.rotation === 270;
        const width = quarter ? frame.displayHeight : frame.displayWidth;
        const height = quarter ? frame.displayWidth : frame.displayHeight;
        const fitted = probeFrameSize(width, height, VIDEO_PROFILE.frameSide);
        size = fitted;
        reader = new ProbeFrameReader(track!.rotation, fitted, (data) => hasher.push({ width: fitted.width, height: fitted.height, channels: 4, data }), variant.reading);
      }
      reader.push(frame);
    },
    (frame) => frame.close(),
  );

  const done = await decodeVideoFile(file, {
    onTrack: (info) => (track = info),
    onFrame: (frame) => {
      firstTimestamp ??= frame.timestamp;
      selector.push(frame, (frame.timestamp - firstTimestamp) / 1e6, (frame.duration ?? 0) / 1e6);
    },
    onProgress,
    ...(variant.decodeEverything ? {} : { needs: probeFrameNeeds }),
  });
  selector.finish();
  await reader?.finish();
  if (selector.emitted === 0 || !size) throw new VideoDecodeError('empty', 'the video has no picture');
  return {
    signature: hasher.finish(),
    frameWidth: size.width,
    frameHeight: size.height,
    decoder: done.config.codec,
    decodedFrames: done.decoded,
    skippedFrames: done.skipped,
    reads: reader!.reads,
  };
}
