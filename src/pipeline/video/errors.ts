/**
 * User-facing video errors: fixed text and numbers only. ffmpeg's own output is never
 * shown or logged: it can echo a file's metadata (titles, GPS positions, device names).
 */
import { RempartError } from '../../errors.js';
import { formatBytes, formatMegapixels } from '../limits.js';
import { ACCEPTED_VIDEO_TEXT } from './sniff.js';
import type { VideoLimits } from './limits.js';

const CONTAINER_NAMES: Record<string, string> = { mp4: 'MP4', mov: 'MOV', matroska: 'Matroska', webm: 'WebM', avi: 'AVI' };

export function containerName(container: string): string {
  return CONTAINER_NAMES[container] ?? container;
}

export const videoErrors = {
  empty: () => new RempartError('VIDEO_EMPTY', 'video is empty (0 bytes)'),
  noFrames: (container: string) => new RempartError('VIDEO_EMPTY', `${containerName(container)} video has no picture to hash`),
  tooManyBytes: (byteLength: number, limits: VideoLimits) => {
    // Exact byte counts when the rounded sizes would read the same ("2.0 MB, over 2.0 MB").
    const [size, limit] =
      formatBytes(byteLength) === formatBytes(limits.maxVideoBytes)
        ? [`${byteLength} bytes`, `${limits.maxVideoBytes} bytes`]
        : [formatBytes(byteLength), formatBytes(limits.maxVideoBytes)];
    return new RempartError('VIDEO_TOO_LARGE', `video is ${size}, over the limit of ${limit}`);
  },
  tooLong: (limits: VideoLimits) =>
    new RempartError('VIDEO_TOO_LONG', `video is longer than the limit of ${formatSeconds(limits.maxVideoSeconds)}`),
  tooManyPixels: (limits: VideoLimits) =>
    new RempartError('VIDEO_TOO_MANY_PIXELS', `video frames are over the limit of ${formatMegapixels(limits.maxVideoPixels)} megapixels`),
  unsupported: (reason: string) =>
    new RempartError('VIDEO_UNSUPPORTED', `unsupported video: ${reason}; accepted formats are ${ACCEPTED_VIDEO_TEXT} (H.264, HEVC, VP8, VP9, AV1, MPEG-4)`),
  corrupt: (container: string) =>
    new RempartError('VIDEO_CORRUPT', `${containerName(container)} video is corrupt or truncated and cannot be decoded`),
  timedOut: (limits: VideoLimits) =>
    new RempartError('VIDEO_TIMEOUT', `video took longer than ${limits.videoTimeoutSeconds} s to decode`),
  tooMuchCpu: (limits: VideoLimits) =>
    new RempartError('VIDEO_TOO_COSTLY', `video needs more than ${limits.videoCpuSeconds} s of CPU time to decode, the limit`),
  overLimits: () => new RempartError('VIDEO_TOO_COSTLY', 'video could not be decoded within the resource limits of this server'),
  tooMuchMemory: (limits: VideoLimits) =>
    new RempartError('VIDEO_TOO_COSTLY', `video needs more than ${formatBytes(limits.videoMemoryBytes)} of memory to decode, the limit`),
};

export function formatSeconds(seconds: number): string {
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} s`;
}
