import {
  DIHEDRAL_NAMES,
  type ComputedHash,
  type DihedralName,
  getAlgorithm,
  hexToBytes,
  parseHash,
} from '../hashing/index.js';
import { RempartError } from '../errors.js';
import { PDQ_REGIONS, getProfile, pairKind, thresholdFor, type MatchingProfile, type Role } from '../hashing/profile/profile.js';
import { otherWholeAnswered, regionsMatch, type DecisionRules, type RegionPair, type UploadKind } from '../hashing/profile/decision.js';
import type { WireDerivedSet } from '../hashing/profile/wire.js';
import type { Matcher } from '../index/matcher.js';
import type { HashingPool, ImageHashes } from '../pipeline/pool.js';
import type { HashStore, PlatformRecord } from '../store/types.js';
import { withItem } from './cases.js';
import type { PlatformSettingsService } from './platform-settings.js';
import type { EngineEvents } from './events.js';

/** A query hash; `dihedral` carries the 7 other dihedral hashes for rotation/mirror matching. */
export interface QueryHash {
  algorithm: string;
  value: string;
  /** PDQ quality of the upload's hash (0..100): with it, the hash may also meet registered derived hashes. */
  quality?: number;
  dihedral?: Partial<Record<Exclude<DihedralName, 'original'>, string>>;
}

export interface MatchOut {
  /** Opaque hash id (never the case number). */
  id: string;
  algorithm: string;
  distance: number;
  /** Which transform of the query matched, when dihedral matching was asked for. */
  transform?: DihedralName;
  /** Opaque id of the registered item (image) the hash belongs to. */
  item?: string;
  /** What the registered hash was computed from ('full', 'trimmed', 'window', 'region', …), and its box. */
  role?: string;
  box?: [number, number, number, number];
  /** The turn of that box in degrees, when it was boxed along the content's own orientation (upright windows and regions). */
  angle?: number;
  /** With a matching profile: which of the upload's derived hashes matched (role, box in fractions). */
  via?: { role: Role; box: [number, number, number, number]; angle?: number };
  /** Follower mode: the bank (base URL) the matched hash comes from. */
  source?: string;
}

export interface MatchOptions {
  /** Also match rotated (90/180/270) and mirrored copies (algorithms with dihedral hashes). */
  dihedral?: boolean;
  /**
   * Also search with a matching profile's query set (trimmed content, the upright window
   * of a tilted copy, content-anchored regions), each under its profile threshold, under
   * its decision rules. Batches: its upload rules for hashes that carry their quality.
   */
  profile?: string;
}

const OTHER_DIHEDRALS = DIHEDRAL_NAMES.slice(1) as Exclude<DihedralName, 'original'>[];

/** One parsed query: the variants to search (just the hash, or its 8 dihedral hashes). */
interface PreparedQuery {
  algorithm: string;
  variants: Uint8Array[];
  transforms: DihedralName[];
  /** Search radius when it is not the algorithm's threshold (a profile's derived hashes). */
  radius?: number;
  /** The profile whose pair thresholds filter what the radius found. */
  profile?: MatchingProfile;
  /** The query hash's quality, when known (image matching). */
  quality?: number;
  /** The upload is a flat graphic (its profile set says so): its whole-picture hash meets only whole pictures. */
  wholeOnly?: boolean;
  /**
   * A whole-picture hash of another algorithm than the profile's (blockhash), searched under a
   * profile: its pairs are answered as the profile's rules say (decision.ts otherWholeAnswered).
   */
  other?: { upload: UploadKind; rules: DecisionRules; profileAlgorithm: string };
  via?: MatchOut['via'];
  /** Not searched: the profile's rules answer nothing for it (a batch hash under the quality floor). */
  nothing?: boolean;
}

/** What one request may cost: the bounds that keep a hostile or unlucky batch from holding the server. */
export interface MatchLimits {
  /** Query hashes per batch call. */
  maxBatch: number;
  /** Matches returned per query hash, closest first; the rest are cut and the result says `truncated`. */
  maxMatchesPerHash: number;
  /** Matching time one request may take before it is refused with 503 OVERLOADED. */
  budgetMs: number;
  /** Longest stretch of matching before other requests get the event loop (default MATCH_SLICE_MS). */
  sliceMs?: number;
}

