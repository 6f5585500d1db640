/**
 * The video hashing worker: demuxes and decodes a video file with WebCodecs, hashes its
 * frames with the same src/hashing code as the server, and computes its MD5. Only hashes
 * (and progress) go back to the page.
 */
import { VideoDecodeError } from './video/decode.js';
import { hashVideoAndMd5 } from './video/job.js';
import type { VideoHashRequest, VideoWorkerMessage } from './video/messages.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function hash(request: VideoHashRequest): Promise<VideoWorkerMessage> {
  const started = performance.now();
  const progress = (fraction: number) => scope.postMessage({ id: request.id, kind: 'progress', fraction } satisfies VideoWorkerMessage);
  try {
    const decoded = await hashVideoAndMd5(request.file, progress);
    const { signature, md5 } = decoded;
    return {
      id: request.id,
      kind: 'done',
      ok: true,
      video: {
        md5,
        duration: signature.duration,
        frameWidth: decoded.frameWidth,
        frameHeight: decoded.frameHeight,
        frames: signature.frames,
        summary: signature.summary && { value: signature.summary.value, frames: signature.summary.frames },
      },
      elapsedMs: Math.round(performance.now() - started),
      decoder: decoded.decoder,
      decodedFrames: decoded.decodedFrames,
      skippedFrames: decoded.skippedFrames,
      reads: decoded.reads,
    };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const failure = error instanceof VideoDecodeError ? error.failure : 'internal';
    return { id: request.id, kind: 'done', ok: false, failure, detail };
  }
}

scope.onmessage = (event: MessageEvent<VideoHashRequest>) => {
  void hash(event.data).then((reply) => scope.postMessage(reply));
};
