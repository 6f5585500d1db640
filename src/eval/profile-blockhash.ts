/**
 * Blockhash in `rempart eval-profile`: the service hashes every upload with every
 * registered algorithm, so `POST /v1/match/image` also searches the upload's blockhash
 * (whole picture against whole picture, at blockhash's threshold), and victims' clients
 * register it beside PDQ. Today's matching answers those pairs; under the profile they are
 * answered only for pictures registered without PDQ, and never for a flat-graphic upload
 * (decision.ts `otherWholeAnswered`). This module measures both on the run's blockhash
 * codes (the runner's side pass): blockhash impostor set pairs by kind of upload, and the
 * recall blockhash gives, today and for a bank registered by blockhash alone. Pure: no I/O.
 */
import { codeDistance, readCode } from '../hashing/hamming.js';
import { MultiIndexHashIndex } from '../index/mih.js';
import { PDQ_REGIONS } from '../hashing/profile/profile.js';
import { DEFAULT_QUALITY_RULES, graphicCode, photoLike, registrable, unrelated, type CorpusEntry, type QualityRules, type Split } from './profile-analysis.js';
import { BLOCKHASH_THRESHOLD, allowed, codeHits, shippedRule, uploadQuality, type CodeHit, type DecisionRule } from './profile-rules.js';
import { ROLES, type PackedSet } from './profile-task.js';

const FULL = ROLES.indexOf('full');

/** What an upload is, as the profile's rules see it as a whole. */
export type UploadKind = 'under the floor' | 'flat graphic' | 'photo-like';
export const UPLOAD_KINDS: readonly UploadKind[] = ['under the floor', 'flat graphic', 'photo-like'];

export function uploadKind(set: PackedSet, rules: QualityRules = DEFAULT_QUALITY_RULES): UploadKind {
  if (uploadQuality(set) < rules.derivedFloor) return 'under the floor';
  const i = set.roles.indexOf(FULL);
  return i >= 0 && graphicCode(set, i, rules.graphic) ? 'flat graphic' : 'photo-like';
}


/** Blockhash distance between a photo's variant (query index, 1 = first transformation) and its registered picture (257: none). */
export function genuineBlockhash(photo: CorpusEntry, query: number): number {
  const codes = photo.result.blockhash;
  const q = codes?.queries[query];
  return codes && q && registrable(photo.result.registered) ? codeDistance(q, 0, codes.registered, 0) : 257;
}

/**
 * Today's matching of a photo's variant: the service's PDQ with dihedral within the PDQ
 * threshold (`pdqDistance`, the closest of its 8 codes), or its blockhash within blockhash's
 * (today's service answers both; a picture under the PDQ floor is not registered at all).
 */
export const matchesToday = (photo: CorpusEntry, query: number, pdqDistance: number, pdqThreshold: number): boolean =>
  pdqDistance <= pdqThreshold || genuineBlockhash(photo, query) <= BLOCKHASH_THRESHOLD;

/** Blockhash false set pairs as today's matching, the shipped profile, and the profile over a blockhash-only bank answer them. */
export interface FalseBlockhash {
  today: number;
  profile: number;
  profileLegacyBank: number;
}

/** One blockhash impostor set pair within the search radius. */
export interface BlockhashPair {
  query: string;
  registered: string;
  distance: number;
  upload: UploadKind;
  /** The registered picture passes the graphic gate (what victims register looks like this). */
  registeredPhotoLike: boolean;
  split: Split | null;
}

export interface BlockhashImpostors {
  radius: number;
  threshold: number;
  /** (upload, registrable image of an unrelated picture) set pairs per kind of upload. */
  setPairs: Record<UploadKind, number>;
  /** Set pairs at each blockhash distance ≤ radius, per kind of upload. */
  tail: Record<UploadKind, number[]>;
  /**
   * False set pairs within the threshold, as each matching answers them: today's (every
   * pair); the shipped profile, on this corpus, where every registered image holds a PDQ
   * hash; and the shipped profile against a bank registered by blockhash alone (older
   * clients), where the graphic gate and the floor are what is left.
   */
  falseMatches: FalseBlockhash;
  /** The same per kind of upload. */
  falseByUpload: Record<UploadKind, FalseBlockhash>;
  /** The closest pairs (up to 20) with a photo-like upload, by name. */
  nearestPhotoLike: BlockhashPair[];
  /** Query sets without blockhash codes (the side pass failed on them). */
  missing: number;
}

/**
 * Every upload's blockhash against every registrable image of an unrelated picture, through
 * the engine's exact index up to `radius`; the shipped rule (`rule`) decides each pair as the
 * service does, from the sets' whole-picture PDQ quality and texture.
 */
