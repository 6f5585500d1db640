/**
 * Impostor images for `rempart eval-video`: the corpus photos (each against the videos it
 * is not in) and the image evaluation's distractors (icons, clipart, screenshots, game
 * art, wallpapers), used two ways, as the service would meet them:
 * - posted as a still (an image upload) against every registered video: one frame or
 *   window within the frame threshold is enough for a still, the weakest video rule;
 * - registered as an image against every uploaded video of the evaluation: a registered
 *   image is answered when frames of at least 2 seconds of the upload meet it (no time
 *   alignment to check).
 * Both go through the PDQ index the service uses (src/index/mih.ts), not pair by pair.
 * Only the whole picture's PDQ is used: the matching profile's derived hashes of images
 * (windows, regions) are measured by `rempart eval-profile`.
 */
import { readFileSync } from 'node:fs';
import { hexToBytes } from '../../hashing/codec.js';
import { DIHEDRAL_NAMES, type DihedralName } from '../../hashing/types.js';
import { frameVariants, secondOf, usableFrames } from '../../hashing/video/match.js';
import type { VideoSignature } from '../../hashing/video/types.js';
import { MultiIndexHashIndex } from '../../index/mih.js';
import { hashImageBytes } from '../../pipeline/hash-image.js';
import { DEFAULT_LIMITS } from '../../pipeline/limits.js';
import type { ImpostorImage } from './corpus.js';

export interface StillImpostorMatch {
  image: string;
  video: string;
  /** Smallest distance over the 8 orientations of the still, and which one. */
  distance: number;
  transform: DihedralName;
  /** Smallest distance of the still as posted (null: only a turned or mirrored orientation met the video). */
  plainDistance: number | null;
  /** What the registered hash was (at the smallest distance): the frame itself or its centred window. */
  role: 'frame' | 'window';
}

export interface RegisteredImpostorMatch {
  image: string;
  query: string;
  /** Seconds of the upload with a frame meeting the image (original orientation; with dihedral matching). */
  seconds: number;
  secondsDihedral: number;
  querySeconds: number;
  bestDistance: number;
}

export interface ImpostorImageRecords {
  /** Images hashed, and those of PDQ quality at or above the floor (the others are never matched). */
  images: number;
  usable: number;
  /** Frame threshold the matches were collected at (inclusive). */
  radius: number;
  /** (usable image, registered video) pairs, the image not shown in that video. */
  stillPairs: number;
  stillMatches: StillImpostorMatch[];
  /** (usable image, video upload) pairs, the upload not made from a video showing the image. */
  registeredPairs: number;
  registeredMatches: RegisteredImpostorMatch[];
  errors: number;
  hashSeconds: number;
}

interface HashedImage {
  image: ImpostorImage;
  variants: Uint8Array[];
}

/** Hashes the images (PDQ with its 8 dihedral variants), a few at a time. */
async function hashImages(images: readonly ImpostorImage[], floor: number, onProgress?: (done: number) => void): Promise<{ usable: HashedImage[]; errors: number }> {
  const usable: HashedImage[] = [];
  let errors = 0;
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < images.length; i = next++) {
      const image = images[i]!;
      try {
        const hashed = await hashImageBytes(new Uint8Array(readFileSync(image.path)), { algorithms: ['pdq'], dihedral: true }, DEFAULT_LIMITS);
        const pdq = hashed.hashes[0]!;
        if ((pdq.quality ?? 0) >= floor) {
          const variants = DIHEDRAL_NAMES.map((name) => hexToBytes(name === 'original' ? pdq.value : pdq.dihedral![name]!));
          usable.push({ image, variants });
        }
      } catch {
        errors++;
      }
      onProgress?.(++done);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  // Order does not depend on which decode finished first.
  usable.sort((a, b) => (a.image.name < b.image.name ? -1 : a.image.name > b.image.name ? 1 : 0));
  return { usable, errors };
}

export interface ImpostorImageInput {
  images: readonly ImpostorImage[];
  /** Registered videos: name and signature at the service's registration (frames and windows). */
  registered: readonly { name: string; signature: VideoSignature }[];
  /** Video uploads (stills excluded): name, source video and signature (every probe frame, dihedral variants). */
  queries: readonly { name: string; video: string; signature: VideoSignature }[];
  qualityFloor: number;
  radius: number;
  onProgress?: (done: number) => void;
}

