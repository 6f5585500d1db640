import { hexToBytes } from '../codec.js';
import { hammingDistance } from '../hamming.js';
import { DIHEDRAL_NAMES, type DihedralName } from '../types.js';
import type { VideoFrameHash, VideoSignature, VideoSummary } from './types.js';

/**
 * Deciding whether a query (a video's sampled frames, or one still image) shows a
 * registered video, from frame-level hits however they were found (the service's index,
 * or the brute-force comparison below for the evaluation).
 */
export interface VideoMatchPolicy {
  /** PDQ distance at or below which two frames match. */
  readonly frameThreshold: number;
  /**
   * Matched seconds of the query needed (fewer only when the query has fewer usable
   * seconds). A query second is matched when any of its frames matches; counting seconds
   * rather than frames makes a query sampled at 5 fps and one sampled at 1 fps comparable.
   */
  readonly minSeconds: number;
  /** Share of the query's usable seconds that must match. */
  readonly minShare: number;
  /**
   * Matched frames must agree on the time offset (registered time − query time) within
   * this many seconds: a re-upload keeps the order and pace of the original, so its
   * matching frames line up; chance matches between unrelated videos do not.
   */
  readonly offsetWindow: number;
}

export const DEFAULT_VIDEO_MATCH_POLICY: VideoMatchPolicy = Object.freeze({
  frameThreshold: 31,
  minSeconds: 2,
  // 20 % missed most 5 %-cropped copies (27 %; 80 % at 10 %) with no false match at either
  // share in `rempart eval-video` (docs/video.md): the aligned seconds carry the evidence.
  minShare: 0.1,
  offsetWindow: 1.5,
});

/** One query frame within the threshold of one registered frame. */
export interface FrameHit {
  /** Index of the query frame. */
  query: number;
  /** Which registered video (an item ref, or any key). */
  reference: string;
  /** Time of the registered frame, seconds. */
  referenceT: number;
  distance: number;
  /** Which transform of the query frame matched (dihedral matching). */
  transform?: DihedralName;
}

export interface MatchedFrame {
  queryT: number;
  referenceT: number;
  distance: number;
}

export interface VideoMatch {
  reference: string;
  /** Seconds of the query with a frame matched at one consistent offset. */
  matchedSeconds: number;
  /** Seconds of the query with a frame of usable quality (those that were searched). */
  querySeconds: number;
  /** matchedSeconds / querySeconds. */
  share: number;
  bestDistance: number;
  /** Median of registered time − query time over the matched frames, seconds. */
  offset: number;
  /** Transform of the query that matched, when not the original. */
  transform?: DihedralName;
  /** The matched frame pairs, best first. */
  frames: MatchedFrame[];
  /** Whether the policy's thresholds are met. */
  matched: boolean;
}

interface Candidate {
  /** The query second the frame falls in. */
  slot: number;
  offset: number;
  hit: FrameHit;
}

