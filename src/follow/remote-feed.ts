/**
 * Another Rempart's change feed over HTTP (`GET {url}/v1/sync`, with a platform key): the
 * follower's source. Long-polls (`wait`), so a change reaches the follower within moments
 * of its registration without hammering the source.
 */
import { RempartError } from '../errors.js';
import { EXACT_ALGORITHMS, md5ToStored } from '../hashing/video/digest.js';
import type { FollowedChange } from '../store/follow.js';

export interface RemotePage {
  changes: (FollowedChange & { seq: number })[];
  cursor: number;
  more: boolean;
}

interface WireChange {
  seq: number;
  op: 'add' | 'remove';
  id: string;
  item?: string;
  role?: string;
  detail?: unknown;
  algorithm: string;
  value?: string;
  quality?: number | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * What matching reads of a hash's detail, checked: a region's `box` (4 numbers from 0 to 1:
 * left, top, width, height of the registered picture) and a video frame's time `t`
 * (seconds). Anything else the source sends is not kept.
 */
function parseDetail(detail: unknown, fail: (why: string) => never): Record<string, unknown> | null {
  if (detail === undefined || detail === null) return null;
  if (typeof detail !== 'object' || Array.isArray(detail)) return fail(' must be an object');
  const { box, t } = detail as { box?: unknown; t?: unknown };
  const kept: Record<string, unknown> = {};
  if (box !== undefined) {
    if (!Array.isArray(box) || box.length !== 4 || !box.every((x) => typeof x === 'number' && x >= 0 && x <= 1)) {
      return fail('.box must be 4 numbers from 0 to 1');
    }
    kept.box = box;
  }
  if (t !== undefined) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) return fail('.t must be a time in seconds');
    kept.t = t;
  }
  return Object.keys(kept).length > 0 ? kept : null;
}

export class RemoteFeed {
  constructor(
    /** The source's base URL, without a trailing slash. */
    readonly url: string,
    private readonly key: string,
    private readonly pageSize = 10_000,
  ) {}

  /** The page after `after`; waits up to `waitSeconds` at the source when nothing is new. */
  async read(after: number, waitSeconds: number, signal?: AbortSignal): Promise<RemotePage> {
    const query = new URLSearchParams({ after: String(after), limit: String(this.pageSize), wait: String(waitSeconds) });
    const timeout = AbortSignal.timeout((waitSeconds + 30) * 1000);
    const response = await fetch(`${this.url}/v1/sync?${query}`, {
      headers: { authorization: `Bearer ${this.key}`, accept: 'application/json' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await response.text();
    if (!response.ok) {
      throw new RempartError(
        response.status === 401 ? 'UNAUTHORIZED' : 'NOT_READY',
        `${this.url}/v1/sync answered ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    return parsePage(text, this.url, after);
  }
}

/** Checks the source's answer strictly: a follower must never index something malformed. */
function parsePage(text: string, url: string, after: number): RemotePage {
  const fail = (why: string): never => {
    throw new RempartError('NOT_READY', `${url}/v1/sync sent a malformed page: ${why}`);
  };
  let body: { changes?: unknown; cursor?: unknown; more?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return fail('not JSON');
  }
  if (!Array.isArray(body.changes) || !Number.isSafeInteger(body.cursor) || typeof body.more !== 'boolean') {
    return fail('changes, cursor and more are required');
  }
  let previous = after;
  const changes = (body.changes as WireChange[]).map((c, i) => {
    if (!Number.isSafeInteger(c.seq) || c.seq <= previous) fail(`changes[${i}].seq must grow past ${previous}`);
    previous = c.seq;
    if (typeof c.id !== 'string' || c.id === '') fail(`changes[${i}].id`);
    if (c.op === 'remove') return { seq: c.seq, op: 'remove' as const, ref: c.id };
    if (c.op !== 'add') return fail(`changes[${i}].op`);
    if (typeof c.algorithm !== 'string' || typeof c.value !== 'string') fail(`changes[${i}].value`);
    let bytes: Uint8Array;
    if (EXACT_ALGORITHMS.has(c.algorithm)) {
      try {
        bytes = md5ToStored(c.value!);
      } catch {
        return fail(`changes[${i}].value is not an MD5`);
      }
    } else if (HEX64.test(c.value!)) bytes = Uint8Array.from(Buffer.from(c.value!, 'hex'));
    else return fail(`changes[${i}].value must be 64 hex characters`);
    return {
      seq: c.seq,
      op: 'add' as const,
      ref: c.id,
      itemRef: c.item ?? c.id,
      role: c.role ?? 'full',
      detail: parseDetail(c.detail, (why) => fail(`changes[${i}].detail${why}`)),
      algorithm: c.algorithm,
      bytes,
      quality: typeof c.quality === 'number' ? c.quality : null,
    };
  });
  if ((body.cursor as number) < after) fail(`cursor went back from ${after} to ${String(body.cursor)}`);
  return { changes, cursor: body.cursor as number, more: body.more };
}
