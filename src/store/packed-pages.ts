/** A page of hashes to pack: ids ascending, 32 value bytes per row back to back. */
export interface HashBatch {
  ids: readonly number[];
  algorithms: readonly string[];
  bytes: Uint8Array;
}

/** The codes of one algorithm in a page: ids ascending, 8 big-endian uint32 words per code. */
export interface PackedGroup {
  algorithm: string;
  ids: Uint32Array;
  words: Uint32Array;
}

/**
 * A page of the store in the index's bulk format (see `Matcher.addPacked`), grouped by
 * algorithm. Typed arrays only, so a page crosses threads by transfer, not by copy.
 */
export interface PackedPage {
  groups: PackedGroup[];
  /** Highest id in the page (0 if empty): where the next page starts. */
  lastId: number;
  rows: number;
}

/** Packs a store batch (ids ascending, 32 value bytes per row) into the index's format. */
export function packBatch(batch: HashBatch): PackedPage {
  const n = batch.ids.length;
  const bytes = batch.bytes;
  const groups = new Map<string, { ids: Uint32Array; words: Uint32Array; count: number }>();
  let algorithm = '';
  let group: { ids: Uint32Array; words: Uint32Array; count: number } | undefined;
  let lastId = 0;
  for (let i = 0; i < n; i++) {
    const id = batch.ids[i]!;
    if (id > lastId) lastId = id;
    // Pages are usually one algorithm after another: look the group up only on a change.
    if (batch.algorithms[i] !== algorithm || !group) {
      algorithm = batch.algorithms[i]!;
      group = groups.get(algorithm);
      if (!group) {
        group = { ids: new Uint32Array(n), words: new Uint32Array(n * 8), count: 0 };
        groups.set(algorithm, group);
      }
    }
    const { words } = group;
    const row = group.count++;
    group.ids[row] = id;
    for (let k = 0, b = 32 * i, w = row * 8; k < 8; k++, b += 4, w++) {
      words[w] = ((bytes[b]! << 24) | (bytes[b + 1]! << 16) | (bytes[b + 2]! << 8) | bytes[b + 3]!) >>> 0;
    }
  }
  return {
    groups: [...groups].map(([name, g]) => ({
      algorithm: name,
      // Copies only when the page mixes algorithms, so each group owns a transferable buffer.
      ids: g.count === n ? g.ids : g.ids.slice(0, g.count),
      words: g.count === n ? g.words : g.words.slice(0, g.count * 8),
    })),
    lastId,
    rows: n,
  };
}

/** The buffers of a page, for postMessage's transfer list. */
export function pageBuffers(page: PackedPage): ArrayBuffer[] {
  return page.groups.flatMap((g) => [g.ids.buffer as ArrayBuffer, g.words.buffer as ArrayBuffer]);
}
