/**
 * Figures for docs/matching.md: the derived regions of one photo (boxes drawn over it,
 * one colour per role; NASA's public-domain astronaut portrait shipped by scikit-image) and the recall chart of an `rempart eval-profile` run.
 *   node dist/bench/profile-figures.js PHOTO SUMMARY.json OUT_DIR
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeToPixels } from '../src/pipeline/decode.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';
import { PDQ_REGIONS } from '../src/hashing/profile/profile.js';
import type { ProfileSummary } from '../src/eval/profile-report.js';

const COLOURS: Record<string, string> = { full: '#ffffff', trimmed: '#00e5ff', window: '#ffd400', region: '#ff3d7f', tilt: '#7cff4f' };

async function regionsFigure(photo: string, out: string): Promise<void> {
  const decoded = await decodeToPixels(readFileSync(photo), DEFAULT_LIMITS, { fitInside: PDQ_REGIONS.decodeSide });
  const set = PDQ_REGIONS.register(decoded.pixels);
  const width = 640;
  const height = Math.round((decoded.pixels.height * width) / decoded.pixels.width);
  const rects = set
    .filter((h) => h.role !== 'full')
    .map((h) => {
      const x = h.box.x0 * width;
      const y = h.box.y0 * height;
      const dash = h.role === 'window' ? ' stroke-dasharray="6 4"' : '';
      const w = (h.box.x1 - h.box.x0) * width;
      const hh = (h.box.y1 - h.box.y0) * height;
      // Upright hashes: the box turned about its centre by the content's orientation.
      const turn = h.angle === undefined ? '' : ` transform="rotate(${((h.angle * 180) / Math.PI).toFixed(2)} ${(x + w / 2).toFixed(1)} ${(y + hh / 2).toFixed(1)})"`;
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${hh.toFixed(1)}" fill="none" stroke="${COLOURS[h.role]}" stroke-width="2"${dash}${turn}/>`;
    });
  const legend = ['window', 'region']
    .map((role, i) => `<rect x="10" y="${10 + i * 22}" width="14" height="14" fill="${COLOURS[role]}"/><text x="30" y="${22 + i * 22}" font-family="sans-serif" font-size="14" fill="white" stroke="black" stroke-width="0.4">${role} (${set.filter((h) => h.role === role).length})</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${rects.join('')}${legend}</svg>`;
  const base = await sharp(Buffer.from(decoded.pixels.data), { raw: { width: decoded.pixels.width, height: decoded.pixels.height, channels: 4 } })
    .resize(width, height)
    .removeAlpha()
    .png()
    .toBuffer();
  await sharp(base).composite([{ input: Buffer.from(svg) }]).jpeg({ quality: 82 }).toFile(out);
}

function recallChart(summary: ProfileSummary, out: string): void {
  const rows = summary.perTransformation;
  const rowHeight = 16;
  const left = 190;
  const barWidth = 420;
  const height = 40 + rows.length * rowHeight;
  const parts: string[] = [];
  rows.forEach((r, i) => {
    const y = 30 + i * rowHeight;
    parts.push(`<text x="${left - 6}" y="${y + 11}" text-anchor="end" font-family="sans-serif" font-size="11">${r.name}</text>`);
    parts.push(`<rect x="${left}" y="${y + 1}" width="${(r.after * barWidth).toFixed(1)}" height="6" fill="#1f6feb"/>`);
    parts.push(`<rect x="${left}" y="${y + 7}" width="${(r.before * barWidth).toFixed(1)}" height="6" fill="#b0b7c3"/>`);
    parts.push(`<text x="${left + barWidth + 6}" y="${y + 11}" font-family="sans-serif" font-size="10">${Math.round(r.before * 100)} → ${Math.round(r.after * 100)} %</text>`);
  });
  for (const x of [0, 0.5, 0.85, 1]) parts.push(`<line x1="${left + x * barWidth}" y1="24" x2="${left + x * barWidth}" y2="${height - 8}" stroke="#ccc" stroke-dasharray="${x === 0.85 ? '4 3' : '1 0'}"/>`);
  parts.push(`<text x="${left}" y="16" font-family="sans-serif" font-size="12"><tspan fill="#1f6feb">■ profile ${summary.profile}</tspan>  <tspan fill="#8a93a3">■ today (PDQ + dihedral at 31)</tspan>  — recall on the report half; dashed line: 85 %</text>`);
  writeFileSync(out, `<svg xmlns="http://www.w3.org/2000/svg" width="${left + barWidth + 80}" height="${height}"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`);
}

const [photo, summaryPath, outDir] = process.argv.slice(2);
if (!photo || !outDir) throw new Error('usage: profile-figures PHOTO SUMMARY.json OUT_DIR');
await regionsFigure(photo, join(outDir, 'profile-regions.jpg'));
if (summaryPath) recallChart(JSON.parse(readFileSync(summaryPath, 'utf8')) as ProfileSummary, join(outDir, 'recall-by-transformation.svg'));
