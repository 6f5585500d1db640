/**
 * One self-contained HTML report: inline CSS and SVG drawn here, no script, no external
 * request. Shows what an operator needs to set thresholds: ROC curves, genuine vs
 * impostor histograms, recall per transformation with the best algorithm marked.
 */
import type { AlgorithmResult } from './analyse.js';
import type { EvalResults } from './runner.js';
import { pct } from './summary.js';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const f = (x: number): string => (Math.round(x * 10) / 10).toString();

/** ROC with FPR on a log axis (1e-7..1): the useful region is at tiny FPRs. */
export function rocSvg(algorithms: readonly AlgorithmResult[]): string {
  const W = 560, H = 380, L = 56, R = 150, T = 16, B = 44;
  const minExp = -7;
  const x = (fpr: number): number => L + ((Math.log10(Math.max(fpr, 10 ** minExp)) - minExp) / -minExp) * (W - L - R);
  const y = (recall: number): number => T + (1 - recall) * (H - T - B);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="ROC curves">`];
  for (let e = minExp; e <= 0; e++) {
    parts.push(`<line x1="${f(x(10 ** e))}" y1="${T}" x2="${f(x(10 ** e))}" y2="${H - B}" stroke="#ddd"/>`);
    parts.push(`<text x="${f(x(10 ** e))}" y="${H - B + 16}" font-size="11" text-anchor="middle">1e${e}</text>`);
  }
  for (let r = 0; r <= 1.0001; r += 0.2) {
    parts.push(`<line x1="${L}" y1="${f(y(r))}" x2="${W - R}" y2="${f(y(r))}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${f(y(r) + 4)}" font-size="11" text-anchor="end">${Math.round(r * 100)}%</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" font-size="12" text-anchor="middle">false-positive rate (impostor pairs, log scale; ≤1e-7 drawn at 1e-7)</text>`);
  parts.push(`<text x="14" y="${(T + H - B) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">recall</text>`);
  algorithms.forEach((a, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const points = [{ fpr: 0, recall: 0 }, ...a.roc].map((p) => `${f(x(p.fpr))},${f(y(p.recall))}`).join(' ');
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" ${a.reference ? 'stroke-dasharray="5 3"' : ''} points="${points}"/>`);
    parts.push(`<line x1="${W - R + 10}" y1="${T + 10 + i * 18}" x2="${W - R + 34}" y2="${T + 10 + i * 18}" stroke="${colour}" stroke-width="2" ${a.reference ? 'stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text x="${W - R + 38}" y="${T + 14 + i * 18}" font-size="11">${esc(a.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Genuine and impostor distance distributions (each normalised to its own total), threshold marked. */
export function histogramSvg(a: AlgorithmResult): string {
  const W = 420, H = 200, L = 40, R = 10, T = 10, B = 36;
  const norm = (h: number[]): number[] => {
    const n = h.reduce((s, c) => s + c, 0) || 1;
    return h.map((c) => c / n);
  };
  const genuine = norm(a.genuine.overall);
  const impostor = norm(a.impostor.all);
  const peak = Math.max(...genuine, ...impostor, 1e-9);
  const bw = (W - L - R) / (a.bits + 1);
  const x = (d: number): number => L + d * bw;
  const y = (v: number): number => T + (1 - v / peak) * (H - T - B);
  const bars = (values: number[], colour: string): string =>
    values
      .map((v, d) => (v > 0 ? `<rect x="${f(x(d))}" y="${f(y(v))}" width="${f(Math.max(bw, 0.6))}" height="${f(H - B - y(v))}" fill="${colour}" fill-opacity="0.6"/>` : ''))
      .join('');
  const t = a.recommended.threshold;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((q) => Math.round(q * a.bits));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="distance histograms for ${esc(a.name)}">` +
    bars(impostor, '#d62728') +
    bars(genuine, '#1f77b4') +
    `<line x1="${f(x(t + 1))}" y1="${T}" x2="${f(x(t + 1))}" y2="${H - B}" stroke="#000" stroke-dasharray="4 2"/>` +
    `<text x="${f(x(t + 1) + 3)}" y="${T + 10}" font-size="10">threshold ${t}</text>` +
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/>` +
    ticks.map((d) => `<text x="${f(x(d))}" y="${H - B + 14}" font-size="10" text-anchor="middle">${d}</text>`).join('') +
    `<text x="${(L + W - R) / 2}" y="${H - 4}" font-size="11" text-anchor="middle">Hamming distance (of ${a.bits} bits): <tspan fill="#1f77b4">genuine</tspan> vs <tspan fill="#d62728">impostor</tspan></text>` +
    `</svg>`
  );
}

function summaryTable(results: EvalResults): string {
  const rows = results.algorithms.map((a) => {
    const cells = a.atFpr.map((p) => `<td>${pct(p.recall)} <small>(t=${p.threshold})</small></td>`).join('');
    const timing = a.timing.medianMsPerOriginal === undefined ? '–' : `${f(a.timing.medianMsPerOriginal)} ms`;
    const closest = a.impostor.closest ? `${a.impostor.closest.distance} <small>${esc(a.impostor.closest.a)} ↔ ${esc(a.impostor.closest.b)}</small>` : '–';
    return `<tr><th>${esc(a.name)}${a.reference ? ' <small>(reference)</small>' : ''}</th><td>${a.bits}</td>${cells}<td><b>${a.recommended.threshold}</b> <small>(${pct(a.recommended.recall)})</small></td><td>${timing}</td><td>${closest}</td></tr>`;
  });
  return (
    '<table><thead><tr><th>algorithm</th><th>bits</th><th>recall @ FPR 0</th><th>recall @ FPR 1e-4</th><th>recall @ FPR 1e-3</th><th>recommended threshold (recall)</th><th>hashing time / image (median, decode included)</th><th>closest impostor pair</th></tr></thead><tbody>' +
    rows.join('') +
    '</tbody></table>'
  );
}

/** Recall at each algorithm's FPR-0 threshold, per transformation; the best cell of each row is marked. */
function transformationTable(results: EvalResults): string {
  const head = results.algorithms.map((a) => `<th>${esc(a.name)}<br><small>t=${a.atFpr[0]!.threshold}</small></th>`).join('');
  const rows = results.transformations.map((t) => {
    const values = results.algorithms.map((a) => a.perTransformation[t.name]?.recallAtFpr0 ?? 0);
    const best = Math.max(...values);
    const cells = values
      .map((v, i) => {
        const median = results.algorithms[i]!.perTransformation[t.name]?.medianDistance;
        const mark = v === best && best > 0 ? ' class="best"' : '';
        return `<td${mark}>${pct(v)}${mark ? ' ★' : ''} <small>d̃=${median ?? '–'}</small></td>`;
      })
      .join('');
    return `<tr><th title="${esc(t.steps)}">${esc(t.name)}<br><small>${esc(t.family)}</small></th>${cells}</tr>`;
  });
  return `<table class="recall"><thead><tr><th>transformation</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderReport(results: EvalResults): string {
  const c = results.corpus;
  const histograms = results.algorithms
    .map((a) => `<figure><figcaption>${esc(a.name)} — ${esc(a.description)}</figcaption>${histogramSvg(a)}</figure>`)
    .join('');
  const policy = results.algorithms[0]?.recommended.policy;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Rempart evaluation report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:24px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}
thead th{background:#f2f2f2}td.best{background:#e3f4e3;font-weight:bold}small{color:#666}
.figs{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-size:12px;max-width:420px}
.note{font-size:13px;color:#444;max-width:900px}
</style></head><body>
<h1>Rempart evaluation report</h1>
<p class="note">Which re-uploads does Rempart catch, and how many innocent images would it block? Each photo (shrunk to at most ${c.maxSide} px) was registered, then altered by ${results.transformations.length} transformations and queried.
<b>Genuine pairs</b>: a photo against each of its own variants (recall). <b>Impostor pairs</b>: every pair of hashes from two different photos, originals and variants alike (false-positive rate, FPR).
Thresholds are inclusive Hamming distances in each algorithm's own bits.</p>
<p class="note">Corpus: <b>${c.photos.length} photos</b> from <code>${esc(c.dir)}</code> (${c.skipped.length} files skipped by the selection rules);
${results.algorithms[0]?.impostor.pairs.toLocaleString('en') ?? 0} impostor pairs per algorithm. Run ${esc(results.createdAt)} in ${f(results.runSeconds)} s on ${esc(results.machine.cpu)}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, Node ${esc(results.machine.node)}, ${esc(results.machine.os)}.
Recommended threshold: largest threshold with impostor FPR ≤ ${policy?.targetFpr ?? 0} on this corpus (≤ ${policy?.fallbackFpr ?? 0} where an impostor pair sits at distance 0)${policy && policy.margin > 0 ? `, less a ${policy.margin * 100}% safety margin` : ''}.</p>
<h2>Summary per algorithm</h2>
${summaryTable(results)}
<p class="note">Hardest transformations (lowest mean recall at FPR 0): ${results.hardestTransformations.map(esc).join(', ')}.</p>
<h2>ROC curves</h2>
${rocSvg(results.algorithms)}
<h2>Distance distributions: genuine vs impostor</h2>
<div class="figs">${histograms}</div>
<h2>Recall per transformation at each algorithm's FPR-0 threshold</h2>
<p class="note">★ marks the best algorithm for the transformation; d̃ is the median genuine distance. Hover a name for its parameters.</p>
${transformationTable(results)}
${results.errors.length ? `<h2>Errors (${results.errors.length})</h2><ul>${results.errors.slice(0, 50).map((e) => `<li>${esc(e)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
