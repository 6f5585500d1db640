/**
 * `rempart eval-profile`: hashes the photo corpus (every transformation) and the
 * distractor corpus through the matching profile on the service's worker pool, caches
 * the hashes (never an image) so analyses can be re-run, and analyses them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { basename, join } from 'node:path';
import { WorkerPool } from '../pipeline/worker-pool.js';
import { DEFAULT_MAX_QUEUE } from '../pipeline/options.js';
import { locateEvalWorker } from '../worker-location.js';
import { getProfile } from '../hashing/profile/profile.js';
import { listImageFiles, selectPhotos } from './corpus.js';
import { MIN_DISTRACTOR_SIDE, fetchDistractors } from './distractors.js';
import { DEFAULT_DEDUPE_RULES, findCopies, fingerprint, type DedupeRules, type Fingerprint } from './dedupe.js';
import { BLOCKHASH_TASK, PROFILE_TASK, type BlockhashCodes, type PackedSet, type ProfileResult, type ProfileTask } from './profile-task.js';
import { splitOf, type CorpusEntry } from './profile-analysis.js';
import { TRANSFORMATIONS } from './transforms.js';

export interface ProfileRunOptions {
  photosDir: string;
  corpusDir: string;
  profile: string;
  maxSide: number;
  /** Distractors to hash (0: none). */
  distractors: number;
  threads?: number;
  transformations?: readonly string[];
  log?: (line: string) => void;
  onProgress?: (done: number, total: number, name: string) => void;
  /** How copies of one picture are found and merged before hashing (dedupe.ts); null: keep every file. */
  dedupe?: DedupeRules | null;
}

/** A corpus file left out because it shows the same picture as an earlier one (dedupe.ts). */
export interface MergedCopy {
  name: string;
  group: string;
  /** The file kept instead. */
  copyOf: string;
  copyOfGroup: string;
}

export interface ProfileRun {
  profile: string;
  transformations: { name: string; family: string }[];
  photos: CorpusEntry[];
  distractors: CorpusEntry[];
  hashSeconds: number;
  /** Corpus files hashed in this run, and files whose hashes came from the cache of an earlier run. */
  hashedFiles: number;
  cachedFiles: number;
  /** Corpus files whose blockhash codes (side cache) were computed in this run. */
  blockhashFiles: number;
  /** Files merged into an earlier copy of the same picture before hashing, and the rule used (null: none). */
  merged: MergedCopy[];
  dedupe: DedupeRules | null;
  machine: { cpu: string; cores: number; node: string };
}

/** Bumped whenever the derivation changes, so stale cached hashes are never reused. */
export const CACHE_VERSION = 8;

type Cached = Omit<ProfileResult, 'registered' | 'queries' | 'baseline'> & {
  registered: string;
  queries: (string | null)[];
  baseline: { registered: string; queries: (string | null)[] };
};