export function blockhashImpostors(entries: readonly CorpusEntry[], radius = 20, rule: DecisionRule = shippedRule(PDQ_REGIONS), rules: QualityRules = DEFAULT_QUALITY_RULES): BlockhashImpostors {
  const canRegister = entries.map((e) => registrable(e.result.registered, rules) && e.result.blockhash !== undefined);
  const index = new MultiIndexHashIndex({ expectedSize: entries.length });
  const code = new Uint8Array(32);
  entries.forEach((e, ei) => canRegister[ei] && index.add(ei, readCode(e.result.blockhash!.registered, 0, code).slice()));
  // Registrable images open to an upload: all, less its group's, less its concept's, plus both (counted twice).
  const total = canRegister.filter(Boolean).length;
  const count = (key: (e: CorpusEntry) => string | undefined) => {
    const m = new Map<string, number>();
    entries.forEach((e, ei) => {
      const k = key(e);
      if (canRegister[ei] && k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
    });
    return m;
  };
  const byGroup = count((e) => e.group);
  const byConcept = count((e) => e.concept);
  const byBoth = count((e) => (e.concept === undefined ? undefined : `${e.group}\u0000${e.concept}`));
  const setPairs = { 'under the floor': 0, 'flat graphic': 0, 'photo-like': 0 } as Record<UploadKind, number>;
  const tail = Object.fromEntries(UPLOAD_KINDS.map((k) => [k, new Array<number>(radius + 1).fill(0)])) as Record<UploadKind, number[]>;
  const none = (): FalseBlockhash => ({ today: 0, profile: 0, profileLegacyBank: 0 });
  const falseMatches = none();
  const falseByUpload = Object.fromEntries(UPLOAD_KINDS.map((k) => [k, none()])) as Record<UploadKind, FalseBlockhash>;
  const photoLikePairs: BlockhashPair[] = [];
  let missing = 0;
  for (const e of entries) {
    const open =
      total -
      (byGroup.get(e.group) ?? 0) -
      (e.concept === undefined ? 0 : (byConcept.get(e.concept) ?? 0) - (byBoth.get(`${e.group}\u0000${e.concept}`) ?? 0));
    e.result.queries.forEach((q, qi) => {
      if (!q) return;
      const bq = e.result.blockhash?.queries[qi];
      if (!bq) {
        missing++;
        return;
      }
      const kind = uploadKind(q, rules);
      setPairs[kind] += open;
      for (const m of index.search(readCode(bq, 0, code), radius)) {
        const r = entries[m.id]!;
        if (!unrelated(e, r)) continue;
        tail[kind][m.distance]!++;
        const pair: BlockhashPair = { query: `${e.name} / ${qi === 0 ? 'itself' : `variant ${qi}`}`, registered: r.name, distance: m.distance, upload: kind, registeredPhotoLike: photoLike(r.result.registered, rules), split: e.split === r.split ? e.split : null };
        if (kind === 'photo-like') photoLikePairs.push(pair);
        if (m.distance > BLOCKHASH_THRESHOLD) continue;
        const hit = (legacy: boolean): CodeHit => ({ kind: 'blockhash', distance: m.distance, query: q, i: q.roles.indexOf(FULL), registered: r.result.registered, j: 0, ...(legacy ? { legacy } : {}) });
        for (const into of [falseMatches, falseByUpload[kind]]) {
          into.today++;
          if (allowed(hit(false), rule)) into.profile++;
          if (allowed(hit(true), rule)) into.profileLegacyBank++;
        }
      }
    });
  }
  photoLikePairs.sort((a, b) => a.distance - b.distance);
  return { radius, threshold: BLOCKHASH_THRESHOLD, setPairs, tail, falseMatches, falseByUpload, nearestPhotoLike: photoLikePairs.slice(0, 20), missing };
}

/** Recall per transformation (rows: photos of one half) of blockhash as each matching answers it. */
export interface BlockhashRecall {
  name: string;
  /** Blockhash alone within its threshold (what a bank of blockhash-only registrations gets today). */
  blockhashToday: number;
  /** The same under the shipped profile (floor and graphic gate): what a blockhash-only bank gets now. */
  blockhashProfile: number;
  /** Variants that blockhash finds and the shipped profile (PDQ, every route) does not. */
  addsToProfile: number;
}

/**
 * Per transformation, over the given photos: how often blockhash finds the variant, today and
 * under the shipped profile's gates for a blockhash-only registration, and how many variants
 * it would add to the shipped profile's own decision (`profileMatches`).
 */
export function blockhashRecall(
  photos: readonly CorpusEntry[],
  transformations: readonly string[],
  profileMatches: (photo: number, transformation: number) => boolean,
  rule: DecisionRule = shippedRule(PDQ_REGIONS),
  radius = 31,
): BlockhashRecall[] {
  return transformations.map((name, t) => {
    let today = 0;
    let profile = 0;
    let adds = 0;
    photos.forEach((p, pi) => {
      const q = p.result.queries[t + 1];
      const codes = p.result.blockhash;
      if (!q || !codes?.queries[t + 1] || !registrable(p.result.registered)) return;
      const d = genuineBlockhash(p, t + 1);
      if (d <= BLOCKHASH_THRESHOLD) today++;
      const hits = codeHits(q, p.result.registered, radius, codeDistance, { query: codes.queries[t + 1]!, registered: codes.registered, legacy: true }).filter((h) => h.kind === 'blockhash');
      const legacyMatch = hits.some((h) => h.distance <= BLOCKHASH_THRESHOLD && allowed(h, rule));
      if (legacyMatch) profile++;
      if (legacyMatch && !profileMatches(pi, t)) adds++;
    });
    const n = Math.max(1, photos.length);
    return { name, blockhashToday: today / n, blockhashProfile: profile / n, addsToProfile: adds };
  });
}

/** What the report says of blockhash: its impostor pairs, and its recall on the report half. */
export interface BlockhashSummary {
  impostors: BlockhashImpostors;
  /** Report half, per transformation. */
  recall: BlockhashRecall[];
  /** Photos of the report half. */
  photos: number;
}

export function summariseBlockhash(
  entries: readonly CorpusEntry[],
  reportPhotos: readonly CorpusEntry[],
  transformations: readonly string[],
  profileMatches: (photo: number, transformation: number) => boolean,
): BlockhashSummary {
  return { impostors: blockhashImpostors(entries), recall: blockhashRecall(reportPhotos, transformations, profileMatches), photos: reportPhotos.length };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** The report's section on blockhash (markdown lines). */
export function blockhashMarkdown(s: BlockhashSummary): string[] {
  const im = s.impostors;
  const mean = (f: (r: BlockhashRecall) => number) => s.recall.reduce((a, r) => a + f(r), 0) / Math.max(1, s.recall.length);
  const adds = s.recall.reduce((a, r) => a + r.addsToProfile, 0);
  const l = ['## Blockhash: the other whole-picture hash the service searches', ''];
  l.push(
    '`POST /v1/match/image` hashes every upload with every registered algorithm, and the victim page and `POST /v1/hash` register PDQ and blockhash alike, ' +
      `so the service also meets the upload's blockhash against registered blockhash hashes (whole picture against whole picture, within ${im.threshold} of 256 bits). ` +
      "Today's matching answers every such pair (the \"today\" column above counts them). Under the profile a blockhash pair is answered only for a picture registered " +
      'without a PDQ hash (its case holds none: an older client registered blockhash alone), never for a flat-graphic upload, and nothing under the upload floor ' +
      '(`otherWholeAnswered` in src/hashing/profile/decision.ts, the service and this eval alike). Every registered image here holds PDQ: the profile figures above are its whole answer.',
    '',
    `Blockhash impostor set pairs (each upload against every registrable image of an unrelated picture, exact search up to ${im.radius} bits):`,
    '',
    `| upload | set pairs | at distance 0, 1, …, ${im.threshold} | within ${im.threshold} (today's matching answers them) | the profile answers | a bank registered by blockhash alone, under the profile |`,
    '|---|---|---|---|---|---|',
  );
  for (const k of UPLOAD_KINDS) {
    const f = im.falseByUpload[k];
    l.push(`| ${k} | ${im.setPairs[k].toLocaleString('en')} | ${im.tail[k].slice(0, im.threshold + 1).join(', ')} | ${f.today} | ${f.profile} | ${f.profileLegacyBank} |`);
  }
  l.push(
    `| all | ${UPLOAD_KINDS.reduce((a, k) => a + im.setPairs[k], 0).toLocaleString('en')} | | **${im.falseMatches.today}** | **${im.falseMatches.profile}** | ${im.falseMatches.profileLegacyBank} |`,
    '',
  );
  if (im.nearestPhotoLike.length) {
    l.push(`Closest photo-like uploads: ${im.nearestPhotoLike.slice(0, 8).map((p) => `${p.query} against ${p.registered} (${p.distance})`).join('; ')}.`, '');
  }
  if (im.missing) l.push(`(${im.missing} query sets had no blockhash code and are left out.)`, '');
  l.push(
    `Recall of blockhash alone on the report half (${s.photos} photos), mean over the transformations: ${pct(mean((r) => r.blockhashToday))} today, ` +
      `${pct(mean((r) => r.blockhashProfile))} under the profile for pictures registered by blockhash alone. ` +
      `Variants that blockhash finds and the shipped profile does not: **${adds}** of ${(s.photos * s.recall.length).toLocaleString('en')}` +
      (adds ? ` (${s.recall.filter((r) => r.addsToProfile).map((r) => `${r.name} ${r.addsToProfile}`).join(', ')})` : '') +
      '.',
    '',
  );
  return l;
}
