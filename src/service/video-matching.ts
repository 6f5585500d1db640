/**
 * The platform's side for videos: an uploaded video (or its signature) is matched by its
 * MD5 (byte-identical copies) and by its frames, each searched in the PDQ index like an
 * image; frame hits are grouped per registered item and kept when they line up in time
 * (src/hashing/video/match.ts). Registered images are found too when the video shows them.
 */
import { DIHEDRAL_NAMES, type DihedralName } from '../hashing/types.js';
import { hexToBytes } from '../hashing/codec.js';
import { md5ToStored, VIDEO_MD5 } from '../hashing/video/digest.js';
import { aggregateFrameHits, DEFAULT_VIDEO_MATCH_POLICY, secondOf, type FrameHit, type VideoMatchPolicy } from '../hashing/video/match.js';
import { RempartError } from '../errors.js';
import { PDQ_REGIONS, thresholdFor, type Role } from '../hashing/profile/profile.js';
import type { Matcher } from '../index/matcher.js';
import { MATCH_SLICE_MS } from './matching.js';
import type { VideoHashes, VideoHashRequest } from '../pipeline/video/hash-video.js';
import type { HashFacts, HashStore, PlatformRecord } from '../store/types.js';
import type { EngineEvents } from './events.js';
import type { PlatformSettingsService } from './platform-settings.js';
import { isVideoFrameRole } from './video-items.js';

export interface QueryFrame {
  t: number;
  value: string;
  /** PDQ quality; frames under the floor are not searched (absent: searched). */
  quality?: number;
  dihedral?: Partial<Record<Exclude<DihedralName, 'original'>, string>>;
}

/** A video to match, as computed by POST /v1/hash or by the platform itself. */
export interface VideoQuery {
  md5?: string;
  frames: QueryFrame[];
}

export interface MatchedFrameOut {
  queryT: number;
  /** Time of the registered frame (absent for a registered image). */
  referenceT?: number;
  distance: number;
}

/** One answer per registered item that matched (never one row per hash, never a case). */
export interface VideoItemMatch {
  /** Opaque item id ("i_…"). */
  item: string;
  /** Follower mode: the bank the item is registered at (its URL). */
  source?: string;
  kind: 'video' | 'image';
  /** The upload is byte for byte the registered file (equal MD5). */
  exact: boolean;
  /** Seconds of the upload with a frame matching this item (at one time offset for a video). */
  matchedSeconds: number;
  /** Seconds of the upload with a frame of usable quality. */
  querySeconds: number;
  share: number;
  /** Smallest PDQ distance among the matched frames (0 for an exact copy without frames). */
  bestDistance: number;
  /** Registered time − upload time, seconds (videos). */
  offset?: number;
  transform?: DihedralName;
  /** The best matched frame pairs (at most 10). */
  frames: MatchedFrameOut[];
}

/** What one video query may cost (the image path's MatchLimits: per-hash cap and the work budget). */
export interface VideoMatchLimits {
  /** Registered hashes kept per query frame, closest first; past it the answer says `truncated`. */
  maxMatchesPerFrame: number;
  /** Matching time one request may take (in slices that let other requests run) before 503 OVERLOADED. */
  budgetMs: number;
  /** Longest stretch of matching before other requests get the event loop (default MATCH_SLICE_MS). */
  sliceMs?: number;
}

/** The items matched by a video query, and whether any frame's hits were cut at the cap. */
export interface VideoMatchResult {
  matches: VideoItemMatch[];
  /**
   * Some frame met more registered hashes than the per-frame cap: only the closest were
   * weighed (a clustered index, or many registrations of one picture).
   */
  truncated: boolean;
}

export interface VideoMatchOptions {
  /** Also match mirrored and rotated copies (each frame's 8 dihedral hashes). */
  dihedral?: boolean;
}

