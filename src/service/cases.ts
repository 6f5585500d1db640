import { parseHash, type ParsedHash, type WireHash, bytesToHex } from '../hashing/index.js';
import { RempartError } from '../errors.js';
import type { Matcher } from '../index/matcher.js';
import type { Actor, CaseRecord, CaseStore, NewHash, NewItem } from '../store/types.js';
import { FRAME_ROLE, videoToItem, WINDOW_ROLE, type VideoItemInput } from './video-items.js';
import type { CaseStatus, RegisteredCase, WithdrawnCase } from './case-shapes.js';
import { type Credentials, newCaseNumber, newCaseSecret, normaliseCaseNumber } from './credentials.js';
import type { EngineEvents } from './events.js';
import { collapseNearDuplicateItems, implausibility } from './registration-rules.js';

/** Items after near-duplicates were dropped, and how many hashes that removed. */
interface CollapsedItems {
  items: NewItem[];
  collapsed: number;
}
import type { ScreenedSubmission } from './screening.js';

export type { CaseStatus, RegisteredCase, WithdrawnCase } from './case-shapes.js';

/**
 * Data derived from cases' hashes, kept beside the store's own tables (the exchange
 * projection, platforms' feedback). A withdrawal waits for each to erase what it may (the
 * exchange keeps a withdrawn value on purpose for a while: its tombstones).
 */
export interface DerivedCopy {
  eraseWithdrawn(): Promise<void>;
}

export interface CaseExtras {
  /** Erased (as far as each may) before a withdrawal answers. */
  derivedCopies?: readonly DerivedCopy[];
  /** How many platforms reported blocking copies of the case's images (feedback), for the victim. */
  platformsBlocking?: (caseId: number) => Promise<number>;
  /** Abuse controls: what of a victim's submission goes live, and what waits for review. */
  screening?: {
    screen(items: readonly NewItem[], address: string | undefined): Promise<ScreenedSubmission>;
    hold(caseId: number, held: ScreenedSubmission['held'], actor: Actor): Promise<void>;
    heldCounts(caseId: number): Promise<{ held: number; rejected: number }>;
  };
}

/** Where a victim's submission came from (the burst check; never stored). */
export interface SubmissionOrigin {
  address?: string;
}

export interface CasePolicy {
  /** PDQ (and any algorithm with a quality score) below this is refused. */
  qualityFloor: number;
  /** Hashes per registration request. */
  maxHashes: number;
  /** Videos per registration request. */
  maxVideos?: number;
  /** Frames one registered video may hold. */
  maxVideoFrames?: number;
  /** Longest video, seconds. */
  maxVideoSeconds?: number;
  /** Image hashes a victim's case may hold once near-duplicates are collapsed (videos have their own limits). */
  maxHashesPerCase: number;
  /** Whole-picture hashes of one algorithm this close (inclusive) within a case are one picture: one item is kept. */
  nearDuplicateRadius: (algorithm: string) => number;
}

/**
 * How long a withdrawal waits for its values to leave the store's files before answering;
 * past it, erasure goes on in the background and the store reports it as stalled.
 */
export const ERASURE_WAIT_MS = 2_000;
/** Same message for an unknown case and a wrong secret: case numbers must not be enumerable. */
const CASE_AUTH_MESSAGE = 'case number or case secret is wrong';

/**
 * The victim's side: register a case, read it, withdraw it. Validates hashes, keeps the
 * index in step with the store after each committed write.
 */
export class CaseService {
  /** A real scrypt hash to verify against when the case does not exist (equal timing). */
  private decoyHash: Promise<string>;

  constructor(
    private readonly store: CaseStore,
    private readonly matcher: Matcher,
    private readonly credentials: Credentials,
    private readonly policy: CasePolicy,
    /** Announces registrations and withdrawals (metrics, and later audit and webhooks observe them). */
    private readonly events: EngineEvents,
    /** Buffered match counters, flushed before a case is read so its count is current. */
    private readonly matchRecorder?: { flush(): Promise<void> },
    private readonly extras: CaseExtras = {},
  ) {
    this.decoyHash = credentials.hashCaseSecret(newCaseSecret());
  }

