/**
 * A StopNCII exchange client written from the protocol's description (issue 13), as strict
 * as python-threatexchange's client is: a missing or wrongly typed field aborts the whole
 * fetch, an unknown enum value skips the record, and the fetch loop keeps startTimestamp
 * fixed while following nextPageToken, checkpoints on nextSetTimestamp after every page and
 * asserts that the checkpoint never goes backwards (as HMA's fetcher does).
 */

export const SIGNAL_TYPES = ['Unknown', 'ImagePDQ', 'VideoMD5', 'VideoTMK', 'Text', 'URL'] as const;
export const CASE_STATUSES = ['Unknown', 'Received', 'Active', 'Withdrawn', 'Deleted'] as const;
export const FEEDBACK_VALUES = ['Unknown', 'None', 'QualityUnknown', 'PendingReview', 'Blocked', 'NotBlocked', 'Withdrawn', 'Deleted'] as const;

export interface HashRecord {
  lastModtimestamp: number;
  signalType: string;
  hashValue: string;
  hashStatus: string;
  caseNumbers: Record<string, string>;
  CSPFeedbacks: { feedbackValue: string; tags: string[]; source: string }[];
}

export interface FetchResponse {
  count: number;
  nextPageToken: string | null;
  nextSetTimestamp: number;
  hasMoreRecords: boolean;
  hashRecords: HashRecord[];
  /** Records the client dropped because an enum value was unknown (the real client logs them). */
  skipped: number;
}

