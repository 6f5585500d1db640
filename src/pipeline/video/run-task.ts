/** Worker side of video hashing: the task message, run and settled as data. */
import type { VideoProfile } from '../../hashing/video/profile.js';
import { settle } from '../run-task.js';
import type { TaskResult } from '../messages.js';
import { hashVideoBytes, type VideoHashes, type VideoHashRequest } from './hash-video.js';
import type { VideoLimits } from './limits.js';

/** Name of the worker export that hashes videos (piscina's `name` run option). */
export const HASH_VIDEO_TASK = 'hashVideo';

export interface HashVideoTask extends VideoHashRequest {
  /** The upload; its ArrayBuffer is transferred to the worker, not copied. */
  bytes: Uint8Array;
  limits: VideoLimits;
  ffmpeg: string;
  profile?: VideoProfile;
}

export type HashVideoTaskResult = TaskResult<VideoHashes>;

export function runHashVideoTask(task: HashVideoTask): Promise<HashVideoTaskResult> {
  return settle(() =>
    hashVideoBytes(task.bytes, { dihedral: task.dihedral, keep: task.keep, bands: task.bands === true, windows: task.windows === true }, task.limits, task.ffmpeg, task.profile),
  );
}
