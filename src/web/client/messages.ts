/** The messages exchanged between the page and its hashing worker, typed once. */
import type { ComputedHash } from '../../hashing/types.js';
import type { WireDerivedSet } from '../../hashing/profile/wire.js';

/** Page → worker: hash one image file. The File is passed by reference, never uploaded. */
export interface HashRequest {
  id: number;
  file: Blob;
}

/** Why an image could not be hashed; the page turns the code into a sentence. */
export type HashFailure = 'decode' | 'empty' | 'internal';

export type HashReply =
  | {
      id: number;
      ok: true;
      /** Size of the decoded image after EXIF orientation, before any pre-shrink. */
      width: number;
      height: number;
      hashes: ComputedHash[];
      /** The matching profile's registered set, derived from the same decode as the server's. */
      derived: WireDerivedSet;
      /** Time spent decoding and hashing in the worker, for the record (not shown). */
      elapsedMs: number;
    }
  | { id: number; ok: false; failure: HashFailure; detail: string };
