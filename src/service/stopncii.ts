/**
 * The StopNCII-compatible exchange (what python-threatexchange's StopNCII client, and so
 * Meta's HMA, call): `FetchHashes` pages over the exchange projection with StopNCII's exact
 * wire format and checkpoint rules. See README "Using Rempart from HMA".
 */
import { bytesToHex } from '../hashing/index.js';
import { MD5_BYTES, VIDEO_MD5 } from '../hashing/video/digest.js';
import { RempartError } from '../errors.js';
import type { ExchangeRecord, ExchangeStatus } from '../store/exchange.js';
import type { FeedbackEntry } from '../store/feedback.js';
import type { PlatformRecord, Store } from '../store/types.js';
import { type ExchangeProjector, STOPNCII_SIGNAL_TYPES } from './exchange.js';
import type { FeedbackService } from './feedback.js';

export const STOPNCII_MAX_PAGE = 10_000;
export const STOPNCII_DEFAULT_PAGE = 800;

/** StopNCII's feedback values, as its API spells them (Rempart keeps feedback in the same words). */
export { FEEDBACK_VALUES as CSP_FEEDBACK_VALUES } from '../store/feedback.js';
type CspFeedbackValue = FeedbackEntry['value'];

export interface CspFeedback {
  feedbackValue: CspFeedbackValue;
  tags: string[];
  /** The platform's name. */
  source: string;
}

export interface StopNciiHashRecord {
  lastModtimestamp: number;
  signalType: string;
  hashValue: string;
  hashStatus: ExchangeStatus;
  /** Opaque hash refs (`h_…`) and their status: required by the client, never a case number. */
  caseNumbers: Record<string, ExchangeStatus>;
  CSPFeedbacks: CspFeedback[];
}

export interface FetchHashesResponse {
  count: number;
  nextPageToken: string | null;
  nextSetTimestamp: number;
  hasMoreRecords: boolean;
  hashRecords: StopNciiHashRecord[];
}

export interface FetchHashesQuery {
  startTimestamp: number;
  pageSize?: number;
  nextPageToken?: string;
}

/** What a page token carries: the session's startTimestamp, where it is, and its high-water mark. */
interface PageToken {
  startTimestamp: number;
  afterPosition: number;
  sessionHigh: number;
  lastModified: number;
}

/** Platforms' latest reports on these refs, for the records' CSPFeedbacks. */
export type FeedbackLookup = (refs: readonly string[]) => Promise<FeedbackEntry[]>;

export interface StopNciiOptions {
  now?: () => number;
  feedbackOf?: FeedbackLookup;
  feedback?: Pick<FeedbackService, 'reportByValue'>;
}

/** Tombstones are purged at most this often from the read path (the projector's timer does the rest). */
const PURGE_EVERY_MS = 1_000;

export class StopNciiService {
  private lastPurge = 0;

  constructor(
    private readonly store: Pick<Store, 'readExchangePage' | 'purgeExchangeTombstones'>,
    private readonly projector: ExchangeProjector,
    private readonly options: StopNciiOptions = {},
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  async fetchHashes(platform: PlatformRecord, query: FetchHashesQuery): Promise<FetchHashesResponse> {
    const { startTimestamp } = query;
    if (!Number.isSafeInteger(startTimestamp) || startTimestamp < 0) {
      throw new RempartError('BAD_REQUEST', 'startTimestamp must be a non-negative integer (Unix seconds)');
    }
    const pageSize = query.pageSize ?? STOPNCII_DEFAULT_PAGE;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > STOPNCII_MAX_PAGE) {
      throw new RempartError('BAD_REQUEST', `pageSize must be an integer from 1 to ${STOPNCII_MAX_PAGE}`);
    }
    const token = query.nextPageToken ? decodeToken(query.nextPageToken, startTimestamp) : undefined;

    // Serve what is committed now: the projection catches up with the change log first.
    await this.projector.catchUp();
    const page = await this.store.readExchangePage({
      startTimestamp,
      afterPosition: token?.afterPosition ?? 0,
      sessionHigh: token?.sessionHigh,
      limit: pageSize,
      reader: { platformId: platform.id, at: new Date(this.now()).toISOString() },
      now: () => this.now() / 1000,
    });
    const feedback = await this.feedbackFor(page.records);
    const hashRecords = page.records.map((r) => toWire(r, feedback));

    // The checkpoint never goes backwards and never skips a write. Mid-session it is the time
    // of the last position read (records of that same second are served again next time). At
    // the end of the feed it is the time of the read itself: every later write is stamped at
    // or after it, so a quiet bank is not re-served and clients' acknowledgements move on.
    const lastRead = Math.max(startTimestamp, page.lastModified ?? token?.lastModified ?? startTimestamp);
    const nextSetTimestamp = page.more ? lastRead : Math.max(lastRead, page.readAt);
    const afterPosition = page.lastPosition ?? token?.afterPosition ?? 0;
    await this.maybePurge();
    return {
      count: hashRecords.length,
      nextPageToken: page.more
        ? encodeToken({ startTimestamp, afterPosition, sessionHigh: page.sessionHigh, lastModified: nextSetTimestamp })
        : null,
      nextSetTimestamp,
      hasMoreRecords: page.more,
      hashRecords,
    };
  }

