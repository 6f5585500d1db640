import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listImageFiles, selectPhotos } from '../src/eval/corpus.js';
import { renderReport } from '../src/eval/report.js';
import { createInProcessRunner, createPoolRunner, runEvaluation, type EvalResults } from '../src/eval/runner.js';
import { summarise, summaryMarkdown } from '../src/eval/summary.js';

let dir: string;

/**
 * Three unlike photo-like pictures: each channel a sum of 12 seeded random waves, so
 * there are no flat areas (where any perceptual hash is unstable) and no symmetry.
 */
async function writePhotos(): Promise<void> {
  const size = 320;
  let state = 12345;
  const random = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const field = (): ((x: number, y: number) => number) => {
    const waves = Array.from({ length: 12 }, () => ({ fx: (random() - 0.5) * 0.12, fy: (random() - 0.5) * 0.12, phase: random() * 6.28, amp: 10 + random() * 25 }));
    return (x, y) => 128 + waves.reduce((sum, w) => sum + w.amp * Math.sin(w.fx * x + w.fy * y + w.phase), 0);
  };
  const makers = Array.from({ length: 3 }, () => {
    const [r, g, b] = [field(), field(), field()];
    return (x: number, y: number): [number, number, number] => [r(x, y), g(x, y), b(x, y)];
  });
  for (const [i, make] of makers.entries()) {
    const data = Buffer.alloc(size * size * 3);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data.set(make(x, y).map((c) => Math.min(255, Math.max(0, Math.round(c)))), (y * size + x) * 3);
    await sharp(data, { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 92 }).toFile(join(dir, `photo-${i}.jpg`));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rempart-eval-'));
  await writePhotos();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('corpus selection rules', () => {
  it('keeps photos, drops small images, other extensions and byte-identical copies', async () => {
    const sub = mkdtempSync(join(dir, 'sel-'));
    const photo = readFileSync(join(dir, 'photo-0.jpg'));
    writeFileSync(join(sub, 'a.jpg'), photo);
    writeFileSync(join(sub, 'b-copy.jpg'), photo);
    writeFileSync(join(sub, 'notes.txt'), 'not an image');
    await sharp({ create: { width: 300, height: 100, channels: 3, background: '#888' } }).png().toFile(join(sub, 'small.png'));
    expect(listImageFiles(sub).map((p) => p.slice(sub.length + 1))).toEqual(['a.jpg', 'b-copy.jpg', 'small.png']);
    const { photos, skipped } = await selectPhotos([...listImageFiles(sub), join(sub, 'notes.txt')], 256);
    expect(photos.map((p) => p.path)).toEqual([join(sub, 'a.jpg')]);
    expect(skipped.map((s) => s.reason)).toEqual([`same bytes as ${join(sub, 'a.jpg')}`, 'not a photo extension', 'short side 100 px < 256']);
    rmSync(sub, { recursive: true });
  });
});

describe('runEvaluation (in process, real transformations and hashers)', () => {
  let results: EvalResults;
  beforeAll(async () => {
    results = await runEvaluation({ dir, runner: createInProcessRunner(), transformations: ['jpeg-q70', 'rotate-90', 'crop-5pc'], maxSide: 256 });
  }, 120_000);

  it('hashes every photo and variant with every algorithm', () => {
    expect(results.corpus.photos.map((p) => [p.name, p.width, p.height])).toEqual([
      ['photo-0.jpg', 256, 256],
      ['photo-1.jpg', 256, 256],
      ['photo-2.jpg', 256, 256],
    ]);
    expect(results.errors).toEqual([]);
    expect(results.algorithms.map((a) => a.name)).toEqual(['blockhash', 'pdq', 'pdq-dihedral', 'sharp-phash', 'imghash-64', 'imghash-256']);
    for (const a of results.algorithms) {
      expect(a.genuine.overall.reduce((s, c) => s + c, 0)).toBe(9); // 3 photos × 3 variants
      // 12 hashes, C(12,2) = 66 pairs, less 3 × C(4,2) = 18 same-photo pairs
      expect(a.impostor.pairs).toBe(48);
      expect(a.genuine.overall).toHaveLength(a.bits + 1);
      expect(a.timing.hashed).toBe(12);
    }
  });

  it('JPEG q70 stays close for every algorithm; dihedral PDQ catches the rotation PDQ alone misses', () => {
    for (const a of results.algorithms) expect(a.perTransformation['jpeg-q70']!.medianDistance!).toBeLessThanOrEqual(a.bits / 8);
    const pdq = results.algorithms.find((a) => a.name === 'pdq')!;
    const dihedral = results.algorithms.find((a) => a.name === 'pdq-dihedral')!;
    expect(dihedral.perTransformation['rotate-90']!.medianDistance!).toBeLessThanOrEqual(31); // PDQ's usual match threshold
    expect(pdq.perTransformation['rotate-90']!.medianDistance!).toBeGreaterThan(64);
  });

  it('recall at FPR 0 uses the threshold below the closest impostor', () => {
    for (const a of results.algorithms) {
      const fpr0 = a.atFpr[0]!;
      expect(fpr0.threshold).toBe((a.impostor.closest?.distance ?? a.bits + 1) - 1);
      expect(fpr0.fpr).toBe(0);
    }
  });

  it('renders a self-contained report and small summaries', () => {
    const html = renderReport(results);
    expect(html).toContain('<svg');
    expect(html).toContain('ROC curves');
    expect(html).toContain('★');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).not.toContain('<script');
    const summary = summarise(results);
    expect(summary.photos).toBe(3);
    expect(JSON.stringify(summary)).not.toContain('"all"'); // no histograms in the committed summary
    expect(summaryMarkdown(results)).toMatch(/\| \*\*pdq-dihedral\*\* \| 256 \|/);
  });
});

describe('the worker pool runs the evaluation task', () => {
  // Never skipped: `npm test` builds the workers first; a bare `vitest run` without a build
  // fails here with "worker not found …: run npm run build".
  it('runs evaluateImage in its own worker (workers/eval.worker.ts)', async () => {
    const runner = createPoolRunner(1);
    try {
      const bytes = new Uint8Array(readFileSync(join(dir, 'photo-1.jpg')));
      const result = await runner.run({ bytes, transformations: ['flip-vertical'], hashers: ['pdq', 'sharp-phash'], maxSide: 128 }, [bytes.buffer as ArrayBuffer]);
      expect(bytes.byteLength).toBe(0); // transferred, not copied
      expect(result.variants.map((v) => v.transformation)).toEqual([null, 'flip-vertical']);
      expect(result.variants[0]!.hashes.pdq).toHaveLength(8);
      expect(result.variants[1]!.hashes['sharp-phash']![0]).toMatch(/^[0-9a-f]{16}$/);
      expect(JSON.stringify(result)).not.toMatch(/"bytes"/);
    } finally {
      await runner.close();
    }
  });
});