  /** Validates a list of wire hashes; messages name the offending item. */
  validateHashes(hashes: readonly WireHash[], maxHashes = this.policy.maxHashes): NewHash[] {
    if (hashes.length === 0) throw new RempartError('BAD_REQUEST', 'a case needs at least one hash');
    if (hashes.length > maxHashes) {
      throw new RempartError('BAD_REQUEST', `a case takes at most ${this.policy.maxHashes} hashes per request, got ${hashes.length}`);
    }
    const seen = new Set<string>();
    const out: NewHash[] = [];
    hashes.forEach((input, i) => {
      let parsed: ParsedHash;
      try {
        parsed = parseHash(input);
      } catch (error) {
        throw withItem(error, i);
      }
      const { algorithm } = parsed;
      if (algorithm.hasQuality) {
        if (parsed.quality === undefined) {
          throw new RempartError('BAD_REQUEST', `hashes[${i}]: ${algorithm.name} hashes must carry their quality (0..100)`);
        }
        if (parsed.quality < this.policy.qualityFloor) {
          throw new RempartError(
            'LOW_QUALITY',
            `hashes[${i}]: ${algorithm.name} quality ${parsed.quality} is below the floor of ${this.policy.qualityFloor}: ` +
              'the image is too flat or too small to be matched reliably (it would match unrelated images)',
          );
        }
      }
      const implausible = implausibility(algorithm.name, parsed.bytes);
      if (implausible) throw new RempartError('IMPLAUSIBLE_HASH', `hashes[${i}]: ${implausible}`);
      const key = `${algorithm.name}:${bytesToHex(parsed.bytes)}`;
      if (seen.has(key)) return; // the same image twice in one request: keep one
      seen.add(key);
      out.push({ algorithm: algorithm.name, bytes: parsed.bytes, quality: parsed.quality ?? null });
    });
    return out;
  }

  /**
   * A victim's registration (at most the batch limit of hashes per request): one item per
   * image hash, and one per video (its frames and MD5). One case may hold both.
   */
  register(hashes: readonly WireHash[], videos: readonly VideoItemInput[] = [], origin: SubmissionOrigin = {}): Promise<RegisteredCase> {
    if (hashes.length === 0 && videos.length === 0) throw new RempartError('BAD_REQUEST', 'a case needs hashes (of images) or videos: both are empty or missing');
    const images = hashes.length > 0 ? this.validateHashes(hashes).map((hash) => ({ kind: 'image' as const, hashes: [hash] })) : [];
    return this.create(this.withinCaseLimits([...images, ...this.validateVideos(videos)]), (number) => ({ kind: 'victim', id: number }), 'victim', origin);
  }

  /** Checks videos as sent by the victim's device; each becomes one item (frames 'frame', their windows 'window', MD5 'file'). */
  validateVideos(videos: readonly VideoItemInput[], maxVideos = this.policy.maxVideos ?? 20): NewItem[] {
    if (videos.length > maxVideos) throw new RempartError('BAD_REQUEST', `a case takes at most ${maxVideos} videos per request, got ${videos.length}`);
    return videos.map((video, i) => {
      const item = videoToItem(video, `videos[${i}]`, {
        qualityFloor: this.policy.qualityFloor,
        maxFrames: this.policy.maxVideoFrames ?? 3600,
        maxSeconds: this.policy.maxVideoSeconds ?? 600,
      });
      // Frames are PDQ hashes like any other: values no picture produces are refused here too.
      for (const hash of item.hashes) {
        const implausible = hash.role === FRAME_ROLE || hash.role === WINDOW_ROLE ? implausibility(hash.algorithm, hash.bytes) : undefined;
        const what = hash.role === WINDOW_ROLE ? 'window of the frame' : 'frame';
        if (implausible) throw new RempartError('IMPLAUSIBLE_HASH', `videos[${i}]: ${what} at ${String((hash.detail as { t?: number } | undefined)?.t)} s: ${implausible}`);
      }
      return item;
    });
  }

