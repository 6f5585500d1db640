/**
 * Not part of the page: the worker the browser timing benchmark (test/video-timing.test.ts)
 * runs beside the page's own, to time each stage of the video pipeline on the same file in
 * the same browser: the bare decode (demux + WebCodecs, every frame closed at once: the
 * baseline), decode + picking and drawing the probe frames, the whole hashing (as the page
 * does it, and decoding every picture as it did before), the MD5 alone, and the page's
 * worker job (hashing and MD5).
 */
import { probeFrameSize, ProbeSelector } from '../../../hashing/video/probe.js';
import { VIDEO_PROFILE } from '../../../hashing/video/profile.js';
import { decodeVideoFile, drawer, hashVideoFile } from './decode.js';
import { md5OfFile } from './md5.js';
import { hashVideoAndMd5 } from './job.js';

export type ProfileMode = 'decode' | 'draw' | 'hash' | 'hash-every-frame' | 'md5' | 'page';

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function drawOnly(file: Blob): Promise<number> {
  let size: { width: number; height: number } | undefined;
  let draw: ReturnType<typeof drawer> | undefined;
  let first: number | undefined;
  let rotation: 0 | 90 | 180 | 270 = 0;
  const selector = new ProbeSelector<VideoFrame>(
    (frame) => {
      size ??= probeFrameSize(frame.displayWidth, frame.displayHeight, VIDEO_PROFILE.frameSide);
      draw ??= drawer(rotation);
      draw(frame, size).fill(0);
    },
    (frame) => frame.close(),
  );
  await decodeVideoFile(file, {
    onTrack: (track) => (rotation = track.rotation),
    onFrame: (frame) => {
      first ??= frame.timestamp;
      selector.push(frame, (frame.timestamp - first) / 1e6, (frame.duration ?? 0) / 1e6);
    },
  });
  selector.finish();
  return selector.emitted;
}

async function run(mode: ProfileMode, file: Blob): Promise<{ frames: number }> {
  switch (mode) {
    case 'decode': {
      let frames = 0;
      await decodeVideoFile(file, { onFrame: (frame) => (frames++, frame.close()) });
      return { frames };
    }
    case 'draw':
      return { frames: await drawOnly(file) };
    case 'hash':
      return { frames: (await hashVideoFile(file, () => {})).signature.frames.length };
    case 'hash-every-frame':
      return { frames: (await hashVideoFile(file, () => {}, true)).signature.frames.length };
    case 'md5':
      await md5OfFile(file);
      return { frames: 0 };
    case 'page':
      return { frames: (await hashVideoAndMd5(file, () => {})).signature.frames.length };
  }
}

scope.onmessage = (event: MessageEvent<{ mode: ProfileMode; file: Blob }>) => {
  const started = performance.now();
  run(event.data.mode, event.data.file).then(
    (result) => scope.postMessage({ ok: true, ms: performance.now() - started, ...result }),
    (error: unknown) => scope.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
};
