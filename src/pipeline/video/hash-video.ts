import { createHash } from 'node:crypto';
import { VideoHasher } from '../../hashing/video/signature.js';
import { VIDEO_PROFILE, type VideoProfile } from '../../hashing/video/profile.js';
import type { VideoSignature } from '../../hashing/video/types.js';
import { decodeVideoFrames } from './decode.js';
import type { VideoLimits } from './limits.js';
import type { VideoContainer } from './sniff.js';

export interface VideoHashes {
  kind: 'video';
  /** Container: mp4, mov, webm, matroska, avi. */
  format: VideoContainer;
  /** Seconds of video decoded. */
  duration: number;
  /** Size of the hashed frames (the video fitted inside the profile's frame side). */
  frameWidth: number;
  frameHeight: number;
  /** MD5 of the file's bytes (32 hex): byte-identical re-uploads, as StopNCII and HMA match them. */
  md5: string;
  signature: VideoSignature;
}

export interface VideoHashRequest {
  dihedral: boolean;
  /** 'samples' to register, 'every-probe' to query (see VideoHasherOptions.keep). */
  keep: 'samples' | 'every-probe';
}

/** MD5 of the bytes, the video's frames decoded by ffmpeg and hashed as they arrive. */
export async function hashVideoBytes(
  bytes: Uint8Array,
  request: VideoHashRequest,
  limits: VideoLimits,
  ffmpeg: string,
  profile: VideoProfile = VIDEO_PROFILE,
): Promise<VideoHashes> {
  const hasher = new VideoHasher({ dihedral: request.dihedral, keep: request.keep, profile });
  const decoded = await decodeVideoFrames(bytes, limits, { ffmpeg, profile }, (pixels) => hasher.push(pixels));
  const md5 = createHash('md5').update(bytes).digest('hex');
  const signature = hasher.finish();
  return {
    kind: 'video',
    format: decoded.container,
    duration: signature.duration,
    frameWidth: decoded.frameWidth,
    frameHeight: decoded.frameHeight,
    md5,
    signature,
  };
}
