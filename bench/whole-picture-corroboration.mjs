// Research script, not a benchmark (session 5, issue 11; after `npm run build`, from the project root):
//   node bench/whole-picture-corroboration.mjs [--corpus DIR] [--tail] [--all-bank]
// It reads the eval-profile hash caches under DIR (default .corpus, filled by `rempart eval-profile`) and writes
// its tables to standard output (and the tail histograms to DIR/whole-picture-corroboration.json with --tail).
// Rule W(S): a whole-picture pair alone (kinds 'full' and 'whole') matches within S;
// from S+1 to 31 it needs a second, agreeing code pair (another whole pair or a region pair whose mapping agrees, as
// decision.ts regionsAgree). Part A: recall per transformation (tune/report) vs today (PDQ<=31 or blockhash<=7) and the
// shipped profile. Part B (--tail): brute-force whole-picture path margins over impostor set pairs (photo-like bank).
import { runProfileHashing } from '../dist/src/eval/profile-runner.js';
import { registrable, photoLike, unrelated, DEFAULT_QUALITY_RULES, graphicCode } from '../dist/src/eval/profile-analysis.js';
import { allowed, codeHits, decide, shippedRule, uploadQuality } from '../dist/src/eval/profile-rules.js';
import { matchesToday } from '../dist/src/eval/profile-blockhash.js';
import { regionsAgree } from '../dist/src/hashing/profile/decision.js';
import { getProfile } from '../dist/src/hashing/profile/profile.js';
import { ROLES } from '../dist/src/eval/profile-task.js';
import { codeDistance } from '../dist/src/hashing/hamming.js';
import { writeFileSync } from 'node:fs';

const TAIL = process.argv.includes('--tail');
const corpusAt = process.argv.indexOf('--corpus');
const CORPUS = corpusAt >= 0 ? process.argv[corpusAt + 1] : '.corpus';
const ALL_BANK = process.argv.includes('--all-bank');
const SS = [16, 20, 24];
const REACH = 64;
const t0 = Date.now();
const el = () => `${Math.round((Date.now() - t0) / 1000)} s`;
const run = await runProfileHashing({ photosDir: `${CORPUS}/photos`, corpusDir: CORPUS, profile: 'pdq-regions', maxSide: 1024, distractors: TAIL ? 13000 : 0, threads: 2, log: () => {} });
console.error(`loaded ${el()}: ${run.photos.length} photos, ${run.distractors.length} distractors, blockhash computed ${run.blockhashFiles}`);
const profile = getProfile('pdq-regions');
const rule = shippedRule(profile);
const T = profile.thresholds; // 31/31/31
const G = profile.decision.graphicWhole; // 22
const FULL = ROLES.indexOf('full');
const REGION = ROLES.indexOf('region');
const d8 = codeDistance;
const box = (set, k) => [set.boxes[4 * k], set.boxes[4 * k + 1], set.boxes[4 * k + 2], set.boxes[4 * k + 3]];
const agreeHits = (a, b) => a.i !== b.i && a.j !== b.j && regionsAgree({ query: box(a.query, a.i), registered: box(a.registered, a.j) }, { query: box(b.query, b.i), registered: box(b.registered, b.j) }, profile.decision);
const isGraphicUpload = (q) => graphicCode(q, q.roles.indexOf(FULL), DEFAULT_QUALITY_RULES.graphic);

/**
 * Whole-picture path margin under W(S) from the allowed hits (each {kind, distance, query, i, registered, j}):
 * alone: d - S (a graphic upload's full: d - min(S, 22)); with a second agreeing pair (whole or region, distinct codes on
 * both sides, both within 31 + k): max(da, db) - 31. S = null: the shipped whole path (full: d - 31 or d - 22 graphic;
 * whole: d - 31).
 */
function wholeMargin(hits, S) {
  let m = 1e9;
  const wholes = [];
  for (const h of hits) {
    if (h.kind !== 'full' && h.kind !== 'whole') continue;
    wholes.push(h);
    const graphic = h.kind === 'full' && isGraphicUpload(h.query);
    const alone = S === null ? (graphic ? G : 31) : graphic ? Math.min(S, G) : S;
    m = Math.min(m, h.distance - alone);
  }
  if (S !== null && wholes.length) {
    for (const a of wholes) {
      if (a.distance - 31 >= m) continue;
      for (const b of hits) {
        if (b === a || b.kind === 'blockhash') continue;
        const worst = Math.max(a.distance, b.distance) - 31;
        if (worst >= m) continue;
        if (agreeHits(a, b)) m = worst;
      }
    }
  }
  return m;
}

