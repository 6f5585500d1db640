/**
 * The index's pages from PostgreSQL in one COPY: `COPY (SELECT id, algorithm, value FROM
 * hashes WHERE id > $after ORDER BY id) TO STDOUT (FORMAT binary)`, streamed through
 * pg-copy-streams and cut into pages here. One statement and one snapshot for the whole
 * bank, no per-page query to plan and run (keyset pages cost an index descent and a
 * round trip each), and rows arrive as PostgreSQL's binary tuples: 8-byte ids, the
 * algorithm's name, the 32 value bytes, copied straight into the page.
 *
 * Memory stays bounded: the stream is read only as fast as pages are consumed (plus
 * `readAhead` pages parsed in advance, so that the server, the parsing and the indexing
 * overlap), whatever the size of the bank.
 */
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { type PackedPage, packBatch } from '../packed-pages.js';
import { HASH_BYTES } from '../validation.js';
import { asUnavailable } from './connection.js';

/** "PGCOPY\n\xff\r\n\0": the binary COPY signature, then 4 bytes of flags and 4 of header extension length. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = SIGNATURE.length + 8;
const FIELDS = 3;

/** One page being filled: ids, algorithm per row, value bytes back to back. */
class PageBuilder {
  readonly ids: number[] = [];
  readonly algorithms: string[] = [];
  readonly bytes: Uint8Array;
  constructor(readonly capacity: number) {
    this.bytes = new Uint8Array(capacity * HASH_BYTES);
  }
  get full(): boolean {
    return this.ids.length === this.capacity;
  }
  pack(): PackedPage {
    const n = this.ids.length;
    return packBatch({ ids: this.ids, algorithms: this.algorithms, bytes: this.bytes.subarray(0, n * HASH_BYTES) });
  }
}

/**
 * Parses binary COPY tuples of (int8 id, text algorithm, bytea value) from chunks that may
 * cut a row anywhere; returns pages as they fill.
 */
export class IndexCopyParser {
  private pending: Buffer = Buffer.alloc(0);
  private headerSeen = false;
  private ended = false;
  private page: PageBuilder;
  /** The last algorithm name and its bytes: names repeat, decoded once per run of rows. */
  private lastName = '';
  private lastNameBytes: Buffer = Buffer.alloc(0);

  constructor(private readonly pageSize: number) {
    this.page = new PageBuilder(pageSize);
  }

  /** Feeds a chunk; returns the pages it completed. */
  push(chunk: Buffer): PackedPage[] {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const pages: PackedPage[] = [];
    let at = 0;
    if (!this.headerSeen) {
      if (data.length < HEADER_BYTES) {
        this.pending = data;
        return pages;
      }
      if (!data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('COPY stream is not in PostgreSQL binary format');
      const extension = data.readUInt32BE(SIGNATURE.length + 4);
      if (data.length < HEADER_BYTES + extension) {
        this.pending = data;
        return pages;
      }
      at = HEADER_BYTES + extension;
      this.headerSeen = true;
    }
    for (;;) {
      if (this.ended) break;
      if (data.length - at < 2) break;
      const fields = data.readInt16BE(at);
      if (fields === -1) {
        this.ended = true; // the trailer
        at += 2;
        break;
      }
      if (fields !== FIELDS) throw new Error(`COPY row has ${fields} fields, expected ${FIELDS}`);
      // id: length 8 + 8 bytes; algorithm: length + bytes; value: length 32 + 32 bytes.
      if (data.length - at < 2 + 12 + 4) break;
      const nameLength = data.readInt32BE(at + 14);
      const rowBytes = 2 + 12 + 4 + nameLength + 4 + HASH_BYTES;
      if (data.length - at < rowBytes) break;
      if (data.readInt32BE(at + 2) !== 8) throw new Error('COPY row: id is not an int8');
      const id = data.readUInt32BE(at + 6) * 2 ** 32 + data.readUInt32BE(at + 10);
      const nameStart = at + 18;
      const valueLengthAt = nameStart + nameLength;
      if (data.readInt32BE(valueLengthAt) !== HASH_BYTES) throw new Error(`hash ${id}: value is not ${HASH_BYTES} bytes`);
      const page = this.page;
      const row = page.ids.length;
      page.ids.push(id);
      page.algorithms.push(this.name(data, nameStart, nameLength));
      page.bytes.set(data.subarray(valueLengthAt + 4, valueLengthAt + 4 + HASH_BYTES), row * HASH_BYTES);
      at += rowBytes;
      if (page.full) {
        pages.push(page.pack());
        this.page = new PageBuilder(this.pageSize);
      }
    }
    this.pending = at === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(at));
    return pages;
  }

  /** The rows left once the stream ended (a last, partial page), after checking it ended well. */
  finish(): PackedPage[] {
    if (!this.ended || this.pending.length > 0) throw new Error('COPY stream ended in the middle of a row');
    return this.page.ids.length > 0 ? [this.page.pack()] : [];
  }

  private name(data: Buffer, start: number, length: number): string {
    const last = this.lastNameBytes;
    if (length === last.length && data.compare(last, 0, length, start, start + length) === 0) return this.lastName;
    this.lastNameBytes = Buffer.from(data.subarray(start, start + length));
    this.lastName = this.lastNameBytes.toString('utf8');
    return this.lastName;
  }
}

/**
 * Every hash with an id above `afterId`, in id order, as packed pages of `pageSize` rows,
 * from one COPY on a connection of the pool (returned to it when the iteration ends, or
 * thrown away if it ends early). Up to `readAhead` pages are parsed ahead of the consumer.
 */
export async function* copyIndexPages(pool: pg.Pool, afterId: number, pageSize: number, readAhead: number): AsyncGenerator<PackedPage> {
  const client = await pool.connect().catch((error: unknown) => {
    throw asUnavailable(error);
  });
  let finished = false;
  let failure: unknown;
  let done = false;
  // A checked-out client whose server goes away emits 'error': the stream fails with it.
  const onClientError = (error: Error) => {
    failure ??= error;
    done = true;
    signal();
  };
  client.on('error', onClientError);
  const stream = client.query(
    copyTo(`COPY (SELECT id, algorithm, value FROM hashes WHERE id > ${Math.trunc(afterId)} ORDER BY id) TO STDOUT (FORMAT binary)`),
  );
  const parser = new IndexCopyParser(pageSize);
  // Pages parsed and not yet consumed; the reader pauses the stream when `ahead` are waiting.
  const ready: PackedPage[] = [];
  const ahead = Math.max(1, readAhead);
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  stream.on('data', (chunk: Buffer) => {
    try {
      ready.push(...parser.push(chunk));
    } catch (error) {
      failure = error;
      stream.destroy();
    }
    if (ready.length >= ahead) stream.pause();
    signal();
  });
  stream.once('end', () => {
    try {
      ready.push(...parser.finish());
    } catch (error) {
      failure = error;
    }
    done = true;
    signal();
  });
  stream.once('error', (error) => {
    failure ??= error;
    done = true;
    signal();
  });
  try {
    for (;;) {
      if (ready.length > 0) {
        const page = ready.shift()!;
        if (ready.length < ahead && !done) stream.resume();
        yield page;
        continue;
      }
      if (failure !== undefined) throw asUnavailable(failure);
      if (done) break;
      stream.resume();
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (failure !== undefined) throw asUnavailable(failure);
    finished = true;
  } finally {
    if (!finished) stream.destroy();
    client.off('error', onClientError);
    // A connection left in the middle of a COPY cannot serve anything else: drop it.
    client.release(!finished);
  }
}
