/**
 * The hashing worker: decodes each image and hashes it with the same src/hashing code as
 * the server, off the main thread. Only hashes go back to the page.
 */
import { getAlgorithm, listAlgorithms } from '../../hashing/registry.js';
import type { ComputedHash } from '../../hashing/types.js';
import { groupByDecodeSize } from '../../pipeline/decode-sizes.js';
import { decodeBitmap, DecodeError, pixelsOf } from './decode.js';
import type { HashReply, HashRequest } from './messages.js';
import { deriveSet } from '../../hashing/profile/wire.js';
import { PDQ_REGIONS } from '../../hashing/profile/profile.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** Each algorithm hashes pixels of the size the server gives it (one resize per size). */
function hashBitmap(bitmap: ImageBitmap): ComputedHash[] {
  const names = listAlgorithms().map((algorithm) => algorithm.name);
  const byName = new Map<string, ComputedHash>();
  for (const [side, group] of groupByDecodeSize(names)) {
    const pixels = pixelsOf(bitmap, side);
    for (const name of group) {
      const { value, quality } = getAlgorithm(name).hash(pixels);
      byName.set(name, quality === undefined ? { algorithm: name, value } : { algorithm: name, value, quality });
    }
  }
  return names.map((name) => byName.get(name)!);
}

async function hashFile(request: HashRequest): Promise<HashReply> {
  const started = performance.now();
  try {
    const bitmap = await decodeBitmap(request.file);
    try {
      const hashes = hashBitmap(bitmap);
      // The profile's regions come from the shared decode size, as on the server.
      const derived = deriveSet(PDQ_REGIONS.name, 'registered', pixelsOf(bitmap, PDQ_REGIONS.decodeSide));
      const elapsedMs = Math.round(performance.now() - started);
      return { id: request.id, ok: true, width: bitmap.width, height: bitmap.height, hashes, derived, elapsedMs };
    } finally {
      bitmap.close();
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const failure = error instanceof DecodeError ? error.failure : 'internal';
    return { id: request.id, ok: false, failure, detail };
  }
}

scope.onmessage = (event: MessageEvent<HashRequest>) => {
  void hashFile(event.data).then((reply) => scope.postMessage(reply));
};
