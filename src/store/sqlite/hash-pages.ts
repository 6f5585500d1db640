/**
 * Reading the hashes table a page at a time, fast: each page is one row of aggregates (ids
 * and other columns as JSON arrays, the values concatenated into one BLOB), a few objects
 * per page instead of several per row (see bench/results/store.md). Synchronous, so the
 * store and its page-reader thread share it.
 */
import type Database from 'better-sqlite3';
import { RempartError } from '../../errors.js';
import { HASH_BYTES } from '../validation.js';
import type { HashBatch } from '../packed-pages.js';
import type { StoredHash } from '../types.js';



interface PackedRowsPage {
  n: number;
  last: number | null;
  /** JSON: [[id, ref, case_id, item_id, item_ref, role, detail, algorithm, quality, created_at], …] */
  rows: string;
  bytes: Buffer | null;
}
interface PackedIndexPage {
  n: number;
  last: number | null;
  ids: string;
  algorithms: string;
  bytes: Buffer | null;
}
type PackedRow = [number, string, number, number, string, string, string | null, string, number | null, string];

export class HashPageReader {
  // The aggregates see the rows in one pass, so their orders agree; an ORDER BY inside
  // them would double the cost, so the id order is checked in JS instead (inIdOrder).
  private readonly rowPage: Database.Statement<[number, number], PackedRowsPage>;
  private readonly indexPage: Database.Statement<[number, number], PackedIndexPage>;

  constructor(db: Database.Database) {
    this.rowPage = db.prepare(
      `SELECT count(*) AS n, max(id) AS last,
              json_group_array(json_array(id, ref, case_id, item_id, item_ref, role, detail, algorithm, quality, created_at)) AS rows,
              CAST(group_concat(value, '') AS BLOB) AS bytes
         FROM (SELECT h.id, h.ref, h.case_id, h.item_id, i.ref AS item_ref, h.role, h.detail, h.algorithm, h.value,
                      h.quality, h.created_at
                 FROM hashes h JOIN items i ON i.id = h.item_id WHERE h.id > ? ORDER BY h.id LIMIT ?)`,
    );
    this.indexPage = db.prepare(
      `SELECT count(*) AS n, max(id) AS last,
              json_group_array(id) AS ids,
              json_group_array(algorithm) AS algorithms,
              CAST(group_concat(value, '') AS BLOB) AS bytes
         FROM (SELECT id, algorithm, value FROM hashes WHERE id > ? ORDER BY id LIMIT ?)`,
    );
  }

  /** Hashes with id > afterId, in id order, as batches of at most `batchSize`. */
  *batches(batchSize: number, afterId = 0): Generator<HashBatch> {
    checkPageSize(batchSize);
    for (const page of pages(this.indexPage, batchSize, afterId)) {
      const batch: HashBatch = {
        ids: JSON.parse(page.ids) as number[],
        algorithms: JSON.parse(page.algorithms) as string[],
        bytes: packedValues(page.bytes, page.n),
      };
      yield isAscending(batch.ids) ? batch : reorderBatch(batch);
    }
  }

  /** Pages of whole rows (id > afterId), in id order. */
  *rowPages(pageSize: number, afterId = 0): Generator<StoredHash[]> {
    checkPageSize(pageSize);
    for (const { n, rows, bytes } of pages(this.rowPage, pageSize, afterId)) {
      const values = packedValues(bytes, n);
      const parsed = JSON.parse(rows) as PackedRow[];
      yield inIdOrder(parsed.map((row) => row[0])).map((i) => {
        const [id, ref, caseId, itemId, itemRef, role, detail, algorithm, quality, createdAt] = parsed[i]!;
        const value = values.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES); // a copy: no page pinned
        const details = detail === null ? null : (JSON.parse(detail) as Record<string, unknown>);
        return { id, ref, caseId, itemId, itemRef, role, detail: details, algorithm, bytes: value, quality, createdAt };
      });
    }
  }
}

export function checkPageSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RempartError('BAD_REQUEST', `page size must be a positive integer, got ${size}`);
  }
}

/**
 * Keyset pages (id > last seen) rather than one long .iterate(): the connection stays
 * free for writes between pages and no read transaction pins the WAL for minutes.
 */
function* pages<P extends { n: number; last: number | null }>(
  statement: Database.Statement<[number, number], P>,
  size: number,
  after: number,
): Generator<P> {
  for (;;) {
    const page = statement.get(after, size);
    if (page === undefined || page.n === 0 || page.last === null) return;
    yield page;
    if (page.n < size) return;
    after = page.last;
  }
}

/** The page's values as a plain Uint8Array, checked to hold exactly n × 32 bytes. */
function packedValues(bytes: Buffer | null, n: number): Uint8Array {
  const length = bytes?.byteLength ?? 0;
  if (bytes === null || length !== n * HASH_BYTES) {
    throw new Error(`hash page of ${n} rows holds ${length} value bytes, expected ${n * HASH_BYTES}`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isAscending(ids: readonly number[]): boolean {
  for (let i = 1; i < ids.length; i++) if (ids[i - 1]! >= ids[i]!) return false;
  return true;
}

/** Positions 0..n-1 visited in ascending id order (usually the identity). */
export function inIdOrder(ids: readonly number[]): number[] {
  const positions = ids.map((_, i) => i);
  return isAscending(ids) ? positions : positions.sort((a, b) => ids[a]! - ids[b]!);
}

export function reorderBatch(batch: HashBatch): HashBatch {
  const order = inIdOrder(batch.ids);
  const bytes = new Uint8Array(batch.bytes.byteLength);
  order.forEach((from, to) => bytes.set(batch.bytes.subarray(from * HASH_BYTES, (from + 1) * HASH_BYTES), to * HASH_BYTES));
  return { ids: order.map((i) => batch.ids[i]!), algorithms: order.map((i) => batch.algorithms[i]!), bytes };
}