/** Matching runs in slices of about this long, then yields so other requests and probes are served. */
export const MATCH_SLICE_MS = 10;

/** The matches of one query hash. */
export interface HashResult {
  matches: MatchOut[];
  /** More stored hashes were within the threshold than the per-hash cap: only the closest are listed. */
  truncated: boolean;
}

/** The matches of one query hash, with the stored ids they came from (announced once the answer is decided). */
interface Found extends HashResult {
  hashIds: number[];
}

/** A search hit before its public ref is known. */
interface Hit {
  id: number;
  distance: number;
  transform: DihedralName | undefined;
}

/** The platform's side: batch and image matching against the in-memory index. */
export class MatchService {
  private readonly sliceMs: number;

  constructor(
    private readonly store: Pick<HashStore, 'hashFacts' | 'registeredWith'>,
    private readonly matcher: Matcher,
    /** Announces the matches returned (`matches`): match counters and metrics observe it. */
    private readonly events: EngineEvents,
    private readonly hasher: Pick<HashingPool, 'hashImage'>,
    private readonly thresholds: Readonly<Record<string, number>>,
    private readonly limits: MatchLimits,
    /** A platform's own (stricter) thresholds; absent: the bank's for everyone. */
    private readonly platformThresholds?: Pick<PlatformSettingsService, 'effectiveThresholds'>,
  ) {
    this.sliceMs = limits.sliceMs ?? MATCH_SLICE_MS;
  }


  /** The bank's threshold for an algorithm. */
  thresholdOf(algorithm: string): number {
    return this.thresholds[algorithm] ?? getAlgorithm(algorithm).defaultThreshold;
  }

  async matchHashes(platform: PlatformRecord, queries: readonly QueryHash[], options: MatchOptions = {}): Promise<HashResult[]> {
    if (queries.length === 0) throw new RempartError('BAD_REQUEST', 'hashes must hold at least one hash');
    if (queries.length > this.limits.maxBatch) {
      throw new RempartError('BAD_REQUEST', `at most ${this.limits.maxBatch} hashes per call, got ${queries.length}`);
    }
    const prepared = queries.map((q, i) => prepareQuery(q, i, options.dihedral === true));
    // As for an image: a hash of the profile's algorithm that says its quality is under the floor matches nothing.
    const profile = options.profile === undefined ? undefined : getProfile(options.profile);
    if (profile?.decision.uploadFloor) {
      for (const p of prepared) if (p.algorithm === profile.algorithm && p.quality !== undefined && p.quality < profile.minQuality) p.nothing = true;
    }
    const found = await this.search(platform, prepared);
    this.announce(platform, prepared, found);
    return found.map(({ matches, truncated }) => ({ matches, truncated }));
  }

  async matchImage(
    platform: PlatformRecord,
    bytes: Uint8Array,
    options: MatchOptions = {},
  ): Promise<{ image: ImageHashes; matches: MatchOut[]; truncated: boolean }> {
    const profile = options.profile === undefined ? undefined : getProfile(options.profile);
    const image = await this.hasher.hashImage(bytes, {
      dihedral: options.dihedral === true,
      ...(profile ? { profile: { name: profile.name, side: 'query' as const } } : {}),
    });
    const prepared = image.hashes.map((h) => fromComputed(h, options.dihedral === true));
    if (profile && image.derived) {
      // A near-blank upload (PDQ quality under the floor) is decided by almost no edges: it matches nothing.
      const own = image.hashes.find((h) => h.algorithm === profile.algorithm);
      const upload: UploadKind = {
        underFloor: own !== undefined && (own.quality ?? 0) < profile.minQuality,
        graphic: image.derived.hashes.some((h) => h.role === 'full' && h.graphic),
      };
      if (profile.decision.uploadFloor && upload.underFloor) return { image, matches: [], truncated: false };
      for (const p of prepared) {
        // A flat graphic's hash is decided by a few edges: it would meet windows and regions of unrelated graphics.
        if (p.algorithm === profile.algorithm) p.wholeOnly = upload.graphic;
        // Blockhash is answered only for pictures registered without the profile's algorithm (decision.ts).
        else p.other = { upload, rules: profile.decision, profileAlgorithm: profile.algorithm };
      }
      prepared.push(...fromDerived(profile, image.derived, options.dihedral === true));
    }
    const found = await this.search(platform, prepared, true);
    const decided = profile ? decideItems(found, profile) : found;
    this.announce(platform, prepared, decided);
    const matches = bestPerItem(decided.flatMap((r) => r.matches));
    return { image, matches, truncated: found.some((r) => r.truncated) };
  }