  /**
   * One item per picture: an item whose whole-picture hashes are within their algorithm's
   * near-duplicate radius of an item kept earlier in the case is dropped with all its hashes
   * (an item's own derived hashes never collapse into each other, nor do a video's frames);
   * then the case's image hashes must fit the per-case cap (a video is bounded by its own
   * limits: length and frames).
   */
  private withinCaseLimits(items: NewItem[], cap = this.policy.maxHashesPerCase): CollapsedItems {
    const { kept, collapsed } = collapseNearDuplicateItems(items, this.policy.nearDuplicateRadius);
    const hashCount = kept.reduce((n, item) => n + (item.kind === 'video' ? 0 : item.hashes.length), 0);
    if (hashCount > cap) {
      throw new RempartError(
        'CASE_TOO_LARGE',
        `a case holds at most ${cap} distinct image hashes, got ${hashCount}: split the images over several cases`,
      );
    }
    return { items: kept, collapsed };
  }

  /**
   * A victim's registration as items: each image with the set of hashes derived from it
   * (a matching profile's registered set: role and box per hash). Platforms are then told
   * once per item, whichever of its hashes matched.
   */
  registerItems(items: readonly WireItem[], videos: readonly VideoItemInput[] = [], origin: SubmissionOrigin = {}): Promise<RegisteredCase> {
    if (items.length === 0 && videos.length === 0) throw new RempartError('BAD_REQUEST', 'a case needs at least one item');
    const images = this.validateItems(items, this.policy.maxHashes);
    return this.create(this.withinCaseLimits([...images, ...this.validateVideos(videos)]), (number) => ({ kind: 'victim', id: number }), 'victim', origin);
  }

  /** An operator's bulk import of whole-picture hashes and videos: one item per hash, any number (no per-case cap), same checks. */
  importCase(hashes: readonly WireHash[], operator: Actor, videos: readonly VideoItemInput[] = []): Promise<RegisteredCase> {
    if (hashes.length === 0 && videos.length === 0) throw new RempartError('BAD_REQUEST', 'a case needs hashes (of images) or videos: both are empty or missing');
    const images = hashes.length > 0 ? this.validateHashes(hashes, Number.MAX_SAFE_INTEGER).map((hash) => ({ kind: 'image' as const, hashes: [hash] })) : [];
    return this.create(this.withinCaseLimits([...images, ...this.validateVideos(videos, Number.MAX_SAFE_INTEGER)], Number.MAX_SAFE_INTEGER), () => operator, 'operator');
  }

  /**
   * An operator's bulk import (`rempart import`): any number of items and videos, same
   * checks. An export read back keeps its items, roles and boxes.
   */
  importItems(items: readonly WireItem[], operator: Actor, videos: readonly VideoItemInput[] = []): Promise<RegisteredCase> {
    if (items.length === 0 && videos.length === 0) throw new RempartError('BAD_REQUEST', 'a case needs hashes (of images) or videos: both are empty or missing');
    const images = this.validateItems(items, Number.MAX_SAFE_INTEGER);
    return this.create(this.withinCaseLimits([...images, ...this.validateVideos(videos, Number.MAX_SAFE_INTEGER)], Number.MAX_SAFE_INTEGER), () => operator, 'operator');
  }