export async function measureImpostorImages(input: ImpostorImageInput): Promise<ImpostorImageRecords> {
  const started = performance.now();
  const { usable, errors } = await hashImages(input.images, input.qualityFloor, input.onProgress);

  // Stills: every registered frame and window of every video in one index.
  const registeredIndex = new MultiIndexHashIndex({ expectedSize: 50_000 });
  const registeredOf: { video: number; role: 'frame' | 'window' }[] = [];
  input.registered.forEach(({ signature }, video) => {
    for (const frame of signature.frames) {
      if (frame.quality >= input.qualityFloor) {
        registeredIndex.add(registeredOf.length, hexToBytes(frame.value));
        registeredOf.push({ video, role: 'frame' });
      }
      if (frame.window && frame.window.quality >= input.qualityFloor) {
        registeredIndex.add(registeredOf.length, hexToBytes(frame.window.value));
        registeredOf.push({ video, role: 'window' });
      }
    }
  });
  const stillMatches: StillImpostorMatch[] = [];
  let stillPairs = 0;
  for (const { image, variants } of usable) {
    stillPairs += input.registered.filter((r) => r.name !== image.video).length;
    const best = new Map<number, StillImpostorMatch>();
    variants.forEach((code, v) => {
      for (const m of registeredIndex.search(code, input.radius)) {
        const { video, role } = registeredOf[m.id]!;
        const name = input.registered[video]!.name;
        if (name === image.video) continue;
        let held = best.get(video);
        if (!held) best.set(video, (held = { image: image.name, video: name, distance: 257, transform: 'original', plainDistance: null, role }));
        if (m.distance < held.distance) Object.assign(held, { distance: m.distance, transform: DIHEDRAL_NAMES[v]!, role });
        if (v === 0 && (held.plainDistance === null || m.distance < held.plainDistance)) held.plainDistance = m.distance;
      }
    });
    stillMatches.push(...best.values());
  }

  // Registered images: every usable frame of every upload (and its 7 variants) in one index.
  const queryIndex = new MultiIndexHashIndex({ expectedSize: 500_000 });
  const queryOf: { query: number; second: number; original: boolean }[] = [];
  const querySeconds: number[] = [];
  input.queries.forEach(({ signature }, query) => {
    const frames = usableFrames(signature.frames, input.qualityFloor);
    querySeconds.push(new Set(frames.map((f) => secondOf(f.t))).size);
    for (const frame of frames) {
      for (const variant of frameVariants(frame, true)) {
        queryIndex.add(queryOf.length, variant.bytes);
        queryOf.push({ query, second: secondOf(frame.t), original: variant.transform === 'original' });
      }
    }
  });
  const registeredMatches: RegisteredImpostorMatch[] = [];
  let registeredPairs = 0;
  for (const { image, variants } of usable) {
    registeredPairs += input.queries.filter((q) => q.video !== image.video).length;
    const hits = new Map<number, { plain: Set<number>; all: Set<number>; best: number }>();
    for (const m of queryIndex.search(variants[0]!, input.radius)) {
      const { query, second, original } = queryOf[m.id]!;
      if (input.queries[query]!.video === image.video) continue;
      const entry = hits.get(query) ?? { plain: new Set(), all: new Set(), best: 256 };
      hits.set(query, entry);
      entry.all.add(second);
      if (original) entry.plain.add(second);
      entry.best = Math.min(entry.best, m.distance);
    }
    for (const [query, entry] of hits) {
      registeredMatches.push({
        image: image.name,
        query: input.queries[query]!.name,
        seconds: entry.plain.size,
        secondsDihedral: entry.all.size,
        querySeconds: querySeconds[query]!,
        bestDistance: entry.best,
      });
    }
  }

  return {
    images: input.images.length,
    usable: usable.length,
    radius: input.radius,
    stillPairs,
    stillMatches,
    registeredPairs,
    registeredMatches,
    errors,
    hashSeconds: (performance.now() - started) / 1000,
  };
}

/**
 * Impostor pairs matched under the service's rules at the recorded radius (the frame
 * threshold): a still by one frame or window; a registered image by frames of at least
 * `minSeconds` seconds of the upload (fewer only for a shorter upload).
 */
export function impostorImageFalseMatches(
  records: ImpostorImageRecords,
  minSeconds: number,
): { stills: number; stillsDihedral: number; registered: number; registeredDihedral: number; examples: string[] } {
  const enough = (seconds: number, of: number) => seconds > 0 && seconds >= Math.min(minSeconds, of);
  const registered = records.registeredMatches.filter((m) => enough(m.secondsDihedral, m.querySeconds));
  const examples = [
    ...records.stillMatches.map((m) => `still ${m.image} → ${m.video} (${m.role}, ${m.distance} bits, ${m.transform})`),
    ...registered.map((m) => `registered ${m.image} ← ${m.query} (${m.secondsDihedral} s, ${m.bestDistance} bits)`),
  ];
  return {
    stills: records.stillMatches.filter((m) => m.plainDistance !== null).length,
    stillsDihedral: records.stillMatches.length,
    registered: registered.filter((m) => enough(m.seconds, m.querySeconds)).length,
    registeredDihedral: registered.length,
    examples: examples.slice(0, 10),
  };
}
