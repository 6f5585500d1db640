/**
 * `rempart eval-video`: registers each corpus video as a victim would (server decode,
 * regular samples and cut frames), makes every variant a re-uploader would post (ffmpeg,
 * in memory), posts stills taken from the videos as images, and matches every query
 * against every registered video. Each query has one genuine video (its source) and all
 * the others as impostors. Records, per query and registered video, what the frame
 * matcher and the summaries see, so the policy can be chosen on the whole table.
 */
import { readFileSync } from 'node:fs';
import { hexToBytes } from '../../hashing/codec.js';
import { hammingDistance } from '../../hashing/hamming.js';
import { DIHEDRAL_NAMES } from '../../hashing/types.js';
import {
  aggregateFrameHits,
  DEFAULT_VIDEO_MATCH_POLICY,
  frameVariants,
  type FrameHit,
  summaryCosine,
  usableFrames,
  type VideoMatchPolicy,
} from '../../hashing/video/match.js';
import type { VideoSignature, VideoSummary } from '../../hashing/video/types.js';
import { hashImageBytes } from '../../pipeline/hash-image.js';
import { DEFAULT_LIMITS } from '../../pipeline/limits.js';
import { hashVideoBytes } from '../../pipeline/video/hash-video.js';
import { DEFAULT_VIDEO_LIMITS, type VideoLimits } from '../../pipeline/video/limits.js';
import type { CorpusVideo, ImpostorImage } from './corpus.js';
import { measureImpostorImages, type ImpostorImageRecords } from './impostor-images.js';
import { runFfmpeg } from './ffmpeg-run.js';
import { getVideoTransformation, VIDEO_TRANSFORMATIONS, variantArgs, type VideoTransformation } from './transforms.js';

/** Frame thresholds measured (the policy picks one). */
export const FRAME_THRESHOLDS = [20, 24, 28, 31, 36, 40] as const;
export const STILL_FAMILY = 'still-image';
/**
 * Where stills are taken, past a whole second: 0.2 and 0.6 s lie midway between two samples
 * of the service's 2.5 a second (0.2 s from each, the worst case), 0.5 s midway between two
 * samples at 1 a second; so no density is measured on stills that sit on its own samples.
 */
export const STILL_OFFSETS: readonly number[] = [0.2, 0.5, 0.6];
/** Quality floor, as the service's default (PDQ below 50 is never registered or searched). */
export const QUALITY_FLOOR = 50;

export interface QueryRecord {
  /** "<video>/<transformation>" or "<video>/still@<t>". */
  name: string;
  video: string;
  transformation: string;
  family: string;
  /** Seconds of video in the query (0 for a still). */
  duration: number;
  /** Hashing time of the variant (decode + hash), seconds. */
  hashSeconds: number;
  /** Static bands found and cropped off for a second set of query frames. */
  staticCrop?: [number, number, number, number];
}

/** What matching one query against one registered video gives, at each frame threshold. */
/**
 * How the registered side is sampled: regular samples at 1, 2.5 or 5 a second (on the
 * 5 fps probe grid), plus cut frames, to measure what density buys (stills between
 * samples, motion); '+windows' also registers each kept frame's centred window
 * (VideoProfile.windowScale), for crops. The service registers SERVICE_DENSITY
 * (VIDEO_PROFILE.sampleEvery, windows on); the others are same-run baselines.
 */
export const REGISTRATION_DENSITIES = ['1fps', '2.5fps', '5fps', '2.5fps+windows'] as const;
export type RegistrationDensity = (typeof REGISTRATION_DENSITIES)[number];
export const SERVICE_DENSITY: RegistrationDensity = '2.5fps+windows';
const PROBES_PER_SAMPLE: Record<RegistrationDensity, number> = { '1fps': 5, '2.5fps': 2, '5fps': 1, '2.5fps+windows': 2 };

