/**
 * The victim's side of Rempart's API. Same origin only: the page talks to nothing else.
 * Requests carry hashes and case credentials, never image bytes.
 */
import type { RegistrationItem } from '../../hashing/profile/item.js';
import type { CaseStatus, RegisteredCase as CreatedCase, WithdrawnCase } from '../../service/case-shapes.js';

export interface AlgorithmInfo {
  name: string;
  bits: number;
  defaultThreshold: number;
  hasQuality: boolean;
  hasDihedral: boolean;
  description: string;
}

export interface AlgorithmsResponse {
  algorithms: AlgorithmInfo[];
  /** Minimum quality per algorithm that has one, e.g. { pdq: 50 }. */
  qualityFloor: Record<string, number>;
}

import type { ReportInput, ReportLinkInput, VictimReport } from '../../service/report-shapes.js';

/** A video as registered: its MD5 and sampled frames (PDQ hash, time, quality, and the frame's centred window). */
export interface VideoRegistration {
  md5: string;
  frames: { t: number; value: string; quality: number; origin: string; window?: { value: string; quality: number } }[];
}

// The server's own shapes (types only: nothing of the server enters the bundle).
export type { ReportInput, ReportLinkInput, VictimReport } from '../../service/report-shapes.js';
export type { CaseStatus, RegisteredCase as CreatedCase, WithdrawnCase } from '../../service/case-shapes.js';

/** An API error with its HTTP status, so the page can say what went wrong. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function call<T>(method: string, path: string, options: { body?: unknown; secret?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.secret !== undefined) headers.authorization = `Bearer ${options.secret}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, 'network');
  }
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (payload as { message?: unknown } | null)?.message;
    throw new ApiError(response.status, typeof message === 'string' ? message : response.statusText);
  }
  return payload as T;
}

/** Paths are relative so the page works wherever Rempart is mounted. */
export const api = {
  algorithms: () => call<AlgorithmsResponse>('GET', 'v1/algorithms'),
  /** Images as items (their hashes and derived sets), videos as their MD5 and frames; either list may be empty, not both. */
  createCase: (items: RegistrationItem[], videos: VideoRegistration[] = []) =>
    call<CreatedCase>('POST', 'v1/cases', { body: videos.length === 0 ? { items } : items.length === 0 ? { videos } : { items, videos } }),
  caseStatus: (caseNumber: string, secret: string) =>
    call<CaseStatus>('GET', `v1/cases/${encodeURIComponent(caseNumber)}`, { secret }),
  withdrawCase: (caseNumber: string, secret: string) =>
    call<WithdrawnCase>('DELETE', `v1/cases/${encodeURIComponent(caseNumber)}`, { secret }),
  report: (caseNumber: string, secret: string) => call<VictimReport>('GET', `v1/cases/${encodeURIComponent(caseNumber)}/report`, { secret }),
  sendReport: (caseNumber: string, secret: string, input: ReportInput) =>
    call<VictimReport>('POST', `v1/cases/${encodeURIComponent(caseNumber)}/report`, { secret, body: input }),
  addLinks: (caseNumber: string, secret: string, links: ReportLinkInput[]) =>
    call<VictimReport>('POST', `v1/cases/${encodeURIComponent(caseNumber)}/report/links`, { secret, body: { links } }),
};
