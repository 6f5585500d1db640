/**
 * MD5 of a file, read in slices (never whole in memory): the exact file hash that
 * StopNCII-style exchanges use for videos (VideoMD5). js-md5 is pure JavaScript: WebCrypto
 * has no MD5.
 */
import { md5 } from 'js-md5';

const SLICE = 4 * 1024 * 1024;

export async function md5OfFile(file: Blob, onProgress: (fraction: number) => void = () => {}): Promise<string> {
  const hash = md5.create();
  for (let offset = 0; offset < file.size; offset += SLICE) {
    hash.update(new Uint8Array(await file.slice(offset, offset + SLICE).arrayBuffer()));
    onProgress(Math.min(1, (offset + SLICE) / file.size));
  }
  return hash.hex();
}