const MAX_FRAMES_OUT = 10;
/** Frames one query may carry: 5 a second for the longest accepted video. */
export const MAX_QUERY_FRAMES = 3000;
/** Frames of an uploaded video: its own and, with static bands, the cropped ones. */
const MAX_UPLOAD_FRAMES = 2 * MAX_QUERY_FRAMES;

export class VideoMatchService {
  constructor(
    private readonly store: Pick<HashStore, 'hashFacts'>,
    private readonly matcher: Matcher,
    private readonly events: EngineEvents,
    private readonly hasher: { hashVideo(bytes: Uint8Array, request: VideoHashRequest): Promise<VideoHashes> },
    private readonly settings: { frameThreshold: () => number; qualityFloor: number; policy?: Partial<VideoMatchPolicy>; limits: VideoMatchLimits },
    /** A platform's own (stricter) thresholds; absent: the bank's for everyone. */
    private readonly platformThresholds?: Pick<PlatformSettingsService, 'effectiveThresholds'>,
  ) {}

  /**
   * The bank's policy, with the frame threshold lowered to the platform's PDQ threshold when
   * it chose a stricter one (never raised: an operator's looser maximum is for images only).
   */
  private async policy(platform: PlatformRecord): Promise<VideoMatchPolicy> {
    const bank = this.settings.frameThreshold();
    const own = (await this.platformThresholds?.effectiveThresholds(platform))?.pdq;
    const frameThreshold = own === undefined ? bank : Math.min(bank, own);
    return { ...DEFAULT_VIDEO_MATCH_POLICY, ...this.settings.policy, frameThreshold };
  }

  /** Hashes an uploaded video in memory (every probe frame, 5 a second) and matches it. */
  async matchVideoBytes(platform: PlatformRecord, bytes: Uint8Array, options: VideoMatchOptions = {}) {
    const video = await this.hasher.hashVideo(bytes, { dihedral: options.dihedral === true, keep: 'every-probe', bands: true });
    // Frames without the static bands (a caption bar, letterboxing) are searched beside the
    // frames as uploaded: same times, so a second is matched when either matches.
    const frames = [...video.signature.frames, ...(video.derived?.signature.frames ?? [])];
    const { matches, truncated } = await this.match(platform, { md5: video.md5, frames }, options, MAX_UPLOAD_FRAMES);
    const { signature, derived, ...info } = video;
    return { video: { ...info, frames: signature.frames.length, ...(derived ? { staticCrop: derived.crop } : {}) }, matches, truncated };
  }