  /**
   * Searches query by query, yielding the event loop every MATCH_SLICE_MS so that one large
   * batch never stalls the others (or the health probes), and keeps only the closest
   * `maxMatchesPerHash` hits of each query (the index builds no more than that), so the
   * answer and its memory stay bounded however clustered the index is. Past the budget the
   * request is refused, not half-answered: a platform must not take a partial answer for
   * "no match". `describeItems`: also say which item and role each match is (image matching,
   * answered per item).
   */
  private async search(platform: PlatformRecord, queries: PreparedQuery[], describeItems = false): Promise<Found[]> {
    const { maxMatchesPerHash: cap, budgetMs } = this.limits;
    const own = await this.platformThresholds?.effectiveThresholds(platform);
    // A platform's threshold caps every search of its algorithm, derived pairs included.
    const limitOf = (algorithm: string) => own?.[algorithm] ?? this.thresholdOf(algorithm);
    const started = performance.now();
    let sliceStart = started;
    const found: Hit[][] = new Array(queries.length);
    const truncated: boolean[] = new Array(queries.length).fill(false);
    for (let i = 0; i < queries.length; i++) {
      if (performance.now() - sliceStart >= this.sliceMs) {
        await yieldToEventLoop();
        sliceStart = performance.now();
        if (sliceStart - started > budgetMs) {
          throw new RempartError(
            'OVERLOADED',
            `matching this batch took longer than the budget of ${budgetMs / 1000} s (${i} of ${queries.length} hashes done); ` +
              'retry with smaller batches or later',
            { retryAfterSeconds: Math.ceil(budgetMs / 1000) },
          );
        }
      }
      // One more than the cap, closest first: the extra one only says that the list was cut.
      const hits = queries[i]!.nothing ? [] : this.searchOne(queries[i]!, cap + 1, limitOf(queries[i]!.algorithm));
      if (hits.length > cap) {
        hits.length = cap;
        truncated[i] = true;
      }
      found[i] = hits;
    }

    const ids = [...new Set(found.flatMap((hits) => hits.map((h) => h.id)))];
    if (ids.length === 0) return found.map((_, i) => ({ matches: [], truncated: truncated[i]!, hashIds: [] }));
    // One query for the whole batch, and only when something matched (rarely).
    const facts = await this.store.hashFacts(ids);
    // Another algorithm's pairs under a profile: which were registered with the profile's own algorithm, which then decides (one more query, rarer still).
    const asked = new Map<string, number[]>();
    found.forEach((hits, i) => {
      const other = queries[i]!.other;
      if (!other || other.rules.otherWhole === 'any' || other.upload.graphic) return;
      const list = asked.get(other.profileAlgorithm) ?? [];
      for (const m of hits) if (facts.has(m.id)) list.push(m.id);
      if (list.length > 0) asked.set(other.profileAlgorithm, list);
    });
    const holding = new Map<string, Set<number>>();
    for (const [algorithm, list] of asked) holding.set(algorithm, await this.store.registeredWith(list, algorithm));
    return found.map((ms, i) => {
      const kept = ms
        // A hash withdrawn between search and lookup has no ref any more: drop it.
        .filter((m) => facts.has(m.id))
        // A profile's derived hash meets each registered role under the threshold of that kind of pair.
        .filter((m) => {
          const q = queries[i]!;
          if (q.other) return otherWholeAnswered(q.other.upload, holding.get(q.other.profileAlgorithm)?.has(m.id) ?? false, q.other.rules);
          const profile = q.profile ?? (q.algorithm === PDQ_REGIONS.algorithm ? PDQ_REGIONS : undefined);
          if (!profile) return true;
          // The whole picture against the whole picture keeps the algorithm's (operator's) threshold.
          const queryRole = q.via?.role ?? 'full';
          const registeredRole = asRole(facts.get(m.id)!.role);
          // (A flat graphic upload within the profile's tighter distance only: unrelated graphics collide at PDQ's.)
          if (pairKind(queryRole, registeredRole) === 'full') return !q.wholeOnly || m.distance <= profile.decision.graphicWhole;
          // A flat or near-blank upload hashes to a near-degenerate code that meets windows and
          // trimmed hashes of unrelated images (eval-profile): derived pairs need a query of known,
          // sufficient quality, as derived registered hashes do.
          if (q.quality === undefined || q.quality < profile.minQuality || q.wholeOnly) return false;
          return m.distance <= Math.min(thresholdFor(profile, queryRole, registeredRole), limitOf(q.algorithm));
        });
      return {
        truncated: truncated[i]!,
        hashIds: kept.map((m) => m.id),
        matches: kept.map((m) => {
          const fact = facts.get(m.id)!;
          const out: MatchOut = { id: fact.ref, algorithm: queries[i]!.algorithm, distance: m.distance };
          if (describeItems) {
            out.item = fact.itemRef;
            out.role = fact.role;
            const box = fact.detail?.box;
            if (Array.isArray(box)) out.box = box as [number, number, number, number];
            const angle = fact.detail?.angle;
            if (typeof angle === 'number') out.angle = angle;
          }
          if (m.transform !== undefined) out.transform = m.transform;
          if (fact.source !== undefined) out.source = fact.source;
          if (queries[i]!.via) out.via = queries[i]!.via;
          return out;
        }),
      };
    });
  }

