/**
 * Not part of the page: the worker the browser timing benchmark (test/video-timing.test.ts)
 * runs beside the page's own, to time each stage of the video pipeline on the same file in
 * the same browser: the bare decode (demux + WebCodecs, every frame closed at once: the
 * baseline), decode + reading the probe frames (from the YCbCr planes, or by canvas), the
 * whole hashing (as the page does it, and as it did before: every picture decoded, probe
 * frames drawn on a canvas), the MD5 alone, and the page's worker job (hashing and MD5).
 */
import { probeFrameSize, ProbeSelector } from '../../../hashing/video/probe.js';
import { VIDEO_PROFILE } from '../../../hashing/video/profile.js';
import { decodeVideoFile, hashVideoFile, probeFrameNeeds, ProbeFrameReader, type FrameReading } from './decode.js';
import { md5OfFile } from './md5.js';
import { hashVideoAndMd5 } from './job.js';

export type ProfileMode = 'decode' | 'frames' | 'frames-canvas' | 'hash' | 'hash-before' | 'md5' | 'page';

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** Decode and probe frames read (the page's way or by canvas), nothing hashed. */
async function framesOnly(file: Blob, reading: FrameReading): Promise<number> {
  let reader: ProbeFrameReader | undefined;
  let first: number | undefined;
  let rotation: 0 | 90 | 180 | 270 = 0;
  const selector = new ProbeSelector<VideoFrame>(
    (frame) => {
      reader ??= new ProbeFrameReader(rotation, probeFrameSize(frame.displayWidth, frame.displayHeight, VIDEO_PROFILE.frameSide), () => {}, reading);
      reader.push(frame);
    },
    (frame) => frame.close(),
  );
  await decodeVideoFile(file, {
    onTrack: (track) => (rotation = track.rotation),
    onFrame: (frame) => {
      first ??= frame.timestamp;
      selector.push(frame, (frame.timestamp - first) / 1e6, (frame.duration ?? 0) / 1e6);
    },
    needs: probeFrameNeeds,
  });
  selector.finish();
  await reader?.finish();
  return selector.emitted;
}

async function run(mode: ProfileMode, file: Blob): Promise<{ frames: number }> {
  switch (mode) {
    case 'decode': {
      let frames = 0;
      await decodeVideoFile(file, { onFrame: (frame) => (frames++, frame.close()) });
      return { frames };
    }
    case 'frames':
      return { frames: await framesOnly(file, 'planes') };
    case 'frames-canvas':
      return { frames: await framesOnly(file, 'canvas') };
    case 'hash':
      return { frames: (await hashVideoFile(file, () => {})).signature.frames.length };
    case 'hash-before':
      return { frames: (await hashVideoFile(file, () => {}, { decodeEverything: true, reading: 'canvas' })).signature.frames.length };
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