/** Raised where the real client's deserialisation raises (and so aborts the fetch). */
export class ProtocolError extends Error {}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HTTP ${status}: ${body}`);
  }
}

export class StopNciiClient {
  static readonly DEFAULT_START_TIME = 10;

  constructor(
    private readonly baseUrl: string,
    private readonly functionKey: string,
    private readonly subscriptionKey = 'not-used-by-rempart',
  ) {}

  private headers(): Record<string, string> {
    return { 'x-functions-key': this.functionKey, 'Ocp-Apim-Subscription-Key': this.subscriptionKey };
  }

  async fetchHashes(options: { startTimestamp?: number; pageSize?: number; nextPage?: string } = {}): Promise<FetchResponse> {
    const params = new URLSearchParams({
      startTimestamp: String(options.startTimestamp ?? StopNciiClient.DEFAULT_START_TIME),
      pageSize: String(options.pageSize ?? 800),
    });
    if (options.nextPage) params.set('nextPageToken', options.nextPage);
    const response = await fetch(`${this.baseUrl}/FetchHashes?${params}`, { headers: this.headers() });
    const text = await response.text();
    if (!response.ok) throw new HttpError(response.status, text);
    return parseFetchResponse(text);
  }

  /** fetch_hashes_iter: one start time, pages until hasMoreRecords is false. */
  async *fetchIter(startTimestamp: number, pageSize = 800): AsyncGenerator<FetchResponse> {
    let nextPage = '';
    for (let more = true; more; ) {
      const page = await this.fetchHashes({ startTimestamp, pageSize, nextPage });
      more = page.hasMoreRecords;
      nextPage = page.nextPageToken ?? '';
      yield page;
    }
  }

  async submitFeedback(feedbacks: { hashValue: string; feedbackValue: string; tags?: string[] }[]): Promise<unknown> {
    const payload = {
      count: feedbacks.length,
      hashFeedbacks: feedbacks.map((f) => ({ tags: f.tags ?? [], feedbackValue: f.feedbackValue, hashValue: f.hashValue })),
    };
    const response = await fetch(`${this.baseUrl}/SubmitFeedback`, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    const text = await response.text();
    if (!response.ok) throw new HttpError(response.status, text);
    return JSON.parse(text);
  }
}

/** A platform's local copy of the bank, kept by the fetch loop. */
export interface LocalCopy {
  /** Last stored checkpoint (startTimestamp for the next fetch); undefined before the first. */
  checkpoint?: number;
  /** signalType:hashValue → latest record. */
  hashes: Map<string, HashRecord>;
  /** Every checkpoint stored, in order. */
  checkpoints: number[];
  pages: number;
}

export function newLocalCopy(): LocalCopy {
  return { hashes: new Map(), checkpoints: [], pages: 0 };
}

/**
 * One fetch as HMA runs it: from the stored checkpoint, page by page, each page's records
 * replacing earlier ones and its nextSetTimestamp becoming the stored checkpoint. With
 * `honourStatus` (the protocol's intent) Withdrawn/Deleted records remove the hash; without it,
 * like the current python-threatexchange wrapper, they are kept.
 */
export async function syncOnce(
  client: StopNciiClient,
  copy: LocalCopy,
  options: { pageSize?: number; honourStatus?: boolean; betweenPages?: (page: number) => Promise<void> } = {},
): Promise<void> {
  let previous = copy.checkpoint;
  let page = 0;
  for await (const result of client.fetchIter(copy.checkpoint ?? StopNciiClient.DEFAULT_START_TIME, options.pageSize)) {
    if (previous !== undefined && result.nextSetTimestamp < previous) {
      throw new ProtocolError(`checkpoint time rewound: ${previous} -> ${result.nextSetTimestamp}`);
    }
    previous = result.nextSetTimestamp;
    for (const record of result.hashRecords) {
      const key = `${record.signalType}:${record.hashValue}`;
      const gone = record.hashStatus === 'Withdrawn' || record.hashStatus === 'Deleted';
      if (gone && options.honourStatus !== false) copy.hashes.delete(key);
      else copy.hashes.set(key, record);
    }
    copy.checkpoint = result.nextSetTimestamp;
    copy.checkpoints.push(result.nextSetTimestamp);
    copy.pages++;
    if (options.betweenPages) await options.betweenPages(++page);
  }
}

// --- strict parsing, as dacite does it for the client's dataclasses ---

export function parseFetchResponse(text: string): FetchResponse {
  assertNoFractionalNumbers(text);
  const json = JSON.parse(text) as Record<string, unknown>;
  const count = requireInt(json, 'count');
  const nextPageToken = json.nextPageToken;
  if (nextPageToken !== null && nextPageToken !== undefined && typeof nextPageToken !== 'string') {
    throw new ProtocolError('nextPageToken must be a string or null');
  }
  if (!('nextPageToken' in json)) throw new ProtocolError('missing field nextPageToken');
  const nextSetTimestamp = requireInt(json, 'nextSetTimestamp');
  if (typeof json.hasMoreRecords !== 'boolean') throw new ProtocolError('hasMoreRecords must be a boolean');
  const raw = json.hashRecords ?? [];
  if (!Array.isArray(raw)) throw new ProtocolError('hashRecords must be a list');
  const hashRecords: HashRecord[] = [];
  let skipped = 0;
  for (const item of raw) {
    const record = parseRecord(item);
    if (record) hashRecords.push(record);
    else skipped++;
  }
  return { count, nextPageToken: (nextPageToken as string | null) ?? null, nextSetTimestamp, hasMoreRecords: json.hasMoreRecords, hashRecords, skipped };
}

/** A record, or undefined when an enum value is unknown (skipped); throws on missing or mistyped fields. */
function parseRecord(item: unknown): HashRecord | undefined {
  if (typeof item !== 'object' || item === null) throw new ProtocolError('a hash record must be an object');
  const r = item as Record<string, unknown>;
  const lastModtimestamp = requireInt(r, 'lastModtimestamp');
  for (const field of ['signalType', 'hashValue', 'hashStatus'] as const) {
    if (typeof r[field] !== 'string') throw new ProtocolError(`hash record field ${field} missing or not a string`);
  }
  if (typeof r.caseNumbers !== 'object' || r.caseNumbers === null || Array.isArray(r.caseNumbers)) {
    throw new ProtocolError('hash record field caseNumbers missing or not an object');
  }
  const feedbacks = r.CSPFeedbacks ?? [];
  if (!Array.isArray(feedbacks)) throw new ProtocolError('CSPFeedbacks must be a list');
  let known = (SIGNAL_TYPES as readonly string[]).includes(r.signalType as string) && (CASE_STATUSES as readonly string[]).includes(r.hashStatus as string);
  const caseNumbers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.caseNumbers as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new ProtocolError('caseNumbers values must be strings');
    if (!(CASE_STATUSES as readonly string[]).includes(v)) known = false;
    caseNumbers[k] = v;
  }
  const CSPFeedbacks = feedbacks.map((f) => {
    if (typeof f !== 'object' || f === null) throw new ProtocolError('a CSP feedback must be an object');
    const fb = f as Record<string, unknown>;
    if (typeof fb.feedbackValue !== 'string') throw new ProtocolError('feedbackValue missing');
    if (!(FEEDBACK_VALUES as readonly string[]).includes(fb.feedbackValue)) known = false;
    const tags = fb.tags ?? [];
    if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string')) throw new ProtocolError('tags must be strings');
    const source = fb.source ?? '';
    if (typeof source !== 'string') throw new ProtocolError('source must be a string');
    return { feedbackValue: fb.feedbackValue, tags: tags as string[], source };
  });
  if (!known) return undefined;
  return {
    lastModtimestamp,
    signalType: r.signalType as string,
    hashValue: r.hashValue as string,
    hashStatus: r.hashStatus as string,
    caseNumbers,
    CSPFeedbacks,
  };
}

function requireInt(obj: Record<string, unknown>, field: string): number {
  const v = obj[field];
  if (v === undefined) throw new ProtocolError(`missing field ${field}`);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ProtocolError(`${field} must be an int, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Python's json module reads `1.0` as a float, which the client's int fields refuse; JSON.parse
 * cannot tell, so the raw text is checked: no number token outside strings may have a
 * fraction or an exponent.
 */
export function assertNoFractionalNumbers(text: string): void {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const token = /^-?[0-9.eE+-]+/.exec(text.slice(i, i + 40))![0];
      if (/[.eE]/.test(token)) {
        throw new ProtocolError(`a number with a fraction or exponent at offset ${i}: ${token}`);
      }
      i += token.length - 1;
    }
  }
}
