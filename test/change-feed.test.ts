/**
 * The change feed's reads: one per hint when caught up (every replica reads after every
 * registration, so a read that finds nothing is a database round trip per write per
 * replica for nothing), yet nothing is missed: a hint that comes while a page is being
 * applied, a full page, and a lost hint (the poll) all lead to the next read.
 */
import { describe, expect, it } from 'vitest';
import { ChangeFeed, type ChangeSource } from '../src/store/change-feed.js';
import type { Change } from '../src/store/types.js';

function countingLog() {
  const log: Change[] = [];
  const listeners = new Set<() => void>();
  let reads = 0;
  const source: ChangeSource = {
    async changesAfter(after, limit) {
      reads++;
      return log.filter((c) => c.seq > after).slice(0, limit);
    },
    watchChanges(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
  return {
    source,
    reads: () => reads,
    /** Appends n entries; hints unless told not to (a lost NOTIFY). */
    append(n: number, hint = true) {
      for (let i = 0; i < n; i++) {
        const seq = log.length + 1;
        log.push({ seq, op: 'remove', hashId: seq, ref: `h_${seq}`, itemRef: `i_${seq}`, role: 'full', algorithm: 'pdq', at: '' });
      }
      if (hint) for (const listener of listeners) listener();
    },
  };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
};

describe('ChangeFeed', () => {
  it('reads once per hint when caught up, and still follows full pages, hints during a page and lost hints', async () => {
    const log = countingLog();
    const feed = new ChangeFeed(log.source, { pageSize: 3, pollMs: 300 });
    const controller = new AbortController();
    const seen: number[] = [];
    let onPage: (() => void) | undefined;
    const following = (async () => {
      for await (const page of feed.pages(0, controller.signal)) {
        seen.push(...page.map((c) => c.seq));
        onPage?.();
      }
    })();
    await until(() => log.reads() === 1); // caught up on an empty log: waits

    log.append(1);
    await until(() => seen.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.reads()).toBe(2); // one read for one hinted write, not a second one that finds nothing

    log.append(7); // more than a page: read on until a short page
    await until(() => seen.length === 8);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(log.reads()).toBe(5); // pages of 3, 3, 1

    // A hint while a page is being applied: read again at once.
    onPage = () => {
      onPage = undefined;
      log.append(1);
    };
    log.append(1);
    await until(() => seen.length === 10);

    // A lost hint: the poll reads it.
    log.append(1, false);
    await until(() => seen.length === 11);
    expect(seen).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    controller.abort();
    await following;
  });
});