function atDensity(signature: VideoSignature, density: RegistrationDensity): VideoSignature {
  const every = PROBES_PER_SAMPLE[density];
  const windows = density.endsWith('+windows');
  const keep = (frame: VideoSignature['frames'][number]) => frame.origin === 'cut' || Math.round(frame.t * 5) % every === 0;
  const frames = signature.frames.filter(keep).map(({ window, ...frame }) => (windows && window ? { ...frame, window } : frame));
  return { ...signature, frames };
}

export interface PairRecord {
  query: number;
  reference: number;
  /** Registered side's sampling (SERVICE_DENSITY is the service's; results without it are '1fps'). */
  density: RegistrationDensity;
  genuine: boolean;
  /** Per threshold (FRAME_THRESHOLDS order), original orientation only: [matched seconds, query seconds, best distance]. */
  plain: [number, number, number][];
  /** Same with dihedral matching (the 7 other orientations of each query frame too). */
  dihedral: [number, number, number][];
  /** Summaries: Hamming distance of the 256-bit summary (min over orientations with dihedral) and level-1 cosine. */
  summaryDistance: number | null;
  summaryDistanceDihedral: number | null;
  summaryCosine: number | null;
}

export interface RegisteredRecord {
  name: string;
  source: CorpusVideo['source'];
  duration: number;
  /** Frames registered at the service's density (SERVICE_DENSITY and cut frames). */
  frames: number;
  usableFrames: number;
  /** Windows registered beside them (quality at or above the floor). */
  windows?: number;
  cutFrames: number;
  bytes: number;
  hashSeconds: number;
}

export interface VideoEvalResults {
  createdAt: string;
  /** Density of `registered[].frames` (absent in runs made before the service took 2.5 a second: '1fps'). */
  serviceDensity?: RegistrationDensity;
  thresholds: readonly number[];
  registered: RegisteredRecord[];
  queries: QueryRecord[];
  pairs: PairRecord[];
  /** Photos and distractor images as impostors of the videos (when asked). */
  impostorImages?: ImpostorImageRecords;
  errors: { name: string; message: string }[];
}

export interface VideoEvalOptions {
  videos: readonly CorpusVideo[];
  ffmpeg: string;
  transformations?: readonly string[];
  /** Stills posted as images per video. */
  stills?: number;
  /** Seconds past a whole second at which stills are taken, in turn (default STILL_OFFSETS). */
  stillOffsets?: readonly number[];
  limits?: VideoLimits;
  /** Images to use as impostors: posted as stills, and registered against every upload (impostor-images.ts). */
  impostorImages?: readonly ImpostorImage[];
  onProgress?: (done: number, total: number, label: string) => void;
}

interface Query {
  record: QueryRecord;
  signature: VideoSignature;
}

/** What registering these frames stores: each usable frame and each usable window, at its frame's time. */
function registeredHashes(frames: VideoSignature['frames']): { t: number; bytes: Uint8Array }[] {
  const out = usableFrames(frames, QUALITY_FLOOR).map((f) => ({ t: f.t, bytes: hexToBytes(f.value) }));
  for (const f of frames) if (f.window && f.window.quality >= QUALITY_FLOOR) out.push({ t: f.t, bytes: hexToBytes(f.window.value) });
  return out;
}

/** Hits of every usable query frame (and its variants) on one registered signature, at the largest threshold. */
function frameHits(query: VideoSignature, reference: VideoSignature, dihedral: boolean): { times: number[]; hits: FrameHit[] } {
  const maxThreshold = FRAME_THRESHOLDS[FRAME_THRESHOLDS.length - 1]!;
  const queries = usableFrames(query.frames, QUALITY_FLOOR);
  const refs = registeredHashes(reference.frames);
  const hits: FrameHit[] = [];
  queries.forEach((frame, index) => {
    for (const variant of frameVariants(frame, dihedral)) {
      for (const ref of refs) {
        const distance = hammingDistance(variant.bytes, ref.bytes);
        if (distance <= maxThreshold) hits.push({ query: index, reference: 'r', referenceT: ref.t, distance, transform: variant.transform });
      }
    }
  });
  return { times: queries.map((f) => f.t), hits };
}

