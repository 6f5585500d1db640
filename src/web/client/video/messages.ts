/** Messages between the page and its video worker, typed once. */
import type { VideoFrameHash } from '../../../hashing/video/types.js';

/** Page → worker: hash one video file. The File is passed by reference, never uploaded. */
export interface VideoHashRequest {
  id: number;
  file: Blob;
}

/** Why a video could not be hashed; the page turns the code into a sentence. */
export type VideoFailure = 'unsupported' | 'decode' | 'empty' | 'internal';

/** What the page registers of a video: its MD5 and sampled frames (the server's own shape). */
export interface VideoHashes {
  md5: string;
  /** Seconds of video hashed. */
  duration: number;
  frameWidth: number;
  frameHeight: number;
  frames: VideoFrameHash[];
  summary: { value: string; frames: number } | null;
}

export type VideoWorkerMessage =
  | { id: number; kind: 'progress'; fraction: number }
  | { id: number; kind: 'done'; ok: true; video: VideoHashes; elapsedMs: number; decoder: string; decodedFrames: number; skippedFrames: number; reads: { planes: number; canvas: number } }
  | { id: number; kind: 'done'; ok: false; failure: VideoFailure; detail: string };