  /** `ceiling`: the platform's threshold for the query's algorithm (the bank's unless it chose a stricter one). */
  private searchOne(query: PreparedQuery, limit: number, ceiling: number): Hit[] {
    const radius = query.radius === undefined ? ceiling : Math.min(query.radius, ceiling);
    if (query.variants.length === 1) {
      return this.matcher.search(query.algorithm, query.variants[0]!, radius, limit).map((m) => ({ ...m, transform: undefined }));
    }
    return this.matcher
      .searchVariants(query.algorithm, query.variants, radius, limit)
      .map((m) => ({ id: m.id, distance: m.distance, transform: query.transforms[m.variant] }));
  }

  /** Announces what is answered (match counters and metrics count returned matches only, never a pair the rules turned down). */
  private announce(platform: PlatformRecord, queries: PreparedQuery[], found: Found[]): void {
    const hashIds: number[] = [];
    const byAlgorithm: Record<string, number> = {};
    found.forEach(({ hashIds: ids }, i) => {
      if (ids.length === 0) return;
      const { algorithm } = queries[i]!;
      byAlgorithm[algorithm] = (byAlgorithm[algorithm] ?? 0) + ids.length;
      for (const id of ids) hashIds.push(id);
    });
    const truncatedQueries = found.filter((f) => f.truncated).length;
    if (hashIds.length === 0 && truncatedQueries === 0) return;
    this.events.emit('matches', { platform: platform.name, hashIds, byAlgorithm, truncatedQueries });
  }
}

/** Lets queued I/O (other requests, health probes) run before the next slice. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function prepareQuery(query: QueryHash, index: number, dihedral: boolean): PreparedQuery {
  try {
    let parsed = parseHash({ algorithm: query.algorithm, value: query.value });
    // A quality given for an algorithm that has one is checked and kept (others never had it checked: ignored).
    if (query.quality !== undefined && parsed.algorithm.hasQuality) parsed = parseHash({ algorithm: query.algorithm, value: query.value, quality: query.quality });
    const algorithm = parsed.algorithm.name;
    const quality = parsed.quality === undefined ? {} : { quality: parsed.quality };
    if (!dihedral || !parsed.algorithm.hasDihedral) {
      return { algorithm, variants: [parsed.bytes], transforms: ['original'], ...quality };
    }
    const variants = [parsed.bytes];
    const transforms: DihedralName[] = ['original'];
    for (const name of OTHER_DIHEDRALS) {
      const hex = query.dihedral?.[name];
      if (hex === undefined) {
        throw new RempartError(
          'BAD_REQUEST',
          `dihedral matching needs the 7 other dihedral hashes of each ${algorithm} query; "${name}" is missing ` +
            '(POST /v1/hash?dihedral=true or `rempart hash --dihedral` computes them)',
        );
      }
      variants.push(hexToBytes(hex));
      transforms.push(name);
    }
    return { algorithm, variants, transforms, ...quality };
  } catch (error) {
    throw withItem(error, index);
  }
}

/**
 * A profile's query set as searches: the whole picture is already searched as the plain
 * algorithm hash, so its 'full' entry is skipped; the others search under the profile's
 * threshold for their kind (region hashes meet registered regions; registered hashes
 * carry no role until items land, so the region threshold is used for them).
 */