function atThresholds(times: number[], hits: FrameHit[]): [number, number, number][] {
  return FRAME_THRESHOLDS.map((frameThreshold) => {
    const policy: VideoMatchPolicy = { ...DEFAULT_VIDEO_MATCH_POLICY, frameThreshold };
    const best = aggregateFrameHits(times, hits, policy)[0];
    const seconds = new Set(times.map((t) => Math.floor(t + 1e-6))).size;
    return best ? [best.matchedSeconds, seconds, best.bestDistance] : [0, seconds, -1];
  });
}

function summaryDistances(query: VideoSummary | null, reference: VideoSummary | null): Pick<PairRecord, 'summaryDistance' | 'summaryDistanceDihedral' | 'summaryCosine'> {
  if (!query || !reference) return { summaryDistance: null, summaryDistanceDihedral: null, summaryCosine: null };
  const ref = hexToBytes(reference.value);
  const plain = hammingDistance(hexToBytes(query.value), ref);
  let dihedral = plain;
  for (const name of DIHEDRAL_NAMES) {
    const hex = name === 'original' ? undefined : query.dihedral?.[name];
    if (hex) dihedral = Math.min(dihedral, hammingDistance(hexToBytes(hex), ref));
  }
  return { summaryDistance: plain, summaryDistanceDihedral: dihedral, summaryCosine: Math.round(summaryCosine(query, reference) * 10000) / 10000 };
}