/** The second a frame time falls in. */
export function secondOf(t: number): number {
  return Math.floor(t + 1e-6);
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The best time-consistent set of hits of one registered video under one transform: the
 * window of `offsetWindow` seconds of offsets holding the most distinct query seconds
 * (ties: smaller distance sum), then each of those seconds' best hit in the window.
 */
function bestAlignment(candidates: Candidate[], window: number): Map<number, Candidate> {
  candidates.sort((a, b) => a.offset - b.offset);
  let best = new Map<number, Candidate>();
  let bestSum = Infinity;
  for (let start = 0; start < candidates.length; start++) {
    if (start > 0 && candidates[start]!.offset === candidates[start - 1]!.offset) continue;
    const inWindow = new Map<number, Candidate>();
    const limit = candidates[start]!.offset + window;
    for (let i = start; i < candidates.length && candidates[i]!.offset <= limit; i++) {
      const c = candidates[i]!;
      const held = inWindow.get(c.slot);
      if (!held || c.hit.distance < held.hit.distance) inWindow.set(c.slot, c);
    }
    let sum = 0;
    for (const c of inWindow.values()) sum += c.hit.distance;
    if (inWindow.size > best.size || (inWindow.size === best.size && sum < bestSum)) {
      best = inWindow;
      bestSum = sum;
    }
  }
  return best;
}

/**
 * Groups frame hits by registered video and scores each: the share of the query's usable
 * seconds that match at one consistent time offset, the best distance, the offset.
 * `queryTimes` are the times of the query's usable frames (hits refer to them by index).
 * Returns every registered video with a hit, best first; `matched` says whether the
 * policy is met.
 */
export function aggregateFrameHits(
  queryTimes: readonly number[],
  hits: readonly FrameHit[],
  policy: VideoMatchPolicy = DEFAULT_VIDEO_MATCH_POLICY,
): VideoMatch[] {
  const usable = new Set(queryTimes.map(secondOf)).size;
  const groups = new Map<string, Candidate[]>();
  for (const hit of hits) {
    if (hit.distance > policy.frameThreshold) continue;
    const key = `${hit.transform ?? 'original'}\u0000${hit.reference}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    const queryT = queryTimes[hit.query]!;
    group.push({ slot: secondOf(queryT), offset: hit.referenceT - queryT, hit });
  }

  const byReference = new Map<string, VideoMatch>();
  for (const candidates of groups.values()) {
    const chosen = [...bestAlignment(candidates, policy.offsetWindow).values()];
    if (chosen.length === 0) continue;
    const first = chosen[0]!.hit;
    const frames = chosen
      .map((c) => ({ queryT: queryTimes[c.hit.query]!, referenceT: c.hit.referenceT, distance: c.hit.distance }))
      .sort((a, b) => a.distance - b.distance || a.queryT - b.queryT);
    const offsets = chosen.map((c) => c.offset).sort((a, b) => a - b);
    const matchedSeconds = chosen.length;
    const share = usable === 0 ? 0 : matchedSeconds / usable;
    const result: VideoMatch = {
      reference: first.reference,
      matchedSeconds,
      querySeconds: usable,
      share,
      bestDistance: frames[0]!.distance,
      offset: Math.round(median(offsets) * 1000) / 1000,
      frames,
      matched: matchedSeconds >= Math.min(policy.minSeconds, usable) && share >= policy.minShare,
    };
    if (first.transform !== undefined && first.transform !== 'original') result.transform = first.transform;
    const held = byReference.get(first.reference);
    if (!held || rank(result, held) < 0) byReference.set(first.reference, result);
  }
  return [...byReference.values()].sort(rank);
}

/** Matched first, then more matched seconds, then smaller best distance. */
function rank(a: VideoMatch, b: VideoMatch): number {
  return Number(b.matched) - Number(a.matched) || b.matchedSeconds - a.matchedSeconds || a.bestDistance - b.bestDistance;
}

/** Query frames worth searching: quality at or above the floor. */
export function usableFrames(frames: readonly VideoFrameHash[], qualityFloor: number): VideoFrameHash[] {
  return frames.filter((frame) => frame.quality >= qualityFloor);
}

/** The hashes to search for one query frame: itself, and its 7 dihedral variants when asked. */
export function frameVariants(frame: VideoFrameHash, dihedral: boolean): { transform: DihedralName; bytes: Uint8Array }[] {
  const variants = [{ transform: 'original' as DihedralName, bytes: hexToBytes(frame.value) }];
  if (dihedral && frame.dihedral) {
    for (const name of DIHEDRAL_NAMES) {
      const hex = name === 'original' ? undefined : frame.dihedral[name];
      if (hex) variants.push({ transform: name, bytes: hexToBytes(hex) });
    }
  }
  return variants;
}

/**
 * Compares a query signature with one registered signature by brute force (every frame
 * pair): the evaluation's way, and a reference for the index-backed service.
 */
export function compareSignatures(
  query: VideoSignature,
  reference: VideoSignature,
  options: { qualityFloor: number; dihedral?: boolean; policy?: VideoMatchPolicy; key?: string },
): VideoMatch | undefined {
  const policy = options.policy ?? DEFAULT_VIDEO_MATCH_POLICY;
  const key = options.key ?? 'reference';
  const queries = usableFrames(query.frames, options.qualityFloor);
  const references = usableFrames(reference.frames, options.qualityFloor).map((f) => ({ t: f.t, bytes: hexToBytes(f.value) }));
  const hits: FrameHit[] = [];
  queries.forEach((frame, index) => {
    for (const variant of frameVariants(frame, options.dihedral === true)) {
      for (const ref of references) {
        const distance = hammingDistance(variant.bytes, ref.bytes);
        if (distance <= policy.frameThreshold) {
          hits.push({ query: index, reference: key, referenceT: ref.t, distance, transform: variant.transform });
        }
      }
    }
  });
  return aggregateFrameHits(
    queries.map((f) => f.t),
    hits,
    policy,
  )[0];
}

/** TMK's level-1 score: cosine similarity of two summaries' average features (−1..1). */
export function summaryCosine(a: VideoSummary, b: VideoSummary): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.vector.length; i++) {
    dot += a.vector[i]! * b.vector[i]!;
    na += a.vector[i]! * a.vector[i]!;
    nb += b.vector[i]! * b.vector[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Hamming distance between two summaries' 256-bit hashes (the first-stage comparison). */
export function summaryDistance(a: VideoSummary, b: VideoSummary): number {
  return hammingDistance(hexToBytes(a.value), hexToBytes(b.value));
}