  /**
   * Matches a signature computed elsewhere (frames with times; the MD5 optional). Bounded as
   * image matching is (issue 10): each frame keeps its closest `maxMatchesPerFrame` hits
   * (the answer says `truncated` when more were in reach), and the search yields every
   * slice and is refused with 503 OVERLOADED past the budget, never half-answered.
   */
  async match(platform: PlatformRecord, query: VideoQuery, options: VideoMatchOptions = {}, maxFrames = MAX_QUERY_FRAMES): Promise<VideoMatchResult> {
    const frames = query.frames ?? [];
    if (frames.length > maxFrames) throw new RempartError('BAD_REQUEST', `at most ${maxFrames} frames per video, got ${frames.length}`);
    if (frames.length === 0 && query.md5 === undefined) throw new RempartError('BAD_REQUEST', 'a video query needs frames or an md5');
    const policy = await this.policy(platform);
    const usable = frames.filter((f) => f.quality === undefined || f.quality >= this.settings.qualityFloor);
    // Parsed (and refused) before any search: a bad frame late in the list costs nothing.
    const prepared = usable.map((frame, q) => frameVariants(frame, q, options.dihedral === true));
    const { maxMatchesPerFrame: cap, budgetMs } = this.settings.limits;
    const sliceMs = this.settings.limits.sliceMs ?? MATCH_SLICE_MS;
    const found: { query: number; id: number; distance: number; transform: DihedralName }[] = [];
    let truncated = false;
    const started = performance.now();
    let sliceStart = started;
    for (let q = 0; q < prepared.length; q++) {
      if (performance.now() - sliceStart >= sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
        if (sliceStart - started > budgetMs) {
          throw new RempartError(
            'OVERLOADED',
            `matching this video took longer than the budget of ${budgetMs / 1000} s (${q} of ${prepared.length} frames done); retry later`,
            { retryAfterSeconds: Math.ceil(budgetMs / 1000) },
          );
        }
      }
      const { variants, transforms } = prepared[q]!;
      // One more than the cap, closest first: the extra one only says that the list was cut.
      const hits = this.matcher.searchVariants('pdq', variants, policy.frameThreshold, cap + 1);
      if (hits.length > cap) {
        hits.length = cap;
        truncated = true;
      }
      for (const m of hits) found.push({ query: q, id: m.id, distance: m.distance, transform: transforms[m.variant]! });
    }
    const exactIds = query.md5 === undefined ? [] : this.matcher.search(VIDEO_MD5, parseMd5(query.md5), 0, cap).map((m) => m.id);
    const ids = [...new Set([...found.map((f) => f.id), ...exactIds])];
    if (ids.length === 0) return { matches: [], truncated };
    const facts = await this.store.hashFacts(ids);

    const times = usable.map((f) => f.t);
    const frameHits: FrameHit[] = [];
    const imageHits = new Map<string, { seconds: Set<number>; hits: { query: number; distance: number; id: number; transform: DihedralName }[] }>();
    const bestIdOf = new Map<string, { id: number; distance: number }>();
    // Items are keyed by their bank too: a follower of several banks may hold two with one ref.
    const itemOf = new Map<string, { item: string; source?: string }>();
    const keyOf = (fact: HashFacts) => {
      const key = fact.source === undefined ? fact.itemRef : `${fact.source} ${fact.itemRef}`;
      if (!itemOf.has(key)) itemOf.set(key, { item: fact.itemRef, ...(fact.source === undefined ? {} : { source: fact.source }) });
      return key;
    };
    for (const hit of found) {
      const fact = facts.get(hit.id);
      if (!fact) continue; // withdrawn meanwhile
      if (!passesProfile(fact.role, hit.distance, usable[hit.query]!.quality, policy.frameThreshold)) continue;
      const key = keyOf(fact);
      const held = bestIdOf.get(key);
      if (!held || hit.distance < held.distance) bestIdOf.set(key, { id: hit.id, distance: hit.distance });
      if (isVideoFrameRole(fact.role, fact.detail)) {
        frameHits.push({ query: hit.query, reference: key, referenceT: frameTime(fact), distance: hit.distance, transform: hit.transform });
      } else {
        const entry = imageHits.get(key) ?? { seconds: new Set(), hits: [] };
        entry.seconds.add(secondOf(times[hit.query]!));
        entry.hits.push(hit);
        imageHits.set(key, entry);
      }
    }

    const out = new Map<string, VideoItemMatch>();
    const querySeconds = new Set(times.map(secondOf)).size;
    for (const m of aggregateFrameHits(times, frameHits, policy)) {
      if (!m.matched) continue;
      out.set(m.reference, {
        ...itemOf.get(m.reference)!,
        kind: 'video',
        exact: false,
        matchedSeconds: m.matchedSeconds,
        querySeconds: m.querySeconds,
        share: round(m.share),
        bestDistance: m.bestDistance,
        offset: m.offset,
        ...(m.transform ? { transform: m.transform } : {}),
        frames: m.frames.slice(0, MAX_FRAMES_OUT),
      });
    }
    // A registered image shown in the upload: enough seconds, no time alignment to check.
    for (const [key, entry] of imageHits) {
      if (entry.seconds.size < Math.min(policy.minSeconds, querySeconds)) continue;
      const hits = [...entry.hits].sort((a, b) => a.distance - b.distance);
      const best = hits[0]!;
      out.set(key, {
        ...itemOf.get(key)!,
        kind: 'image',
        exact: false,
        matchedSeconds: entry.seconds.size,
        querySeconds,
        share: round(querySeconds === 0 ? 0 : entry.seconds.size / querySeconds),
        bestDistance: best.distance,
        ...(best.transform !== 'original' ? { transform: best.transform } : {}),
        frames: hits.slice(0, MAX_FRAMES_OUT).map((h) => ({ queryT: times[h.query]!, distance: h.distance })),
      });
    }
    for (const id of exactIds) {
      const fact = facts.get(id);
      if (!fact) continue;
      const key = keyOf(fact);
      const held = out.get(key);
      if (held) held.exact = true;
      else out.set(key, { ...itemOf.get(key)!, kind: 'video', exact: true, matchedSeconds: 0, querySeconds, share: 0, bestDistance: 0, frames: [] });
      bestIdOf.set(key, { id, distance: 0 });
    }

    const matches = [...out.values()].sort(
      (a, b) => Number(b.exact) - Number(a.exact) || b.matchedSeconds - a.matchedSeconds || a.bestDistance - b.bestDistance,
    );
    if (matches.length > 0) {
      // One count per matched item, not per frame: a 60-frame match is one re-upload caught.
      const hashIds = [...out.keys()].map((key) => bestIdOf.get(key)!.id);
      this.events.emit('matches', { platform: platform.name, hashIds, byAlgorithm: { pdq: hashIds.length }, truncatedQueries: truncated ? 1 : 0 });
    }
    return { matches, truncated };
  }
}