/** The shipped decision with the whole path replaced by W(S) (regions and blockhash as shipped). */
function decideW(hits, S) {
  const ok = hits.filter((h) => allowed(h, rule));
  // Region path and blockhash as shipped: decide on the hits without whole-picture pairs.
  if (decide(ok.filter((h) => h.kind !== 'full' && h.kind !== 'whole'), rule, T)) return true;
  return wholeMargin(ok, S) <= 0;
}

// ---------- Part A: recall ----------
const names = run.transformations.map((t) => t.name);
const rows = names.map((n) => ({ name: n, today: { tune: 0, report: 0 }, shipped: { tune: 0, report: 0 }, W: Object.fromEntries(SS.map((s) => [s, { tune: 0, report: 0 }])) }));
const nHalf = { tune: 0, report: 0 };
for (const p of run.photos) {
  nHalf[p.split]++;
  const r = p.result;
  names.forEach((_, t) => {
    const q = r.queries[t + 1];
    if (!q || !registrable(r.registered)) return;
    const bq = r.baseline.queries[t + 1];
    let dp = 257;
    if (bq) for (let k = 0; k < 8; k++) dp = Math.min(dp, d8(bq, k, r.baseline.registered, 0));
    if (matchesToday(p, t + 1, dp, 31)) rows[t].today[p.split]++;
    const bh = r.blockhash?.queries[t + 1] ? { query: r.blockhash.queries[t + 1], registered: r.blockhash.registered } : undefined;
    const hits = codeHits(q, r.registered, 31, d8, bh);
    if (decide(hits, rule, T)) rows[t].shipped[p.split]++;
    for (const s of SS) if (decideW(hits, s)) rows[t].W[s][p.split]++;
  });
}
const pct = (x, n) => (100 * x / n).toFixed(1);
const lines = [];
lines.push(`| transformation | today (tune/report) | shipped | ${SS.map((s) => `W(${s})`).join(' | ')} |`);
lines.push(`|---|---|---|${SS.map(() => '---').join('|')}|`);
const mean = { today: { tune: 0, report: 0 }, shipped: { tune: 0, report: 0 }, W: Object.fromEntries(SS.map((s) => [s, { tune: 0, report: 0 }])) };
const losers = Object.fromEntries(SS.map((s) => [s, { vsToday: [], vsShipped: [] }]));
for (const r of rows) {
  const cell = (o) => `${pct(o.tune, nHalf.tune)} / ${pct(o.report, nHalf.report)}`;
  for (const h of ['tune', 'report']) {
    mean.today[h] += r.today[h] / nHalf[h] / rows.length;
    mean.shipped[h] += r.shipped[h] / nHalf[h] / rows.length;
    for (const s of SS) mean.W[s][h] += r.W[s][h] / nHalf[h] / rows.length;
  }
  const marks = SS.map((s) => {
    const w = r.W[s];
    const loseToday = (w.report - r.today.report) / nHalf.report < -0.01 || (w.tune - r.today.tune) / nHalf.tune < -0.01;
    const loseShipped = (w.report - r.shipped.report) / nHalf.report < -0.01 || (w.tune - r.shipped.tune) / nHalf.tune < -0.01;
    if (loseToday) losers[s].vsToday.push(r.name);
    if (loseShipped) losers[s].vsShipped.push(r.name);
    return `${cell(w)}${loseToday ? ' **<today**' : ''}${loseShipped && !loseToday ? ' *<shipped*' : ''}`;
  });
  lines.push(`| ${r.name} | ${cell(r.today)} | ${cell(r.shipped)} | ${marks.join(' | ')} |`);
}
const mcell = (o) => `${(100 * o.tune).toFixed(1)} / ${(100 * o.report).toFixed(1)}`;
lines.push(`| **mean** | ${mcell(mean.today)} | ${mcell(mean.shipped)} | ${SS.map((s) => mcell(mean.W[s])).join(' | ')} |`);
console.log(`Part A: recall per transformation, % (tune ${nHalf.tune} photos / report ${nHalf.report} photos); **<today**: loses > 1 point against today on a half; *<shipped*: against the shipped profile only`);
console.log(lines.join('\n'));
for (const s of SS) console.log(`W(${s}): loses > 1 pt vs today on ${losers[s].vsToday.length} lines (${losers[s].vsToday.join(', ')}); vs shipped on ${losers[s].vsShipped.length} (${losers[s].vsShipped.join(', ')})`);
console.error(`part A ${el()}`);