  /** Validates items (each hash with its role and box); messages name the item and the hash. */
  private validateItems(items: readonly WireItem[], maxHashes: number): NewItem[] {
    const total = items.reduce((n, item) => n + (Array.isArray(item.hashes) ? item.hashes.length : 0), 0);
    if (total > maxHashes) {
      throw new RempartError('BAD_REQUEST', `a case takes at most ${maxHashes} hashes per request, got ${total} in ${items.length} items`);
    }
    return items.map((item, i) => {
      try {
        const hashes = this.validateHashes(item.hashes, maxHashes);
        // Role and box travel beside each hash: kept when the hash survives de-duplication.
        return {
          kind: item.kind ?? 'image',
          hashes: hashes.map((hash) => {
            const wire = item.hashes.find((h) => h.algorithm === hash.algorithm && h.value === bytesToHex(hash.bytes))!;
            return { ...hash, role: checkRole(wire.role), ...(wire.box ? { detail: detailOf(wire.box, wire.angle) } : {}) };
          }),
        };
      } catch (error) {
        if (error instanceof RempartError) throw new RempartError(error.code, `items[${i}].${error.message}`);
        throw error;
      }
    });
  }

  private async create(
    { items, collapsed }: CollapsedItems,
    actorFor: (caseNumber: string) => Actor,
    by: 'victim' | 'operator',
    origin: SubmissionOrigin = {},
  ): Promise<RegisteredCase> {
    const caseSecret = newCaseSecret();
    const secretHash = await this.credentials.hashCaseSecret(caseSecret);
    // Operators' imports are trusted; a victim's submission is screened (allow-list, bursts).
    const screening = by === 'victim' ? this.extras.screening : undefined;
    const screened: Pick<ScreenedSubmission, 'live' | 'held' | 'submission'> = screening ? await screening.screen(items, origin.address) : { live: items, held: [] };
    for (let attempt = 0; ; attempt++) {
      const number = newCaseNumber();
      const actor = actorFor(number);
      try {
        // The submission (burst counting) is remembered in the same commit as the case.
        const created = await this.store.createCase({ number, secretHash, items: screened.live, ...(screened.submission ? { submission: screened.submission } : {}) }, actor);
        const hashes = created.items.flatMap((item) => item.hashes);
        // The index follower may have applied the change log's adds already: add only what is missing.
        for (const h of hashes) if (!this.matcher.has(h.algorithm, h.id)) this.matcher.add(h.algorithm, h.id, h.bytes);
        if (screening && screened.held.length > 0) await screening.hold(created.case.id, screened.held, actor);
        const heldHashes = screened.held.reduce((n, g) => n + g.items.reduce((m, item) => m + item.hashes.length, 0), 0);
        this.events.emit('case.registered', { caseId: created.case.id, hashCount: hashes.length, collapsedHashes: collapsed, by });
        return { caseNumber: number, caseSecret, hashCount: hashes.length, heldHashes, createdAt: created.case.createdAt };
      } catch (error) {
        // 40 random bits: a collision is rare, and retrying with a new number is safe.
        if (error instanceof RempartError && error.code === 'CONFLICT' && attempt < 5) continue;
        throw error;
      }
    }
  }

  async status(caseNumber: string, secret: string): Promise<CaseStatus> {
    return this.toStatus(await this.authenticate(caseNumber, secret));
  }

  /**
   * Erases every hash of the case from the store and the index; idempotent. Answers once
   * the values have left the store's files too, or after ERASURE_WAIT_MS at most.
   */
  async withdraw(caseNumber: string, secret: string): Promise<WithdrawnCase> {
    const record = await this.authenticate(caseNumber, secret);
    if (record.status === 'withdrawn') return { ...(await this.toStatus(record)), removedHashes: 0 };
    const removed = await this.store.withdrawCase(record.id, { kind: 'victim', id: record.number });
    for (const id of removed) this.matcher.remove(id);
    this.events.emit('case.withdrawn', { caseId: record.id, removedHashes: removed.length });
    // Also when nothing was live: held submissions of the case are derived copies too.
    for (const copy of this.extras.derivedCopies ?? []) await copy.eraseWithdrawn();
    if (removed.length > 0) await this.store.erasureSettled(ERASURE_WAIT_MS);
    const after = (await this.store.getCaseByNumber(record.number))!;
    return { ...(await this.toStatus(after)), removedHashes: removed.length };
  }

