/**
 * MP4/MOV (phones' videos) demuxed with mp4box.js for WebCodecs: the first video track's
 * decoder configuration, its display rotation, and its samples as EncodedVideoChunks,
 * read from the file in slices at the offsets mp4box asks for (an index at the end of
 * the file is reached without reading the media twice).
 */
import { createFile, DataStream, Endianness, MP4BoxBuffer, type Movie, type Sample } from 'mp4box';

const SLICE = 4 * 1024 * 1024;
const SAMPLES_PER_BATCH = 60;

export interface VideoTrackInfo {
  config: VideoDecoderConfig;
  /** Clockwise rotation the player applies (the track matrix): 0, 90, 180 or 270. */
  rotation: 0 | 90 | 180 | 270;
  samples: number;
  /** Every sample's number, presentation time and duration (seconds), in presentation order (empty when unknown). */
  timeline: { number: number; t: number; duration: number }[];
  /** Seconds, when the container says it but not `samples` (then progress goes by time). */
  duration?: number;
}

/**
 * Which samples the caller will look at (sample numbers), given the track; the others may
 * be left undecoded when nothing else needs them (see `disposable`). Absent: all.
 */
export type SampleNeeds = (track: VideoTrackInfo) => ReadonlySet<number>;

/**
 * Whether an H.264 sample (AVCC: NAL units prefixed with their length) is a picture no
 * other picture refers to: every slice has nal_ref_idc 0 (a non-reference B or P frame).
 * Such a frame can be skipped without changing any other decoded frame (players drop them
 * when late); encoders with B-frames (x264's default) make many of them.
 */
export function disposableAvc(data: Uint8Array, lengthSize: number): boolean {
  let slices = 0;
  for (let i = 0; i + lengthSize < data.length; ) {
    let length = 0;
    for (let b = 0; b < lengthSize; b++) length = length * 256 + data[i + b]!;
    const header = data[i + lengthSize]!;
    const type = header & 0x1f;
    if (type === 1 || type === 5) {
      if ((header >> 5) & 3) return false;
      slices++;
    }
    i += lengthSize + length;
  }
  return slices > 0;
}

export class DemuxError extends Error {}

/** The codec-specific box (avcC, hvcC, vpcC, av1C) as WebCodecs wants it, without its header. */
function description(file: ReturnType<typeof createFile>, trackId: number): Uint8Array | undefined {
  const trak = file.getTrackById(trackId) as unknown as { mdia: { minf: { stbl: { stsd: { entries: Record<string, { write(s: DataStream): void } | undefined>[] } } } } };
  for (const entry of trak.mdia.minf.stbl.stsd.entries) {
    const box = entry.avcC ?? entry.hvcC ?? entry.vpcC ?? entry.av1C;
    if (box) {
      const stream = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
      box.write(stream);
      return new Uint8Array(stream.buffer as ArrayBuffer, 8);
    }
  }
  return undefined;
}

/** Rotation from a track matrix (16.16 fixed point a, b, c, d). */
function rotationOf(matrix: ArrayLike<number>): VideoTrackInfo['rotation'] {
  const a = matrix[0]! / 65536;
  const b = matrix[1]! / 65536;
  const degrees = Math.round((Math.atan2(b, a) * 180) / Math.PI);
  const normal = ((degrees % 360) + 360) % 360;
  return normal === 90 || normal === 180 || normal === 270 ? normal : 0;
}

/**
 * Reads `file`, calls `onTrack` once the index is known, then `onChunks` with batches of
 * chunks in decode order (awaited: the caller applies backpressure). Resolves at the end.
 */
export async function demuxMp4(
  file: Blob,
  onTrack: (track: VideoTrackInfo) => void,
  /** `skipped`: samples of the batch left out (disposable and not needed). */
  onChunks: (chunks: EncodedVideoChunk[], skipped: number) => Promise<void>,
  needs?: SampleNeeds,
): Promise<void> {
  let needed: ReadonlySet<number> | undefined;
  /** AVC NAL length size, when samples may be skipped. */
  let lengthSize = 0;
  const mp4 = createFile();
  let trackId: number | undefined;
  let failure: Error | undefined;
  let pending: Sample[] = [];
  let delivered = 0;
  let total = 0;
  mp4.onError = (_module, message) => (failure = new DemuxError(message));
  mp4.onReady = (info: Movie) => {
    const track = info.videoTracks[0];
    if (!track) {
      failure = new DemuxError('no video track');
      return;
    }
    trackId = track.id;
    total = track.nb_samples;
    const desc = description(mp4, track.id);
    const config: VideoDecoderConfig = {
      codec: track.codec.startsWith('vp08') ? 'vp8' : track.codec,
      codedWidth: track.video?.width ?? track.track_width,
      codedHeight: track.video?.height ?? track.track_height,
      ...(desc ? { description: desc } : {}),
    };
    const table = mp4.getTrackById(track.id).samples ?? [];
    const timeline = table
      .map((s) => ({ number: s.number, t: s.cts / s.timescale, duration: s.duration / s.timescale }))
      .sort((a, b) => a.t - b.t || a.number - b.number);
    const found: VideoTrackInfo = { config, rotation: rotationOf(track.matrix as unknown as ArrayLike<number>), samples: total, timeline };
    onTrack(found);
    if (needs && /^avc[13]\./.test(track.codec) && desc && desc.length > 4 && timeline.length > 0) {
      // Never the first or last picture shown: they set the times of every other one.
      needed = new Set([...needs(found), timeline[0]!.number, timeline[timeline.length - 1]!.number]);
      lengthSize = (desc[4]! & 3) + 1;
    }
    mp4.setExtractionOptions(track.id, null, { nbSamples: SAMPLES_PER_BATCH });
    mp4.start();
  };
  mp4.onSamples = (_id, _user, samples) => {
    pending.push(...samples);
  };

  const drain = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const kept = needed ? batch.filter((s) => s.is_sync || needed!.has(s.number) || !disposableAvc(s.data!, lengthSize)) : batch;
    const chunks = kept.map(
      (s) =>
        new EncodedVideoChunk({
          type: s.is_sync ? 'key' : 'delta',
          timestamp: (s.cts * 1e6) / s.timescale,
          duration: (s.duration * 1e6) / s.timescale,
          data: s.data!,
        }),
    );
    await onChunks(chunks, batch.length - kept.length);
    delivered += batch.length;
    mp4.releaseUsedSamples(trackId!, batch[batch.length - 1]!.number + 1);
  };

  // mp4box says where it wants to read next: past media it cannot use yet (to an index at
  // the end), then back to the media once the index is known. Reads are bounded all the same.
  let offset = 0;
  let read = 0;
  while (offset < file.size) {
    const slice = await file.slice(offset, offset + SLICE).arrayBuffer();
    read += slice.byteLength;
    if (read > 3 * file.size + SLICE) throw new DemuxError('the file could not be read to its end');
    const next = mp4.appendBuffer(MP4BoxBuffer.fromArrayBuffer(slice, offset), offset + slice.byteLength >= file.size);
    if (failure) throw failure;
    await drain();
    offset = typeof next === 'number' && next !== offset ? next : offset + slice.byteLength;
  }
  mp4.flush();
  await drain();
  if (failure) throw failure;
  if (trackId === undefined) throw new DemuxError('no video index found (not an MP4/MOV video, or truncated)');
  if (delivered < total) throw new DemuxError(`the file ends before its media (${delivered} of ${total} frames)`);
}