  /** SubmitFeedback: `{"count": n, "hashFeedbacks": [{hashValue, feedbackValue, tags}]}`. */
  async submitFeedback(
    platform: PlatformRecord,
    body: { count: number; hashFeedbacks: { hashValue: string; feedbackValue: string; tags?: string[] }[] },
  ): Promise<{ count: number; recorded: number; unknownHashValues: string[] }> {
    if (!this.options.feedback) throw new RempartError('NOT_READY', 'feedback is not available on this server');
    if (body.count !== body.hashFeedbacks.length) {
      throw new RempartError('BAD_REQUEST', `count is ${body.count} but hashFeedbacks holds ${body.hashFeedbacks.length} entries`);
    }
    // The client sends no signal type: the value's length tells ImagePDQ from VideoMD5.
    const result = await this.options.feedback.reportByValue(
      platform,
      { pdq: STOPNCII_SIGNAL_TYPES.pdq!, md5: STOPNCII_SIGNAL_TYPES[VIDEO_MD5]! },
      body.hashFeedbacks,
    );
    return { count: body.count, ...result };
  }

  private async feedbackFor(records: readonly ExchangeRecord[]): Promise<Map<string, FeedbackEntry[]>> {
    const byRef = new Map<string, FeedbackEntry[]>();
    if (!this.options.feedbackOf || records.length === 0) return byRef;
    for (const entry of await this.options.feedbackOf(records.flatMap((r) => r.members.map((m) => m.ref)))) {
      let list = byRef.get(entry.ref);
      if (!list) byRef.set(entry.ref, (list = []));
      list.push(entry);
    }
    return byRef;
  }

  private async maybePurge(): Promise<void> {
    const now = this.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    await this.projector.purge();
  }
}

function toWire(record: ExchangeRecord, feedback: Map<string, FeedbackEntry[]>): StopNciiHashRecord {
  const caseNumbers: Record<string, ExchangeStatus> = {};
  for (const m of record.members) caseNumbers[m.ref] = m.status;
  return {
    lastModtimestamp: record.modifiedAt,
    signalType: record.signalType,
    // VideoMD5 values are stored padded to 32 bytes (see hashing/video/digest.ts): 32 hex on the wire.
    hashValue: record.signalType === 'VideoMD5' ? bytesToHex(record.value.subarray(0, MD5_BYTES)) : bytesToHex(record.value),
    hashStatus: aggregateStatus(record),
    caseNumbers,
    CSPFeedbacks: mergeFeedback(record.members.flatMap((m) => feedback.get(m.ref) ?? [])),
  };
}

/** Active while any member is; otherwise Deleted if an operator removed every member, else Withdrawn. */
function aggregateStatus(record: ExchangeRecord): ExchangeStatus {
  if (record.active) return 'Active';
  return record.members.length > 0 && record.members.every((m) => m.status === 'Deleted') ? 'Deleted' : 'Withdrawn';
}

/** One entry per platform: the latest report it gave on any hash of the record. */
function mergeFeedback(entries: readonly FeedbackEntry[]): CspFeedback[] {
  const latest = new Map<string, FeedbackEntry>();
  for (const e of entries) {
    const seen = latest.get(e.platform);
    if (!seen || e.at > seen.at) latest.set(e.platform, e);
  }
  return [...latest.values()]
    .sort((a, b) => a.platform.localeCompare(b.platform))
    .map((e) => ({ feedbackValue: e.value, tags: e.tags, source: e.platform }));
}

function encodeToken(token: PageToken): string {
  const fields = [1, token.startTimestamp, token.afterPosition, token.sessionHigh, token.lastModified];
  return Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
}

function decodeToken(text: string, startTimestamp: number): PageToken {
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    fields = undefined;
  }
  const valid =
    Array.isArray(fields) &&
    fields.length === 5 &&
    fields[0] === 1 &&
    fields.slice(1).every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  if (!valid) throw new RempartError('BAD_REQUEST', 'nextPageToken is not a token this server issued; start again without it');
  const [, s, afterPosition, sessionHigh, lastModified] = fields as number[];
  if (s !== startTimestamp) {
    throw new RempartError(
      'BAD_REQUEST',
      `nextPageToken belongs to startTimestamp=${s}: keep startTimestamp fixed while following nextPageToken`,
    );
  }
  return { startTimestamp: s!, afterPosition: afterPosition!, sessionHigh: sessionHigh!, lastModified: lastModified! };
}
