/**
 * WebM and Matroska (MKV) demuxed with mediabunny for WebCodecs: the first video track's
 * decoder configuration and rotation, and its packets as EncodedVideoChunks in decode
 * order, read from the file in slices (never whole in memory). Same contract as
 * mp4-demuxer.ts, so decode.ts drives both alike.
 */
import { BlobSource, EncodedPacketSink, Input, MATROSKA, WEBM } from 'mediabunny';
import { DemuxError, type VideoTrackInfo } from './mp4-demuxer.js';

const PACKETS_PER_BATCH = 30;

/** EBML's magic number: every WebM and Matroska file starts with it. */
export async function isMatroska(file: Blob): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  return head.length === 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3;
}

export async function demuxMatroska(
  file: Blob,
  onTrack: (track: VideoTrackInfo) => void,
  onChunks: (chunks: EncodedVideoChunk[], skipped: number) => Promise<void>,
): Promise<void> {
  const input = new Input({ source: new BlobSource(file), formats: [WEBM, MATROSKA] });
  try {
    let track;
    try {
      track = await input.getPrimaryVideoTrack();
    } catch (error) {
      throw new DemuxError(error instanceof Error ? error.message : String(error));
    }
    if (!track) throw new DemuxError('no video track');
    const config = await track.getDecoderConfig();
    if (!config) throw new DemuxError(`no decoder configuration for ${track.codec ?? 'this codec'}`);
    // The index gives no sample count up front: progress goes by time (see decode.ts).
    const duration = await input.computeDuration();
    onTrack({ config, rotation: track.rotation, samples: 0, timeline: [], duration });
    let batch: EncodedVideoChunk[] = [];
    for await (const packet of new EncodedPacketSink(track).packets()) {
      batch.push(packet.toEncodedVideoChunk());
      if (batch.length >= PACKETS_PER_BATCH) {
        await onChunks(batch, 0);
        batch = [];
      }
    }
    if (batch.length > 0) await onChunks(batch, 0);
  } finally {
    input.dispose();
  }
}
