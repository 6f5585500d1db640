import type { HashIndex, Match } from '../../src/index/types.js';
import type { PlantedQuery } from './dataset.js';

/** Queries per second for single searches over all queries (after a short warm-up). */
export function singleQps(index: HashIndex, queries: readonly PlantedQuery[], radius: number): { qps: number; results: Match[][] } {
  for (let i = 0; i < Math.min(200, queries.length); i++) index.search(queries[i]!.code, radius);
  const results: Match[][] = new Array(queries.length);
  const start = process.hrtime.bigint();
  for (let i = 0; i < queries.length; i++) results[i] = index.search(queries[i]!.code, radius);
  return { qps: queries.length / seconds(start), results };
}

/** Queries per second through searchBatch, `size` queries per call. */
export function batchQps(index: HashIndex, queries: readonly PlantedQuery[], radius: number, size: number): number {
  const batches: Uint8Array[][] = [];
  for (let i = 0; i < queries.length; i += size) batches.push(queries.slice(i, i + size).map((q) => q.code));
  const start = process.hrtime.bigint();
  for (const batch of batches) index.searchBatch(batch, radius);
  return queries.length / seconds(start);
}

/** The baseline: as many queries as fit in `budgetSeconds` (at least `minimum`). */
export function timeBoxedQps(
  index: HashIndex,
  queries: readonly PlantedQuery[],
  radius: number,
  budgetSeconds: number,
  minimum: number,
): { qps: number; results: Match[][] } {
  index.search(queries[0]!.code, radius);
  const results: Match[][] = [];
  const start = process.hrtime.bigint();
  while (results.length < queries.length && (results.length < minimum || seconds(start) < budgetSeconds)) {
    results.push(index.search(queries[results.length]!.code, radius));
  }
  return { qps: results.length / seconds(start), results };
}

/** Fraction of the oracle's matches the index returned (ids and distances), and whether lists are equal. */
export function recall(found: readonly Match[][], truth: readonly Match[][]): { recall: number; identical: boolean } {
  let expected = 0;
  let hit = 0;
  let identical = true;
  for (let q = 0; q < truth.length; q++) {
    const want = truth[q]!;
    const got = found[q]!;
    const keys = new Set(got.map((m) => `${m.id}:${m.distance}`));
    expected += want.length;
    for (const m of want) if (keys.has(`${m.id}:${m.distance}`)) hit++;
    if (got.length !== want.length || got.some((m, i) => m.id !== want[i]!.id || m.distance !== want[i]!.distance)) identical = false;
  }
  return { recall: expected === 0 ? 1 : hit / expected, identical };
}

/** Fraction of queries whose planted source came back at its planted distance or closer. */
export function plantedFound(found: readonly Match[][], queries: readonly PlantedQuery[]): number {
  let ok = 0;
  for (let q = 0; q < queries.length; q++) {
    const { sourceId, distance } = queries[q]!;
    if (found[q]!.some((m) => m.id === sourceId && m.distance <= distance)) ok++;
  }
  return ok / queries.length;
}

export function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
