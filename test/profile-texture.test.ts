/**
 * The graphic gate of the matching profile (src/hashing/profile/texture.ts) on generated
 * pictures: a flat graphic (a flag-like picture of a few exact colours, with an emblem)
 * keeps only its whole-picture hash, marked as a graphic, before and after a JPEG
 * re-encode; a photo-like picture (texture and sensor noise) keeps every derived hash; and
 * a photo on a large flat canvas is a graphic as a whole while its trimmed content is not.
 */
import { describe, expect, it } from 'vitest';
import { lumaOf } from '../src/hashing/profile/luma-image.js';
import { isGraphic, measureTexture } from '../src/hashing/profile/texture.js';
import { DEFAULT_DERIVE_RULES, NO_GRAPHIC_GATE, querySet, registeredSet } from '../src/hashing/profile/derive.js';
import { hammingDistance } from '../src/hashing/hamming.js';
import type { RawImage } from './helpers/images.js';
import { grainyPicture, jpegRoundTrip } from './helpers/photos.js';

/** A flag-like graphic: three bands of exact colours and a disc and a bar as its emblem. */
function graphic(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const band = Math.floor((3 * y) / height);
      let rgb = [[200, 30, 40], [250, 250, 250], [20, 140, 60]][band]!;
      if ((x - width / 3) ** 2 + (y - height / 2) ** 2 < (height / 6) ** 2) rgb = [240, 200, 20];
      if (x > width * 0.6 && x < width * 0.85 && Math.abs(y - height / 2) < height / 20) rgb = [20, 20, 120];
      data.set(rgb, (y * width + x) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

/** `inner` pasted at (x, y) on a flat canvas of one colour. */
function onCanvas(inner: RawImage, width: number, height: number, x: number, y: number): RawImage {
  const data = Buffer.alloc(width * height * 3, 236);
  for (let r = 0; r < inner.height; r++) inner.data.copy(data, ((y + r) * width + x) * 3, r * inner.width * 3, (r + 1) * inner.width * 3);
  return { data, width, height, channels: 3 };
}

const rule = DEFAULT_DERIVE_RULES.graphic;
const whole = (image: RawImage) => ({ x0: 0, y0: 0, x1: image.width, y1: image.height });

describe('measureTexture / isGraphic', () => {
  it('reads a flat graphic as a graphic, also after a JPEG re-encode, and a photo as none', async () => {
    const flag = graphic(480, 320);
    const flat = measureTexture(lumaOf(flag), whole(flag));
    expect(flat.flat).toBeGreaterThan(0.9);
    expect(flat.levels).toBeGreaterThan(0.99);
    expect(isGraphic(flat, rule)).toBe(true);
    const reencoded = await jpegRoundTrip(flag, 75);
    expect(isGraphic(measureTexture(lumaOf(reencoded), whole(reencoded)), rule)).toBe(true);

    for (const seed of [1, 2, 3]) {
      const picture = grainyPicture(480, 320, seed);
      const t = measureTexture(lumaOf(picture), whole(picture));
      expect(t.flat).toBeLessThan(0.2);
      expect(isGraphic(t, rule)).toBe(false);
      const j = await jpegRoundTrip(picture, 50);
      expect(isGraphic(measureTexture(lumaOf(j), whole(j)), rule)).toBe(false);
    }
  });

  it('measures only inside the box', () => {
    const picture = onCanvas(grainyPicture(200, 200, 4), 600, 400, 350, 100);
    const image = lumaOf(picture);
    expect(isGraphic(measureTexture(image, { x0: 0, y0: 0, x1: 300, y1: 400 }), rule)).toBe(true);
    expect(isGraphic(measureTexture(image, { x0: 350, y0: 100, x1: 550, y1: 300 }), rule)).toBe(false);
  });
});

describe('the graphic gate in the derived sets', () => {
  it("keeps only a flat graphic's whole-picture hash, marked as a graphic, on both sides", async () => {
    for (const flag of [graphic(640, 400), await jpegRoundTrip(graphic(640, 400), 80)]) {
      const image = lumaOf(flag);
      const ungated = registeredSet(image, { ...DEFAULT_DERIVE_RULES, graphic: NO_GRAPHIC_GATE });
      // Without the gate the graphic has windows of quality ≥ 50 (the quality rule alone lets them through).
      expect(ungated.filter((h) => h.role !== 'full').length).toBeGreaterThan(3);
      for (const set of [registeredSet(image), querySet(image)]) {
        expect(set.map((h) => h.role)).toEqual(['full']);
        expect(set[0]!.graphic).toBe(true);
      }
    }
  });

  it("keeps every derived hash of a photo, and its whole-picture hash unmarked", () => {
    const image = lumaOf(grainyPicture(640, 400, 5));
    const gated = registeredSet(image);
    const ungated = registeredSet(image, { ...DEFAULT_DERIVE_RULES, graphic: NO_GRAPHIC_GATE });
    expect(gated.length).toBe(ungated.length);
    expect(gated.length).toBeGreaterThan(5);
    expect(gated.some((h) => h.graphic)).toBe(false);
    expect(querySet(image).some((h) => h.graphic)).toBe(false);
  });

  it('a photo on a large flat canvas: the whole is a graphic, the trimmed photo is not and meets the registered photo', () => {
    const inner = grainyPicture(400, 300, 6);
    const registered = registeredSet(lumaOf(inner));
    const query = querySet(lumaOf(onCanvas(inner, 1000, 700, 420, 250)));
    expect(query.find((h) => h.role === 'full')!.graphic).toBe(true);
    const trimmed = query.find((h) => h.role === 'trimmed')!;
    expect(trimmed.graphic).toBeUndefined();
    const full = registered.find((h) => h.role === 'full')!;
    expect(Math.min(...trimmed.hashes.map((h) => hammingDistance(h, full.hashes[0]!)))).toBeLessThanOrEqual(10);
  });
});