const DERIVED_ROLES: readonly string[] = ['trimmed', 'window', 'region', 'tilt'] satisfies Role[];

/**
 * A frame meeting a registered image's derived hash (its trimmed content, a window, a
 * region: the matching profile's registered set) is held to the profile's rules, as an
 * image upload is (src/service/matching.ts): the threshold of that kind of pair, and a
 * frame of known quality at or above the profile's floor. Frames meeting whole pictures
 * (an image's full hash, another video's frames) keep the frame threshold.
 */
function passesProfile(registeredRole: string, distance: number, quality: number | undefined, ceiling: number): boolean {
  if (!DERIVED_ROLES.includes(registeredRole)) return true;
  if (quality === undefined || quality < PDQ_REGIONS.minQuality) return false;
  return distance <= Math.min(thresholdFor(PDQ_REGIONS, 'full', registeredRole as Role), ceiling);
}

/** Lets queued I/O (other requests, health probes) run before the next slice. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function frameTime(fact: HashFacts): number {
  const t = fact.detail?.t;
  return typeof t === 'number' ? t : 0;
}

function parseMd5(hex: string): Uint8Array {
  try {
    return md5ToStored(hex);
  } catch (error) {
    throw new RempartError('HASH_FORMAT', `md5: ${(error as Error).message}`);
  }
}

function frameVariants(frame: QueryFrame, index: number, dihedral: boolean): { variants: Uint8Array[]; transforms: DihedralName[] } {
  const at = `frames[${index}]`;
  const parse = (hex: string, what: string) => {
    try {
      return hexToBytes(hex);
    } catch (error) {
      throw new RempartError('HASH_FORMAT', `${at}${what}: ${(error as Error).message}`);
    }
  };
  if (!Number.isFinite(frame.t) || frame.t < 0) throw new RempartError('BAD_REQUEST', `${at}.t must be a time in seconds, got ${frame.t}`);
  const variants = [parse(frame.value, '.value')];
  const transforms: DihedralName[] = ['original'];
  if (dihedral) {
    for (const name of DIHEDRAL_NAMES) {
      if (name === 'original') continue;
      const hex = frame.dihedral?.[name];
      if (hex === undefined) {
        throw new RempartError('BAD_REQUEST', `dihedral matching needs the 7 other dihedral hashes of each frame; ${at}.dihedral.${name} is missing`);
      }
      variants.push(parse(hex, `.dihedral.${name}`));
      transforms.push(name);
    }
  }
  return { variants, transforms };
}
