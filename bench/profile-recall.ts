/**
 * Recall of the matching profile's derivation against the derivation before the upright
 * hashes (issue 11, session 3), on photos only, in one run: each photo is registered and
 * each of its transformed copies searched under both rules, from the same decode, so the
 * difference is the derivation's alone. Every pair is matched at 31 bits; derived hashes
 * need PDQ quality ≥ 50 and pass the profile's own gates (as in the service). No distractor
 * is involved: false matches are `rempart eval-profile`'s job.
 *
 *   node dist/bench/profile-recall.js PHOTOS_DIR [--transformations a,b,…] [--split report|tune|all] [--shard k/n] [--previous b69c3be|a93bc4e]
 *
 * `--previous` names the commit whose derivation rules are compared (default b69c3be).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { listImageFiles, selectPhotos } from '../src/eval/corpus.js';
import { splitOf } from '../src/eval/profile-analysis.js';
import { TRANSFORMATIONS, applyTransformation, encodeLossless, getTransformation, loadWorkingCopy } from '../src/eval/transforms.js';
import { DEFAULT_MAX_SIDE } from '../src/eval/runner.js';
import { hammingDistance } from '../src/hashing/hamming.js';
import { lumaOf, type LumaImage } from '../src/hashing/profile/luma-image.js';
import { DEFAULT_DERIVE_RULES, registeredSet, querySet, type DeriveRules, type DerivedHash } from '../src/hashing/profile/derive.js';
import { PDQ_REGIONS } from '../src/hashing/profile/profile.js';
import { decodeToPixels } from '../src/pipeline/decode.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';

/**
 * The derivation of session 3 (b69c3be): before frame-centred windows of trimmed pictures,
 * tilts read from all four corners, up to 16 upright regions.
 */
export const SESSION3_RULES: DeriveRules = {
  ...DEFAULT_DERIVE_RULES,
  frameWindowDegrees: 0,
  tiltCorners: 4,
  upright: { ...DEFAULT_DERIVE_RULES.upright, maxRegions: DEFAULT_DERIVE_RULES.segments.maxRegions },
};

/** The derivation before upright hashes, the half-step query window and regions down to a tenth of the short side (a93bc4e). */
export const SESSION2_RULES: DeriveRules = {
  ...SESSION3_RULES,
  segments: { ...DEFAULT_DERIVE_RULES.segments, minBoxShare: 0.15 },
  upright: { ...DEFAULT_DERIVE_RULES.upright, minCoherence: Number.POSITIVE_INFINITY },
  queryWindowScales: [],
};

const PREVIOUS: Record<string, DeriveRules> = { b69c3be: SESSION3_RULES, a93bc4e: SESSION2_RULES };

const THRESHOLD = 31;

function matches(query: readonly DerivedHash[], registered: readonly DerivedHash[], minQuality: number): boolean {
  for (const q of query) {
    for (const r of registered) {
      if (!(q.role === 'full' && r.role === 'full') && q.quality < minQuality) continue;
      for (const code of q.hashes) if (hammingDistance(code, r.hashes[0]!) <= THRESHOLD) return true;
    }
  }
  return false;
}

const count = (set: readonly DerivedHash[]): number => set.reduce((n, h) => n + h.hashes.length, 0);

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      transformations: { type: 'string' },
      split: { type: 'string', default: 'all' },
      shard: { type: 'string', default: '0/1' },
      previous: { type: 'string', default: 'b69c3be' },
    },
  });
  const dir = positionals[0];
  if (!dir) throw new Error('usage: node dist/bench/profile-recall.js PHOTOS_DIR [--transformations a,b] [--split report|tune|all] [--shard k/n]');
  const names = values.transformations ? values.transformations.split(',') : TRANSFORMATIONS.map((t) => t.name);
  const [shard, shards] = values.shard!.split('/').map(Number) as [number, number];
  const photos = (await selectPhotos(listImageFiles(dir))).photos.filter(
    (p, i) => (values.split === 'all' || splitOf(basename(p.path)) === values.split) && i % shards === shard,
  );
  const previous = PREVIOUS[values.previous!];
  if (!previous) throw new Error(`--previous: one of ${Object.keys(PREVIOUS).join(', ')}`);
  const rules = { previous, current: DEFAULT_DERIVE_RULES } as const;
  const hits: Record<string, { previous: number; current: number }> = Object.fromEntries(names.map((n) => [n, { previous: 0, current: 0 }]));
  const codes = { previous: { registered: 0, query: 0 }, current: { registered: 0, query: 0 } };
  const decode = async (bytes: Uint8Array): Promise<LumaImage> => lumaOf((await decodeToPixels(bytes, DEFAULT_LIMITS, { fitInside: PDQ_REGIONS.decodeSide })).pixels);
  const started = performance.now();
  for (const photo of photos) {
    const working = await loadWorkingCopy(new Uint8Array(readFileSync(photo.path)), DEFAULT_MAX_SIDE);
    const original = await decode(await encodeLossless(working));
    const registered = { previous: registeredSet(original, rules.previous), current: registeredSet(original, rules.current) };
    codes.previous.registered += count(registered.previous);
    codes.current.registered += count(registered.current);
    for (const name of names) {
      const copy = await decode((await applyTransformation(working, getTransformation(name))).bytes);
      for (const which of ['previous', 'current'] as const) {
        const query = querySet(copy, rules[which]);
        codes[which].query += count(query);
        if (matches(query, registered[which], rules[which].minQuality)) hits[name]![which]++;
      }
    }
  }
  const pct = (n: number): string => `${((100 * n) / photos.length).toFixed(1)} %`;
  const out = [
    `Photos: ${photos.length} (${values.split} split, shard ${values.shard}), previous = ${values.previous} rules, threshold ${THRESHOLD} on every pair, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    '',
    '| transformation | previous derivation | current derivation |',
    '|---|---|---|',
    ...names.map((n) => `| ${n} | ${pct(hits[n]!.previous)} (${hits[n]!.previous}) | ${pct(hits[n]!.current)} (${hits[n]!.current}) |`),
    `| **overall** | ${pct(names.reduce((s, n) => s + hits[n]!.previous, 0) / names.length)} | ${pct(names.reduce((s, n) => s + hits[n]!.current, 0) / names.length)} |`,
    '',
    `Registered codes per image: ${(codes.previous.registered / photos.length).toFixed(1)} → ${(codes.current.registered / photos.length).toFixed(1)}; ` +
      `query codes per upload: ${(codes.previous.query / photos.length / names.length).toFixed(1)} → ${(codes.current.query / photos.length / names.length).toFixed(1)} ` +
      "(the profile's own whole-picture hash; the service registers the canonical PDQ instead)",
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
