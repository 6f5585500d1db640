/**
 * Decodes an untrusted video into probe frames with ffmpeg: one child process per video,
 * the bytes written to its stdin and the frames read from its stdout (nothing on disk),
 * under resource limits. The process gets no environment but PATH and a locale, reads
 * only a pipe (`-protocol_whitelist pipe`), uses one forced demuxer and a fixed list of
 * decoders, and is killed the moment any limit is crossed.
 */
import { spawn } from 'node:child_process';
import type { Pixels } from '../../hashing/types.js';
import type { CropBox } from '../../hashing/video/bands.js';
import { VIDEO_PROFILE, type VideoProfile } from '../../hashing/video/profile.js';
import { RempartError } from '../../errors.js';
import { streamableSegments } from './faststart.js';
import { containerName, videoErrors } from './errors.js';
import type { VideoLimits } from './limits.js';
import { PamFormatError, PamReader } from './pam.js';
import { sniffVideoFormat, type SniffedVideo, type VideoContainer } from './sniff.js';

/** Decoders ffmpeg may open: phone, camera and web codecs. Anything else is refused. */
export const VIDEO_DECODERS = [
  'h264', 'hevc', 'vp8', 'vp9', 'av1', 'libdav1d', 'libaom-av1', 'mpeg4', 'msmpeg4v2', 'msmpeg4v3',
  'mpeg1video', 'mpeg2video', 'mjpeg', 'h263', 'theora',
] as const;

/** Bytes of ffmpeg's log kept in memory to classify a failure (never shown or logged). */
const LOG_TAIL = 8192;

export interface DecodedVideo {
  container: VideoContainer;
  /** Probe frames delivered (profile.probeFps per second of video). */
  probeFrames: number;
  /** Size of the probe frames (the video fitted inside profile.frameSide). */
  frameWidth: number;
  frameHeight: number;
}

export interface VideoDecodeOptions {
  /** The ffmpeg executable (see ffmpeg-binary.ts). */
  ffmpeg: string;
  profile?: VideoProfile;
  /** Crop the pictures first (fractions of the frame). */
  crop?: CropBox;
}

/**
 * The filter chain: `fps` picks the probe frames first (so only they are scaled), then
 * they are fitted inside the frame side (area averaging, never enlarged) as 8-bit RGB.
 * YCbCr is converted with the BT.709 matrix, as browsers do for untagged and HD video:
 * with ffmpeg's default (BT.601) the victim's browser and the server hashed the same
 * frames 10–20 bits apart; with BT.709, 0–4 (test/video-web.test.ts).
 */
export function probeFilter(profile: VideoProfile = VIDEO_PROFILE, crop?: CropBox): string {
  const side = profile.frameSide;
  // A crop in fractions of the (rotated) picture, before scaling: static bands removed.
  const cropFilter = crop
    ? `crop=w=iw*${crop[2] - crop[0]}:h=ih*${crop[3] - crop[1]}:x=iw*${crop[0]}:y=ih*${crop[1]},`
    : '';
  return (
    `fps=${profile.probeFps},${cropFilter}` +
    `scale=w='min(${side},iw)':h='min(${side},ih)':force_original_aspect_ratio=decrease:flags=area:in_color_matrix=bt709,format=rgb24`
  );
}

/** Input options shared by the decode and the benchmark's bare decode: same reading, same limits. */
export function inputArgs(demuxer: SniffedVideo['demuxer'], limits: VideoLimits): string[] {
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-protocol_whitelist', 'pipe'];
  if (limits.videoThreads > 0) args.push('-threads', String(limits.videoThreads));
  args.push('-max_pixels', String(limits.maxVideoPixels), '-codec_whitelist', VIDEO_DECODERS.join(','));
  args.push('-f', demuxer, '-i', 'pipe:0', '-map', '0:v:0', '-an', '-sn', '-dn');
  return args;
}

export function decodeArgs(demuxer: SniffedVideo['demuxer'], limits: VideoLimits, profile: VideoProfile, crop?: CropBox): string[] {
  return [...inputArgs(demuxer, limits), '-vf', probeFilter(profile, crop), '-f', 'image2pipe', '-c:v', 'pam', 'pipe:1'];
}

/**
 * The shell wrapper that sets the limits on the process it becomes (`exec`): CPU seconds
 * (SIGXCPU at the soft limit, SIGKILL two seconds later should it be ignored), address
 * space, no file writes of any size (RLIMIT_FSIZE 0: pipes are not files), no core dump
 * (it would write decoded pictures to disk).
 */
const LIMITED_EXEC =
  'ulimit -S -t "$1" && ulimit -H -t "$2" && ulimit -v "$3" && ulimit -f 0 && ulimit -c 0 && shift 3 && exec "$@"';

