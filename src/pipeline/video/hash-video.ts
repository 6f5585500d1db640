import { createHash } from 'node:crypto';
import type { CropBox } from '../../hashing/video/bands.js';
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
  /**
   * Queries with static bands at the edges (a caption bar, letterboxing): the same video
   * decoded again with the bands cropped off, hashed the same way.
   */
  derived?: { crop: CropBox; signature: VideoSignature };
}

export interface VideoHashRequest {
  dihedral: boolean;
  /** 'samples' to register, 'every-probe' to query (see VideoHasherOptions.keep). */
  keep: 'samples' | 'every-probe';
  /** Look for static bands and, when found, hash the video again without them (queries). */
  bands?: boolean;
  /** Also hash each kept frame's centred window (registration: see VideoProfile.windowScale). */
  windows?: boolean;
}

/** MD5 of the bytes, the video's frames decoded by ffmpeg and hashed as they arrive. */
export async function hashVideoBytes(
  bytes: Uint8Array,
  request: VideoHashRequest,
  limits: VideoLimits,
  ffmpeg: string,
  profile: VideoProfile = VIDEO_PROFILE,
): Promise<VideoHashes> {
  const hasher = new VideoHasher({ dihedral: request.dihedral, keep: request.keep, profile, bands: request.bands === true, windows: request.windows === true });
  const decoded = await decodeVideoFrames(bytes, limits, { ffmpeg, profile }, (pixels) => hasher.push(pixels));
  const md5 = createHash('md5').update(bytes).digest('hex');
  const signature = hasher.finish();
  let derived: VideoHashes['derived'];
  if (signature.staticCrop) {
    // A second decode: the crop is applied to the full-size pictures, before scaling.
    const cropped = new VideoHasher({ dihedral: request.dihedral, keep: request.keep, profile });
    await decodeVideoFrames(bytes, limits, { ffmpeg, profile, crop: signature.staticCrop }, (pixels) => cropped.push(pixels));
    derived = { crop: signature.staticCrop, signature: cropped.finish() };
  }
  return {
    ...(derived ? { derived } : {}),
    kind: 'video',
    format: decoded.container,
    duration: signature.duration,
    frameWidth: decoded.frameWidth,
    frameHeight: decoded.frameHeight,
    md5,
    signature,
  };
}