/** Seconds of video in a file, from ffmpeg's decode (the registration's own count). */
async function stillAt(ffmpeg: string, path: string, t: number): Promise<Buffer> {
  return runFfmpeg({ binary: ffmpeg, args: ['-ss', t.toFixed(3), '-i', path, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1'] });
}

export async function runVideoEvaluation(options: VideoEvalOptions): Promise<VideoEvalResults> {
  const limits = options.limits ?? DEFAULT_VIDEO_LIMITS;
  const transformations: VideoTransformation[] = options.transformations
    ? options.transformations.map(getVideoTransformation)
    : [...VIDEO_TRANSFORMATIONS];
  const stills = options.stills ?? 3;
  const registered: RegisteredRecord[] = [];
  const references: VideoSignature[] = [];
  const queries: Query[] = [];
  const errors: VideoEvalResults['errors'] = [];
  const impostors = options.impostorImages ?? [];
  const total = options.videos.length * (1 + stills + transformations.length) + impostors.length;
  let done = 0;
  const step = (label: string) => options.onProgress?.(++done, total, label);

  for (const video of options.videos) {
    const bytes = readFileSync(video.path);
    let started = performance.now();
    // Every probe frame is kept, so that denser registrations can be measured too.
    const original = await hashVideoBytes(new Uint8Array(bytes), { dihedral: false, keep: 'every-probe', windows: true }, limits, options.ffmpeg);
    const signature = original.signature;
    const service = atDensity(signature, SERVICE_DENSITY);
    registered.push({
      name: video.name,
      source: video.source,
      duration: signature.duration,
      frames: service.frames.length,
      usableFrames: usableFrames(service.frames, QUALITY_FLOOR).length,
      windows: service.frames.filter((f) => f.window && f.window.quality >= QUALITY_FLOOR).length,
      cutFrames: service.frames.filter((f) => f.origin === 'cut').length,
      bytes: bytes.length,
      hashSeconds: (performance.now() - started) / 1000,
    });
    references.push(signature);
    step(`${video.name}: registered`);

    // Stills between the regular samples (STILL_OFFSETS), as someone would grab a frame to
    // post it as a photo; hashed as images, at their full size.
    const offsets = options.stillOffsets ?? STILL_OFFSETS;
    for (let k = 1; k <= stills; k++) {
      const t = Math.floor((signature.duration * k) / (stills + 1)) + offsets[(k - 1) % offsets.length]!;
      const name = `${video.name}/still@${t.toFixed(2)}`;
      try {
        started = performance.now();
        const jpeg = await stillAt(options.ffmpeg, video.path, t);
        const image = await hashImageBytes(new Uint8Array(jpeg), { algorithms: ['pdq'], dihedral: true }, DEFAULT_LIMITS);
        const pdq = image.hashes[0]!;
        const frame = { t: 0, value: pdq.value, quality: pdq.quality ?? 0, origin: 'interval' as const, dihedral: pdq.dihedral ?? {} };
        queries.push({
          record: { name, video: video.name, transformation: 'still', family: STILL_FAMILY, duration: 0, hashSeconds: (performance.now() - started) / 1000 },
          signature: { duration: 0, probeFrames: 1, frames: [frame], summary: null },
        });
      } catch (error) {
        errors.push({ name, message: (error as Error).message });
      }
      step(name);
    }

    for (const transformation of transformations) {
      const name = `${video.name}/${transformation.name}`;
      try {
        const variant = await runFfmpeg({ binary: options.ffmpeg, args: variantArgs(transformation, video.path, { duration: signature.duration }) });
        started = performance.now();
        const hashed = await hashVideoBytes(new Uint8Array(variant), { dihedral: true, keep: 'every-probe', bands: true }, limits, options.ffmpeg);
        // As the service does: frames without static bands are searched beside the frames as uploaded.
        const frames = [...hashed.signature.frames, ...(hashed.derived?.signature.frames ?? [])];
        queries.push({
          record: {
            name,
            video: video.name,
            transformation: transformation.name,
            family: transformation.family,
            duration: hashed.duration,
            hashSeconds: (performance.now() - started) / 1000,
            ...(hashed.derived ? { staticCrop: hashed.derived.crop } : {}),
          },
          signature: { ...hashed.signature, frames },
        });
      } catch (error) {
        errors.push({ name, message: (error as Error).message });
      }
      step(name);
    }
  }

  const pairs: PairRecord[] = [];
  for (const density of REGISTRATION_DENSITIES) {
    queries.forEach((query, q) => {
      references.forEach((full, r) => {
        const reference = atDensity(full, density);
        const plain = frameHits(query.signature, reference, false);
        const dihedral = frameHits(query.signature, reference, true);
        pairs.push({
          query: q,
          reference: r,
          density,
          genuine: query.record.video === registered[r]!.name,
          plain: atThresholds(plain.times, plain.hits),
          dihedral: atThresholds(dihedral.times, dihedral.hits),
          ...summaryDistances(query.signature.summary, reference.summary),
        });
      });
    });
  }

  let impostorImages: ImpostorImageRecords | undefined;
  if (impostors.length > 0) {
    const base = done;
    impostorImages = await measureImpostorImages({
      images: impostors,
      registered: references.map((signature, r) => ({ name: registered[r]!.name, signature: atDensity(signature, SERVICE_DENSITY) })),
      queries: queries
        .filter((q) => q.record.family !== STILL_FAMILY)
        .map((q) => ({ name: q.record.name, video: q.record.video, signature: q.signature })),
      qualityFloor: QUALITY_FLOOR,
      radius: DEFAULT_VIDEO_MATCH_POLICY.frameThreshold,
      onProgress: (n) => {
        done = base + n - 1;
        step('impostor images');
      },
    });
  }

  return {
    createdAt: new Date().toISOString(),
    serviceDensity: SERVICE_DENSITY,
    ...(impostorImages ? { impostorImages } : {}),
    thresholds: FRAME_THRESHOLDS,
    registered,
    queries: queries.map((q) => q.record),
    pairs,
    errors,
  };
}