function fromDerived(profile: MatchingProfile, set: WireDerivedSet, dihedral: boolean): PreparedQuery[] {
  return set.hashes
    .filter((h) => h.role !== 'full')
    .map((h) => {
      const prepared = fromComputed(h, dihedral);
      // The widest threshold this hash may meet; each registered role's own is applied after.
      prepared.radius = Math.max(thresholdFor(profile, h.role, 'region'), thresholdFor(profile, h.role, 'full'));
      prepared.profile = profile;
      prepared.via = { role: h.role, box: h.box, ...(h.angle === undefined ? {} : { angle: h.angle }) };
      return prepared;
    });
}

const ROLES: readonly Role[] = ['full', 'trimmed', 'window', 'region', 'tilt'];
/** A stored role as a profile role (roles of other kinds of hash, e.g. video frames, count as whole pictures). */
const asRole = (role: string): Role => (ROLES.includes(role as Role) ? (role as Role) : 'full');

/**
 * The profile's decision rule per registered item (decision.ts): an item found through the
 * upload's whole picture, trimmed content or windows is a match; an item found through the
 * upload's regions only is one when a region is within the single-region distance, or when
 * two pairs of different regions (region against region) map the upload onto it alike.
 * Matches of items turned down are dropped.
 */
function decideItems(found: Found[], profile: MatchingProfile): Found[] {
  const regions = new Map<string, RegionPair[]>();
  const accepted = new Set<string>();
  found.forEach(({ matches }, q) => {
    for (const m of matches) {
      const key = itemKey(m);
      if (m.via?.role !== 'region' || m.distance <= profile.decision.singleRegion) accepted.add(key);
      else if (m.role === 'region' && m.box) {
        let list = regions.get(key);
        if (!list) regions.set(key, (list = []));
        list.push({ queryKey: q, registeredKey: m.id, query: m.via.box, registered: m.box, distance: m.distance });
      }
    }
  });
  for (const [key, pairs] of regions) if (!accepted.has(key) && regionsMatch(pairs, profile.decision)) accepted.add(key);
  return found.map((f) => {
    const keep = f.matches.map((m) => accepted.has(itemKey(m)));
    return { truncated: f.truncated, matches: f.matches.filter((_, k) => keep[k]), hashIds: f.hashIds.filter((_, k) => keep[k]) };
  });
}

/** Keyed by bank too: a follower of several banks may hold two items with one ref. */
const itemKey = (m: MatchOut): string => `${m.source ?? ''} ${m.item ?? m.id}`;

/** One answer per registered item (an image): the closest of its hashes that any search of the upload found. */
function bestPerItem(matches: MatchOut[]): MatchOut[] {
  const best = new Map<string, MatchOut>();
  for (const m of matches) {
    const key = itemKey(m);
    const held = best.get(key);
    if (!held || m.distance < held.distance) best.set(key, m);
  }
  return [...best.values()].sort((a, b) => a.distance - b.distance || a.id.localeCompare(b.id));
}

function fromComputed(hash: Pick<ComputedHash, 'algorithm' | 'value' | 'dihedral' | 'quality'>, dihedral: boolean): PreparedQuery {
  const variants = [hexToBytes(hash.value)];
  const transforms: DihedralName[] = ['original'];
  if (dihedral && hash.dihedral) {
    for (const name of OTHER_DIHEDRALS) {
      const hex = hash.dihedral[name];
      if (hex) {
        variants.push(hexToBytes(hex));
        transforms.push(name);
      }
    }
  }
  const prepared: PreparedQuery = { algorithm: hash.algorithm, variants, transforms };
  if (hash.quality !== undefined) prepared.quality = hash.quality;
  return prepared;
}