export function spawnLimited(binary: string, args: readonly string[], limits: VideoLimits) {
  const memoryKb = Math.max(1, Math.floor(limits.videoMemoryBytes / 1024));
  const cpu = Math.max(1, Math.ceil(limits.videoCpuSeconds));
  const limitArgs = [String(cpu), String(cpu + 2), String(memoryKb)];
  return spawn('/bin/sh', ['-c', LIMITED_EXEC, 'rempart-ffmpeg', ...limitArgs, binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' },
  });
}

/** Sniffs the container and checks the size; throws VIDEO_* errors. */
export function checkVideoBytes(bytes: Uint8Array, limits: VideoLimits): SniffedVideo {
  if (bytes.byteLength === 0) throw videoErrors.empty();
  if (bytes.byteLength > limits.maxVideoBytes) throw videoErrors.tooManyBytes(bytes.byteLength, limits);
  const sniffed = sniffVideoFormat(bytes);
  if (!sniffed) throw videoErrors.unsupported('the container was not recognised');
  return sniffed;
}

function classifyFailure(log: string, container: VideoContainer, limits: VideoLimits): RempartError {
  if (/exceeds specified max pixel count/.test(log)) return videoErrors.tooManyPixels(limits);
  if (/not on whitelist/.test(log)) return videoErrors.unsupported(`its ${containerName(container)} file uses a codec this server does not decode`);
  if (/matches no streams/.test(log)) return videoErrors.unsupported(`the ${containerName(container)} file has no video track`);
  if (/Cannot allocate memory|out of memory/i.test(log)) return videoErrors.tooMuchMemory(limits);
  return videoErrors.corrupt(container);
}

/**
 * Decodes `bytes` and calls `onFrame` with each probe frame, in order (the pixels are
 * reused after the call returns). Resolves when the video ended; rejects with a VIDEO_*
 * RempartError, having killed ffmpeg, when the input is bad or a limit is crossed.
 */
export function decodeVideoFrames(
  bytes: Uint8Array,
  limits: VideoLimits,
  options: VideoDecodeOptions,
  onFrame: (pixels: Pixels, index: number) => void,
): Promise<DecodedVideo> {
  const profile = options.profile ?? VIDEO_PROFILE;
  const { container, demuxer } = checkVideoBytes(bytes, limits);
  const segments = demuxer === 'mov' ? streamableSegments(bytes) : [bytes];
  const maxFrames = Math.ceil(limits.maxVideoSeconds * profile.probeFps) + 1;

  return new Promise((resolve, reject) => {
    const child = spawnLimited(options.ffmpeg, decodeArgs(demuxer, limits, profile, options.crop), limits);
    let failure: Error | undefined;
    let log = '';
    let size = { width: 0, height: 0 };
    const stop = (error: Error) => {
      failure ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(videoErrors.timedOut(limits)), limits.videoTimeoutSeconds * 1000);

    const reader = new PamReader(profile.frameSide, (pixels) => {
      if (reader.frames > maxFrames) return stop(videoErrors.tooLong(limits));
      if (reader.frames === 1) size = { width: pixels.width, height: pixels.height };
      try {
        onFrame(pixels, reader.frames - 1);
      } catch (error) {
        stop(error as Error);
      }
    });

    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      try {
        reader.push(chunk);
      } catch (error) {
        // Our own filter chain produced something unexpected: a bug, not bad input.
        stop(error instanceof PamFormatError ? new Error(`ffmpeg frame stream: ${error.message}`) : (error as Error));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString('latin1')).slice(-LOG_TAIL);
    });
    // ffmpeg may stop reading early (an error, or a kill): the rest of the input is moot.
    child.stdin.on('error', () => {});
    child.on('error', (error: NodeJS.ErrnoException) => {
      stop(new RempartError('VIDEO_DECODER_MISSING', `video decoding is unavailable: ffmpeg could not be started (${error.code ?? 'error'})`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = log;
      log = '';
      if (failure) return reject(failure);
      if (signal === 'SIGXCPU') return reject(videoErrors.tooMuchCpu(limits));
      // Not ours: the hard CPU limit, or the kernel's out-of-memory killer.
      if (signal === 'SIGKILL') return reject(videoErrors.overLimits());
      if (code === 127) return reject(new RempartError('VIDEO_DECODER_MISSING', 'video decoding is unavailable: ffmpeg could not be started'));
      if (code !== 0 || signal !== null) return reject(classifyFailure(tail, container, limits));
      if (!reader.complete) return reject(videoErrors.corrupt(container));
      if (reader.frames === 0) return reject(videoErrors.noFrames(container));
      resolve({ container, probeFrames: reader.frames, frameWidth: size.width, frameHeight: size.height });
    });

    for (const segment of segments) child.stdin.write(segment);
    child.stdin.end();
  });
}