  private async toStatus(record: CaseRecord): Promise<CaseStatus> {
    // Withdrawn: its feedback is erased with it.
    const blocked = record.status === 'active' ? ((await this.extras.platformsBlocking?.(record.id)) ?? 0) : 0;
    const review = (await this.extras.screening?.heldCounts(record.id)) ?? { held: 0, rejected: 0 };
    return { ...toStatus(record), platformsBlocked: blocked, heldHashes: review.held, rejectedHashes: review.rejected };
  }

  /** The case these credentials open (for the victim's other endpoints: reports); CASE_AUTH otherwise. */
  async authenticate(caseNumber: string, secret: string) {
    // A count the recorder could not write now is retried later: reading the case goes on.
    await this.matchRecorder?.flush().catch(() => {});
    // Victims type case numbers by hand: read what they meant (any case, spaces, dashes).
    const number = normaliseCaseNumber(caseNumber);
    const record = number === undefined ? undefined : await this.store.getCaseByNumber(number);
    const ok = await this.credentials.verifyCaseSecret(secret, record?.secretHash ?? (await this.decoyHash));
    if (!record || !ok) throw new RempartError('CASE_AUTH', CASE_AUTH_MESSAGE);
    return record;
  }
}

function toStatus(record: CaseRecord): Omit<CaseStatus, 'platformsBlocked' | 'heldHashes' | 'rejectedHashes'> {
  return {
    caseNumber: record.number,
    status: record.status,
    hashCount: record.hashCount,
    matchCount: record.matchCount,
    createdAt: record.createdAt,
    withdrawnAt: record.withdrawnAt,
  };
}

/** One image (or video) and the hashes derived from it, as a victim's device sends them. */
export interface WireItem {
  kind?: 'image' | 'video';
  hashes: (WireHash & { role?: string; box?: number[]; angle?: number })[];
}

/** What a registered hash may be computed from: the whole picture, or what a matching profile derives (docs/matching.md). */
export const REGISTERED_ROLES = ['full', 'trimmed', 'window', 'region'] as const;

function checkRole(role: unknown): string {
  if (role === undefined || role === null) return 'full';
  if (typeof role !== 'string' || !(REGISTERED_ROLES as readonly string[]).includes(role)) {
    throw new RempartError('BAD_REQUEST', `role must be one of ${REGISTERED_ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  }
  return role;
}

/** A region box in fractions of the picture: four numbers, 0 ≤ x0 < x1 ≤ 1, 0 ≤ y0 < y1 ≤ 1. */
/**
 * A derived hash's detail: its box, and for a box turned along the content's own
 * orientation (upright windows and regions) the turn in degrees, so that a platform told
 * which region matched, or reading the feed, knows the box is turned.
 */
function detailOf(box: unknown, angle: unknown): { box: [number, number, number, number]; angle?: number } {
  if (angle === undefined || angle === null) return { box: checkBox(box) };
  if (typeof angle !== 'number' || !Number.isFinite(angle) || Math.abs(angle) > 45) {
    throw new RempartError('BAD_REQUEST', 'angle must be the turn of the box in degrees, between -45 and 45');
  }
  return { box: checkBox(box), angle };
}

function checkBox(box: unknown): [number, number, number, number] {
  const ok =
    Array.isArray(box) &&
    box.length === 4 &&
    box.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1) &&
    box[0] < box[2] &&
    box[1] < box[3];
  if (!ok) throw new RempartError('BAD_REQUEST', 'box must be [x0, y0, x1, y1] in fractions of the picture (0 ≤ x0 < x1 ≤ 1, 0 ≤ y0 < y1 ≤ 1)');
  return box as [number, number, number, number];
}

/** Prefixes a hash-parsing error with the position of the item in the request. */
export function withItem(error: unknown, index: number): Error {
  if (error instanceof Error && 'code' in error) {
    const code = (error as { code: string }).code;
    if (code === 'HASH_FORMAT' || code === 'UNKNOWN_ALGORITHM') {
      return new RempartError(code, `hashes[${index}]: ${error.message}`);
    }
  }
  return error as Error;
}
