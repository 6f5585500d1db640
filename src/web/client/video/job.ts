/**
 * One video's job in the worker: its frames hashed (decode.ts) and its MD5 (md5.ts), with
 * one progress bar over both. The two run at once: the decoder works on its own threads
 * and the worker's thread mostly waits for its frames, so the MD5's slices fit in between
 * instead of adding a pass over the whole file at the end.
 */
import { hashVideoFile, type DecodedSignature } from './decode.js';
import { md5OfFile } from './md5.js';

/** Share of the progress bar for decoding; the MD5 takes the rest. */
const DECODE_SHARE = 0.9;

export async function hashVideoAndMd5(file: Blob, progress: (fraction: number) => void): Promise<DecodedSignature & { md5: string }> {
  let decoded = 0;
  let hashed = 0;
  const report = () => progress(decoded * DECODE_SHARE + hashed * (1 - DECODE_SHARE));
  const [signature, md5] = await Promise.all([
    hashVideoFile(file, (f) => {
      decoded = f;
      report();
    }),
    md5OfFile(file, (f) => {
      hashed = f;
      report();
    }),
  ]);
  return { ...signature, md5 };
}