const b64 = (a: Uint8Array | Uint32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const words = (s: string): Uint32Array => {
  const b = Buffer.from(s, 'base64');
  return new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const b64f = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const floats = (s: string): Float32Array => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const packSetText = (s: PackedSet): string =>
  JSON.stringify({ w: b64(s.words), r: b64(s.roles), q: b64(s.quality), f: b64(s.flat), l: b64(s.levels), b: b64f(s.boxes), h: s.hashes });
const unpackSetText = (t: string): PackedSet => {
  const o = JSON.parse(t) as { w: string; r: string; q: string; f: string; l: string; b: string; h: number };
  return { words: words(o.w), roles: bytes(o.r), quality: bytes(o.q), flat: bytes(o.f), levels: bytes(o.l), boxes: floats(o.b), hashes: o.h };
};
function toCache(r: ProfileResult): Cached {
  return {
    ...r,
    registered: packSetText(r.registered),
    queries: r.queries.map((q) => (q ? packSetText(q) : null)),
    baseline: { registered: b64(r.baseline.registered), queries: r.baseline.queries.map((q) => (q ? b64(q) : null)) },
  };
}
function fromCache(c: Cached): ProfileResult {
  return {
    ...c,
    registered: unpackSetText(c.registered),
    queries: c.queries.map((q) => (q ? unpackSetText(q) : null)),
    baseline: { registered: words(c.baseline.registered), queries: c.baseline.queries.map((q) => (q ? words(q) : null)) },
  };
}

/** Cache file of one corpus file's hashes: keyed by path, size, mtime, profile, transformations and version. */
function cacheKey(path: string, task: Omit<ProfileTask, 'bytes'>): string {
  const stat = statSync(path);
  return createHash('sha256')
    .update(JSON.stringify([CACHE_VERSION, path, stat.size, stat.mtimeMs, task.kind, task.profile, task.maxSide, task.transformations]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Bumped when the blockhash side pass changes. Its cache sits beside the profile's (same
 * key fields, its own version), so blockhash codes were added without re-hashing the sets.
 */
export const BLOCKHASH_CACHE_VERSION = 1;

function blockhashCacheKey(path: string, task: Omit<ProfileTask, 'bytes'>): string {
  const stat = statSync(path);
  return createHash('sha256')
    .update(JSON.stringify(['blockhash', BLOCKHASH_CACHE_VERSION, path, stat.size, stat.mtimeMs, task.kind, task.maxSide, task.transformations]))
    .digest('hex')
    .slice(0, 32);
}

const blockhashToCache = (c: BlockhashCodes) => ({ registered: b64(c.registered), queries: c.queries.map((q) => (q ? b64(q) : null)) });
const blockhashFromCache = (c: ReturnType<typeof blockhashToCache>): BlockhashCodes => ({
  registered: words(c.registered),
  queries: c.queries.map((q) => (q ? words(q) : null)),
});

export async function runProfileHashing(options: ProfileRunOptions): Promise<ProfileRun> {
  const log = options.log ?? (() => {});
  getProfile(options.profile);
  const transformations = (options.transformations ?? TRANSFORMATIONS.map((t) => t.name)).map((name) => TRANSFORMATIONS.find((t) => t.name === name)!);
  const photos = (await selectPhotos(listImageFiles(options.photosDir))).photos;
  const distractorFiles = options.distractors > 0 ? await fetchDistractors(options.corpusDir, options.distractors, log) : [];
  const cacheDir = join(options.corpusDir, 'cache', options.profile);
  mkdirSync(cacheDir, { recursive: true });
  const blockhashDir = join(options.corpusDir, 'cache', 'blockhash');
  mkdirSync(blockhashDir, { recursive: true });
  const allJobs = [
    ...photos.map((p) => ({ path: p.path, kind: 'photo' as const, group: `photo:${basename(p.path)}`, name: basename(p.path), concept: undefined as string | undefined })),
    // One package reuses its own artwork (an icon with and without a badge, clipart
    // variants, recoloured sprites): those are derivatives of each other, not impostors.
    // Distractors are paired only across packages; photos with everything else.
    ...distractorFiles.map((d) => ({ path: d.path, kind: 'distractor' as const, group: `package:${d.source}`, name: d.group, concept: d.concept })),
  ];
  const rules = options.dedupe === undefined ? DEFAULT_DEDUPE_RULES : options.dedupe;
  const copyOf = rules ? await corpusCopies(allJobs.map((j) => j.path), rules, options.corpusDir, log) : allJobs.map(() => -1);
  const merged: MergedCopy[] = [];
  allJobs.forEach((j, i) => {
    const first = allJobs[copyOf[i]!];
    if (first) merged.push({ name: j.name, group: j.group, copyOf: first.name, copyOfGroup: first.group });
  });
  if (rules) log(`one copy of each picture: ${merged.length} of ${allJobs.length} files merged into an earlier copy`);
  const jobs = allJobs.filter((_, i) => copyOf[i] === -1);
  const pool = new WorkerPool({ filename: locateEvalWorker(), threads: options.threads ?? availableParallelism(), maxQueue: DEFAULT_MAX_QUEUE, work: 'evaluation' });
  const started = performance.now();
  const entries: (CorpusEntry | undefined)[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  let hashedFiles = 0;
  let cachedFiles = 0;
  let blockhashFiles = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < jobs.length; i = next++) {
      const job = jobs[i]!;
      const spec: Omit<ProfileTask, 'bytes'> = {
        kind: job.kind,
        profile: options.profile,
        transformations: job.kind === 'photo' ? transformations.map((t) => t.name) : [],
        maxSide: options.maxSide,
      };
      const cacheFile = join(cacheDir, `${cacheKey(job.path, spec)}.json`);
      let result: ProfileResult | undefined;
      if (existsSync(cacheFile)) {
        result = fromCache(JSON.parse(readFileSync(cacheFile, 'utf8')) as Cached);
        cachedFiles++;
      } else {
        const bytes = new Uint8Array(readFileSync(job.path));
        try {
          result = await pool.run<ProfileTask, ProfileResult>({ ...spec, bytes }, { name: PROFILE_TASK, transferList: [bytes.buffer as ArrayBuffer] });
          writeFileSync(cacheFile, JSON.stringify(toCache(result)));
          hashedFiles++;
        } catch (error) {
          log(`skipped ${job.path}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (result) {
        // The service's blockhash of the same pictures (what /v1/match/image also searches), from its own side cache.
        const sideFile = join(blockhashDir, `${blockhashCacheKey(job.path, spec)}.json`);
        try {
          if (existsSync(sideFile)) result.blockhash = blockhashFromCache(JSON.parse(readFileSync(sideFile, 'utf8')) as ReturnType<typeof blockhashToCache>);
          else {
            const bytes = new Uint8Array(readFileSync(job.path));
            result.blockhash = await pool.run<ProfileTask, BlockhashCodes>({ ...spec, bytes }, { name: BLOCKHASH_TASK, transferList: [bytes.buffer as ArrayBuffer] });
            writeFileSync(sideFile, JSON.stringify(blockhashToCache(result.blockhash)));
            blockhashFiles++;
          }
        } catch (error) {
          log(`no blockhash codes for ${job.path}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      const name = `${job.kind === 'photo' ? '' : 'distractor:'}${basename(job.path)}`;
      if (result && (job.kind === 'photo' || Math.min(result.width, result.height) >= MIN_DISTRACTOR_SIDE)) {
        entries[i] = { name: job.name, kind: job.kind, group: job.group, split: splitOf(job.name), result, ...(job.concept ? { concept: job.concept } : {}) };
      }
      options.onProgress?.(++done, jobs.length, name);
    }
  };
  try {
    await Promise.all(Array.from({ length: (options.threads ?? availableParallelism()) * 2 }, worker));
  } finally {
    await pool.close();
  }
  const kept = entries.filter((e): e is CorpusEntry => e !== undefined);
  return {
    profile: options.profile,
    transformations: transformations.map((t) => ({ name: t.name, family: t.family })),
    photos: kept.filter((e) => e.kind === 'photo'),
    distractors: kept.filter((e) => e.kind === 'distractor'),
    hashSeconds: (performance.now() - started) / 1000,
    hashedFiles,
    cachedFiles,
    blockhashFiles,
    merged,
    dedupe: rules,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version },
  };
}

/** Bumped when the comparison changes (DEDUPE_PRINTS_VERSION: when the fingerprint does). */
const DEDUPE_VERSION = 2;
const DEDUPE_PRINTS_VERSION = 1;

/**
 * Which files copy an earlier one (dedupe.ts), remembered per file list and rules in the
 * corpus cache; each file's fingerprint is cached too (public Debian artwork and the photo
 * corpus, both on disk already), keyed by path, size and time.
 */
export async function corpusCopies(paths: readonly string[], rules: DedupeRules, corpusDir: string, log: (line: string) => void): Promise<number[]> {
  const stamp = (p: string) => {
    const st = statSync(p);
    return `${p}|${st.size}|${st.mtimeMs}`;
  };
  const stamps = paths.map(stamp);
  const key = createHash('sha256').update(JSON.stringify([DEDUPE_VERSION, DEDUPE_PRINTS_VERSION, rules, stamps])).digest('hex').slice(0, 32);
  mkdirSync(join(corpusDir, 'cache'), { recursive: true });
  const file = join(corpusDir, 'cache', `copies-${key}.json`);
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { copyOf: number[] }).copyOf;
  const printsFile = join(corpusDir, 'cache', `fingerprints-v${DEDUPE_PRINTS_VERSION}.json`);
  const known = existsSync(printsFile) ? (JSON.parse(readFileSync(printsFile, 'utf8')) as Record<string, { a: number; t: string } | null>) : {};
  const prints: (Fingerprint | undefined)[] = new Array(paths.length);
  let next = 0;
  let made = 0;
  const started = performance.now();
  const one = async (): Promise<void> => {
    for (let i = next++; i < paths.length; i = next++) {
      const held = known[stamps[i]!];
      if (held !== undefined) {
        prints[i] = held ? { aspect: held.a, thumb: new Uint8Array(Buffer.from(held.t, 'base64')) } : undefined;
        continue;
      }
      const print = await fingerprint(paths[i]!);
      prints[i] = print;
      known[stamps[i]!] = print ? { a: print.aspect, t: Buffer.from(print.thumb).toString('base64') } : null;
      if (++made % 2000 === 0) log(`fingerprints: ${made} made`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, one));
  if (made > 0) writeFileSync(printsFile, JSON.stringify(known));
  const { copyOf } = findCopies(prints, rules);
  log(`fingerprints (${made} made) and comparison of ${paths.length} files: ${Math.round((performance.now() - started) / 1000)} s`);
  writeFileSync(file, JSON.stringify({ copyOf }));
  return copyOf;
}
