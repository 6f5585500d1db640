import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyTransformation,
  CAPTION_FRACTION,
  getTransformation,
  overlayBox,
  SCREEN,
  TRANSFORMATIONS,
  type RawImage,
} from '../src/eval/transforms.js';

const W = 200;
const H = 120;
const MARK = { x: 10, y: 10, size: 12 }; // a pure red square near the top-left corner

/** A smooth colour gradient with a red marker: every geometric change moves the marker. */
function makeImage(): RawImage {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const marked = x >= MARK.x && x < MARK.x + MARK.size && y >= MARK.y && y < MARK.y + MARK.size;
      data[i] = marked ? 255 : 40 + Math.round((x / W) * 150);
      data[i + 1] = marked ? 0 : 60 + Math.round((y / H) * 120);
      data[i + 2] = marked ? 0 : 100;
    }
  }
  return { width: W, height: H, channels: 3, data };
}

interface Decoded {
  width: number;
  height: number;
  data: Buffer;
  format: string;
}

async function run(name: string): Promise<Decoded> {
  const out = await applyTransformation(original, getTransformation(name));
  const { data, info } = await sharp(out.bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([out.width, out.height]);
  return { width: info.width, height: info.height, data, format: out.format };
}

const pixel = (img: { width: number; data: Buffer }, x: number, y: number): number[] => {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
};
const isRed = (p: number[]): boolean => p[0]! > 200 && p[1]! < 50 && p[2]! < 50;
const mean = (img: { data: Buffer }): number => img.data.reduce((s, v) => s + v, 0) / img.data.length;
const stdev = (img: { data: Buffer }): number => {
  const m = mean(img);
  return Math.sqrt(img.data.reduce((s, v) => s + (v - m) ** 2, 0) / img.data.length);
};
const centreOfMark = (size = MARK.size): number => MARK.x + size / 2;

let original: RawImage;
beforeAll(() => {
  original = makeImage();
});

describe('transformation suite', () => {
  it('names are unique and every transformation produces a decodable image that differs from the original', async () => {
    expect(new Set(TRANSFORMATIONS.map((t) => t.name)).size).toBe(TRANSFORMATIONS.length);
    for (const t of TRANSFORMATIONS) {
      const out = await run(t.name);
      const same = out.width === W && out.height === H && out.data.equals(original.data);
      expect(same, `${t.name} left the image unchanged`).toBe(false);
    }
  });

  it('JPEG re-encodes decode, lose detail as quality drops, and keep the size', async () => {
    const q90 = await applyTransformation(original, getTransformation('jpeg-q90'));
    const q30 = await applyTransformation(original, getTransformation('jpeg-q30'));
    expect(q90.format).toBe('jpeg');
    expect(q30.bytes[0]).toBe(0xff);
    expect(q30.bytes.length).toBeLessThan(q90.bytes.length);
    const decoded = await run('jpeg-q30');
    expect([decoded.width, decoded.height]).toEqual([W, H]);
  });

  it('WebP re-encodes produce WebP', async () => {
    const out = await applyTransformation(original, getTransformation('webp-q40'));
    expect(out.format).toBe('webp');
    expect(out.bytes.subarray(8, 12).toString('ascii')).toBe('WEBP');
  });

  it('resizes scale both sides; aspect changes stretch one', async () => {
    expect(await run('resize-x0.25')).toMatchObject({ width: 50, height: 30 });
    expect(await run('resize-x0.5')).toMatchObject({ width: 100, height: 60 });
    expect(await run('resize-x2')).toMatchObject({ width: 400, height: 240 });
    expect(await run('aspect-wide-1.3')).toMatchObject({ width: 260, height: 120 });
    expect(await run('aspect-tall-1.3')).toMatchObject({ width: 200, height: 156 });
  });

  it('crops remove the right share of each side', async () => {
    expect(await run('crop-2pc')).toMatchObject({ width: 200 - 8, height: 120 - 4 }); // round(4), round(2.4)=2
    expect(await run('crop-5pc')).toMatchObject({ width: 180, height: 108 });
    const c10 = await run('crop-10pc');
    expect(c10).toMatchObject({ width: 160, height: 96 });
    // The marker (10..21) shifts by 20 px left and 12 up: it now starts at x = 0 (cut), y = 0.
    expect(isRed(pixel(c10, 0, 0))).toBe(true);
    const bottom = await run('crop-bottom-15pc');
    expect(bottom).toMatchObject({ width: 200, height: 102 });
    expect(isRed(pixel(bottom, MARK.x + 1, MARK.y + 1))).toBe(true);
    expect(await run('crop-square')).toMatchObject({ width: 120, height: 120 });
  });

  it('borders add padding of the given colour', async () => {
    const white = await run('pad-5pc-white');
    expect(white).toMatchObject({ width: 220, height: 132 });
    expect(pixel(white, 0, 0)).toEqual([255, 255, 255]);
    expect(isRed(pixel(white, MARK.x + 10 + 1, MARK.y + 6 + 1))).toBe(true);
    const black = await run('pad-20pc-black');
    expect(black).toMatchObject({ width: 280, height: 168 });
    expect(pixel(black, 5, 5)).toEqual([0, 0, 0]);
  });

  it('rotations and flips move the marker to the expected corner', async () => {
    const r90 = await run('rotate-90'); // clockwise: top-left → top-right
    expect(r90).toMatchObject({ width: H, height: W });
    expect(isRed(pixel(r90, H - 1 - centreOfMark(), centreOfMark()))).toBe(true);
    const r180 = await run('rotate-180');
    expect(isRed(pixel(r180, W - 1 - centreOfMark(), H - 1 - centreOfMark()))).toBe(true);
    const r270 = await run('rotate-270'); // top-left → bottom-left
    expect(isRed(pixel(r270, centreOfMark(), W - 1 - centreOfMark()))).toBe(true);
    const h = await run('flip-horizontal');
    expect(isRed(pixel(h, W - 1 - centreOfMark(), centreOfMark()))).toBe(true);
    expect(isRed(pixel(h, centreOfMark(), centreOfMark()))).toBe(false);
    const v = await run('flip-vertical');
    expect(isRed(pixel(v, centreOfMark(), H - 1 - centreOfMark()))).toBe(true);
  });

  it('small rotations keep the size and bring in black corners', async () => {
    for (const name of ['tilt+3', 'tilt-3']) {
      const tilted = await run(name);
      expect(tilted).toMatchObject({ width: W, height: H });
      const corners = [pixel(tilted, 0, 0), pixel(tilted, W - 1, 0), pixel(tilted, 0, H - 1), pixel(tilted, W - 1, H - 1)];
      expect(corners.some((p) => p.every((c) => c < 30))).toBe(true);
    }
  });

  it('brightness, contrast and gamma change the tones in the expected direction', async () => {
    const m0 = mean({ data: original.data });
    expect(mean(await run('brightness+20pc'))).toBeCloseTo(m0 * 1.2, -1);
    expect(mean(await run('brightness-20pc'))).toBeCloseTo(m0 * 0.8, -1);
    const s0 = stdev({ data: original.data });
    expect(stdev(await run('contrast+20pc'))).toBeGreaterThan(s0 * 1.1);
    expect(stdev(await run('contrast-20pc'))).toBeLessThan(s0 * 0.9);
    expect(mean(await run('gamma-0.6'))).toBeGreaterThan(m0 + 20);
    expect(mean(await run('gamma-1.6'))).toBeLessThan(m0 - 20);
  });

  it('greyscale leaves three equal channels; saturation pushes colours apart', async () => {
    const grey = await run('greyscale');
    for (let i = 0; i < grey.data.length; i += 3) {
      expect(grey.data[i]).toBe(grey.data[i + 1]);
      expect(grey.data[i + 1]).toBe(grey.data[i + 2]);
    }
    const sat = await run('saturation+40pc');
    const spread = (p: number[]): number => Math.max(...p) - Math.min(...p);
    expect(spread(pixel(sat, 150, 100))).toBeGreaterThan(spread(pixel({ width: W, data: original.data }, 150, 100)));
  });

  it('blur smooths the marker edge; noise is random-looking but repeatable', async () => {
    const blurred = await run('blur-s2');
    const edge = pixel(blurred, MARK.x + MARK.size, MARK.y + MARK.size / 2); // first pixel right of the marker
    expect(edge[0]).toBeGreaterThan(pixel({ width: W, data: original.data }, MARK.x + MARK.size, MARK.y + MARK.size / 2)[0]!);
    const a = await run('noise-s12');
    const b = await run('noise-s12');
    expect(a.data.equals(b.data)).toBe(true);
    const diffs = a.data.map((v, i) => Math.abs(v - original.data[i]!));
    expect(mean({ data: Buffer.from(diffs) })).toBeGreaterThan(5);
  });

  it('the text overlay changes only its own box', async () => {
    const out = await run('overlay-text');
    const box = overlayBox(W, H);
    let inside = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const changed = pixel(out, x, y).some((c, k) => c !== original.data[(y * W + x) * 3 + k]);
        const within = x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height;
        if (!within) expect(changed, `pixel ${x},${y} outside the overlay changed`).toBe(false);
        else if (changed) inside++;
      }
    }
    expect(inside).toBeGreaterThan((box.width * box.height) / 2);
  });

  it('the meme caption adds a white bar on top and keeps the photo below it', async () => {
    const out = await run('caption-meme');
    const bar = Math.round(H * CAPTION_FRACTION);
    expect(out).toMatchObject({ width: W, height: H + bar });
    expect(pixel(out, 1, 1)).toEqual([255, 255, 255]);
    expect(isRed(pixel(out, centreOfMark(), bar + centreOfMark()))).toBe(true);
  });

  it('the screenshot frame puts the photo inside a phone screen', async () => {
    const out = await run('screenshot-frame');
    expect(out).toMatchObject({ width: SCREEN.width, height: SCREEN.height });
    const status = pixel(out, SCREEN.width - 5, 5);
    expect(status).toEqual([0x20, 0x21, 0x24]);
    // The photo fills the width: 720 × 432, centred in the space between the bars.
    const top = SCREEN.statusBar + SCREEN.appBar + Math.floor((SCREEN.height - SCREEN.statusBar - SCREEN.appBar - SCREEN.navigationBar - 432) / 2);
    expect(isRed(pixel(out, Math.round(centreOfMark() * 3.6), top + Math.round(centreOfMark() * 3.6)))).toBe(true);
  });

  it('chains apply both steps, and the last encoding sets the format', async () => {
    const chain = await applyTransformation(original, getTransformation('crop-5pc+jpeg-q50'));
    expect(chain).toMatchObject({ format: 'jpeg', width: 180, height: 108 });
    expect(await run('pad-5pc+resize-x0.5')).toMatchObject({ width: 110, height: 66 });
    const flipped = await run('flip-horizontal+jpeg-q70');
    expect(flipped.format).toBe('jpeg');
    expect(isRed(pixel(flipped, W - 1 - centreOfMark(), centreOfMark()))).toBe(true);
    const social = await applyTransformation(original, getTransformation('social-1080-q75'));
    expect(social).toMatchObject({ format: 'jpeg', width: W, height: H }); // never enlarged
  });
});