// ---------- Part B: whole-picture path tail over impostor set pairs ----------
if (TAIL) {
  const LIMIT = Number(process.env.LIMIT ?? 0);
  const entries = [...run.photos, ...run.distractors].slice(0, LIMIT || undefined);
  const bank = entries.filter((e) => registrable(e.result.registered) && (ALL_BANK || photoLike(e.result.registered)));
  // Allowed codes per registered set (the gate: full always, derived unless graphic).
  const regOpen = bank.map((e) => {
    const s = e.result.registered;
    const js = [];
    for (let j = 0; j < s.roles.length; j++) if (s.roles[j] === FULL || !graphicCode(s, j, DEFAULT_QUALITY_RULES.graphic)) js.push(j);
    return js;
  });
  const kinds = ['shipped', ...SS.map((s) => `W(${s})`)];
  const hist = Object.fromEntries(kinds.map((k) => [k, new Float64Array(REACH + 1)])); // set pairs with margin <= k (filled cumulatively later)
  const exact = Object.fromEntries(kinds.map((k) => [k, new Float64Array(REACH + 1)]));
  const atOrBelow0 = Object.fromEntries(kinds.map((k) => [k, 0]));
  const lump = [];
  let setPairs = 0;
  let codePairs = 0;
  const RADIUS = 31 + REACH;
  let qdone = 0;
  const qtotal = entries.reduce((n, e) => n + e.result.queries.filter(Boolean).length, 0);
  for (const e of entries) {
    e.result.queries.forEach((q, qi) => {
      if (!q) return;
      qdone++;
      if (qdone % 2000 === 0) console.error(`tail ${qdone}/${qtotal} ${el()}`);
      if (uploadQuality(q) < profile.minQuality) return; // the upload floor: matches nothing (counted as set pairs below)
      const qs = [];
      const graphicUp = isGraphicUpload(q);
      for (let i = 0; i < q.roles.length; i++) {
        if (q.roles[i] === FULL) qs.push(i);
        else if (!graphicUp && q.quality[i] >= profile.minQuality && !graphicCode(q, i, DEFAULT_QUALITY_RULES.graphic)) qs.push(i);
      }
      bank.forEach((r, ri) => {
        if (r === e || !unrelated(e, r)) return;
        setPairs++;
        const rs = r.result.registered;
        const hits = [];
        for (const i of qs) {
          const qr = q.roles[i];
          for (const j of regOpen[ri]) {
            const d = d8(q.words, i, rs.words, j);
            codePairs++;
            if (d > RADIUS) continue;
            const rr = rs.roles[j];
            const kind = qr === FULL && rr === FULL ? 'full' : qr === REGION && rr === REGION ? 'region' : 'whole';
            if (kind !== 'full' && graphicUp) continue;
            hits.push({ kind, distance: d, query: q, i, registered: rs, j });
          }
        }
        if (!hits.length) return;
        const ms = [wholeMargin(hits, null), ...SS.map((s) => wholeMargin(hits, s))];
        ms.forEach((m, k) => {
          const key = kinds[k];
          if (m <= 0) atOrBelow0[key]++;
          if (m <= REACH) exact[key][Math.max(0, m)]++;
        });
        if (ms[0] <= 16) lump.push({ q: `${e.name}/${qi}`, r: r.name, shipped: ms[0], W: ms.slice(1) });
      });
    });
  }
  for (const k of kinds) { let c = 0; for (let m = 0; m <= REACH; m++) { c += exact[k][m]; hist[k][m] = c; } }
  console.log(`\nPart B: whole-picture path, ${ALL_BANK ? 'every registrable image' : 'photo-like registered pictures'} as the bank; ${setPairs.toLocaleString('en')} set pairs (uploads above the floor), ${codePairs.toLocaleString('en')} code pairs; set pairs whose whole-path margin is <= k (k = 0 counts <= 0):`);
  const ks = [0, 1, 2, 4, 6, 8, 10, 12, 13, 14, 16, 20, 24, 32, 40, 48, 56, 64];
  console.log(`| rule | ${ks.map((k) => `k=${k}`).join(' | ')} |`);
  console.log(`|---|${ks.map(() => '---').join('|')}|`);
  for (const k of kinds) console.log(`| ${k} | ${ks.map((x) => hist[k][x]).join(' | ')} |`);
  lump.sort((a, b) => a.shipped - b.shipped);
  console.log(`\nClosest set pairs on the shipped whole path (margin <= 16): ${lump.length}; first 25 (shipped margin → W(16), W(20), W(24)):`);
  for (const l of lump.slice(0, 25)) console.log(`${l.q} vs ${l.r}: ${l.shipped} → ${l.W.join(', ')}`);
  writeFileSync(`${CORPUS}/whole-picture-corroboration${ALL_BANK ? '-all' : ''}.json`, JSON.stringify({ setPairs, codePairs, hist: Object.fromEntries(kinds.map((k) => [k, [...hist[k]]])), lump }, null, 1));
  console.error(`part B ${el()}`);
}
