/**
 * Normalisation and region derivation (src/hashing/profile) on generated pictures with
 * known borders, crops and turns: the content box is found to the pixel, the tilt to a
 * fraction of a degree (from filled corners, or from the content's own orientation when
 * there are none), and regions follow the content when the frame moves or turns.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { hammingDistance } from '../src/hashing/hamming.js';
import { AreaSampler, lumaOf, type LumaImage } from '../src/hashing/profile/luma-image.js';
import { findContentBox, trimsSomething } from '../src/hashing/profile/trim.js';
import { detectTilt, innerScale } from '../src/hashing/profile/tilt.js';
import { findSegments, regionsOf, stableSegments } from '../src/hashing/profile/segments.js';
import { dominantOrientation } from '../src/hashing/profile/orientation.js';
import { DEFAULT_DERIVE_RULES, querySet, registeredSet, type DerivedHash } from '../src/hashing/profile/derive.js';
import { pdqFromDecimated } from '../src/hashing/pdq.js';
import { type RawImage, fromRaw, scene } from './helpers/images.js';
import { grainyPicture, rawOf } from './helpers/photos.js';
import { seededRandom } from './helpers/random.js';

const luma = (image: RawImage): LumaImage => lumaOf(image);

function closest(query: DerivedHash[], registered: DerivedHash[], roles?: { query?: string; registered?: string }): number {
  let best = 256;
  for (const q of query) {
    if (roles?.query && q.role !== roles.query) continue;
    for (const r of registered) {
      if (roles?.registered && r.role !== roles.registered) continue;
      for (const h of q.hashes) best = Math.min(best, hammingDistance(h, r.hashes[0]!));
    }
  }
  return best;
}

describe('findContentBox (trimming borders and bars)', () => {
  const photo = grainyPicture(300, 200, 3);

  it('leaves a picture without a border whole', () => {
    const box = findContentBox(luma(photo));
    expect(box).toEqual({ x0: 0, y0: 0, x1: 300, y1: 200 });
    expect(trimsSomething(box, 300, 200)).toBe(false);
  });

  it.each([
    ['white', '#ffffff', 15, 10],
    ['black letterbox', '#000000', 0, 40],
    ['grey frame', '#808080', 60, 20],
  ])('peels a %s border to the pixel', async (_name, colour, dx, dy) => {
    const padded = await rawOf(fromRaw(photo).extend({ left: dx, right: dx, top: dy, bottom: dy, background: colour }));
    const box = findContentBox(luma(padded));
    expect(box.x0).toBeGreaterThanOrEqual(dx - 1);
    expect(box.x0).toBeLessThanOrEqual(dx + 1);
    expect(box.y0).toBeGreaterThanOrEqual(dy - 1);
    expect(box.y0).toBeLessThanOrEqual(dy + 1);
    expect(padded.width - box.x1).toBeLessThanOrEqual(dx + 1);
    expect(padded.height - box.y1).toBeLessThanOrEqual(dy + 1);
  });

  it('peels a caption bar with text on it and the bars of a phone screenshot', async () => {
    const caption = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="50"><rect width="300" height="50" fill="white"/>' +
        '<text x="150" y="36" text-anchor="middle" font-family="sans-serif" font-weight="bold" font-size="28" fill="black">NO WAY</text></svg>',
    );
    const captioned = await rawOf(fromRaw(photo).extend({ top: 50, background: '#ffffff' }).composite([{ input: caption, left: 0, top: 0 }]));
    const box = findContentBox(luma(captioned));
    expect(Math.abs(box.y0 - 50)).toBeLessThanOrEqual(1);
    expect([box.x0, box.x1, box.y1]).toEqual([0, 300, 250]);

    const chrome = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="560">' +
        '<rect width="300" height="24" fill="#202124"/><text x="10" y="17" font-size="13" font-family="sans-serif" fill="white">12:34</text>' +
        '<rect y="24" width="300" height="44" fill="#ffffff"/><text x="10" y="52" font-size="16" font-family="sans-serif" fill="#202124">← Photo</text>' +
        '<rect y="520" width="300" height="40" fill="#202124"/></svg>',
    );
    const screen = await rawOf(
      sharp({ create: { width: 300, height: 560, channels: 3, background: '#000000' } }).composite([
        { input: chrome, left: 0, top: 0 },
        { input: await fromRaw(photo).png().toBuffer(), left: 0, top: 200 },
      ]),
    );
    const inScreen = findContentBox(luma(screen));
    expect(Math.abs(inScreen.y0 - 200)).toBeLessThanOrEqual(1);
    expect(Math.abs(inScreen.y1 - 400)).toBeLessThanOrEqual(1);
    expect([inScreen.x0, inScreen.x1]).toEqual([0, 300]);
  });

  it('never trims a flat picture to nothing', () => {
    const flat: RawImage = { data: Buffer.alloc(100 * 80 * 3, 200), width: 100, height: 80, channels: 3 };
    const box = findContentBox(luma(flat));
    expect(box.x1 - box.x0).toBeGreaterThanOrEqual(30);
    expect(box.y1 - box.y0).toBeGreaterThanOrEqual(24);
  });
});

describe('detectTilt (filled corners)', () => {
  const photo = grainyPicture(400, 300, 5);

  it.each([3, -3, 6, -1.5])('reads a turn of %s° from the corners, within 0.3°', async (degrees) => {
    const turned = await rawOf(fromRaw(photo).rotate(degrees, { background: '#000000' }));
    const cut = await rawOf(fromRaw(turned).extract({ left: Math.floor((turned.width - 400) / 2), top: Math.floor((turned.height - 300) / 2), width: 400, height: 300 }));
    const tilt = detectTilt(luma(cut));
    expect(tilt).toBeDefined();
    expect(Math.abs((tilt!.angle * 180) / Math.PI - degrees)).toBeLessThan(0.3);
  });

  it('sees no tilt in an upright picture, nor in one with a dark corner of its own', async () => {
    expect(detectTilt(luma(photo))).toBeUndefined();
    const corner = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="60" height="40"><polygon points="0,0 60,0 0,40" fill="black"/></svg>');
    const marked = await rawOf(fromRaw(photo).composite([{ input: corner, left: 0, top: 0 }]));
    expect(detectTilt(luma(marked))).toBeUndefined();
  });

  it.each([3, -3])('reads a turn of %s° when one corner of the picture is as dark as the fill (three corners agree)', async (degrees) => {
    const shadow = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="90"><rect width="120" height="90" fill="black"/></svg>');
    const dark = await rawOf(fromRaw(photo).composite([{ input: shadow, left: 0, top: 0 }]));
    const turned = await rawOf(fromRaw(dark).rotate(degrees, { background: '#000000' }));
    const cut = luma(await rawOf(fromRaw(turned).extract({ left: Math.floor((turned.width - 400) / 2), top: Math.floor((turned.height - 300) / 2), width: 400, height: 300 })));
    const tilt = detectTilt(cut);
    expect(tilt).toBeDefined();
    expect(Math.abs((tilt!.angle * 180) / Math.PI - degrees)).toBeLessThan(0.3);
    // Four agreeing corners, as before, do not see it: the dark corner reads no triangle of its own.
    expect(detectTilt(cut, 4)).toBeUndefined();
  });

  it('undoes the turn: the upright window of a tilted copy hashes like the same window of the original', async () => {
    const big = grainyPicture(640, 480, 8);
    const turned = await rawOf(fromRaw(big).rotate(3, { background: '#000000' }));
    const cut = await rawOf(fromRaw(turned).extract({ left: Math.floor((turned.width - 640) / 2), top: Math.floor((turned.height - 480) / 2), width: 640, height: 480 }));
    const query = querySet(luma(cut));
    const tilt = query.find((h) => h.role === 'tilt');
    expect(tilt).toBeDefined();
    const registered = registeredSet(luma(big));
    expect(closest([tilt!], registered, { registered: 'window' })).toBeLessThanOrEqual(24);
    expect(innerScale(640, 480, (3 * Math.PI) / 180)).toBeCloseTo(0.936, 2);
  });
});

describe('findSegments (content-anchored regions)', () => {
  it('moves every region box with the content when the frame is cropped', async () => {
    const photo = grainyPicture(800, 600, 11);
    const cropped = await rawOf(fromRaw(photo).extract({ left: 64, top: 30, width: 700, height: 540 }));
    const before = findSegments(luma(photo));
    const after = findSegments(luma(cropped));
    expect(before.length).toBeGreaterThanOrEqual(3);
    // Each region of the crop is a region of the original, shifted by the crop's offset.
    let found = 0;
    for (const s of after) {
      const twin = before.find((b) => Math.abs(b.cx - 64 - s.cx) < 1.5 && Math.abs(b.cy - 30 - s.cy) < 1.5);
      if (!twin) continue;
      found++;
      expect(Math.abs(twin.box.x1 - twin.box.x0 - (s.box.x1 - s.box.x0))).toBeLessThan(0.05 * (s.box.x1 - s.box.x0));
    }
    expect(found).toBeGreaterThanOrEqual(Math.min(3, after.length));
  });

  it('keeps a region an eighth of the short side across: small enough to survive a crop of 15 % off any side', () => {
    const width = 600;
    const height = 450;
    const data = Buffer.alloc(width * height * 3, 220);
    // A dark disc of radius 22 px: its box (± 2.5 σ, σ = r / 2) is 55 px, 12 % of the short side.
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if ((x + 0.5 - 250) ** 2 + (y + 0.5 - 200) ** 2 <= 22 * 22) data.fill(40, (y * width + x) * 3, (y * width + x) * 3 + 3);
    const [region] = findSegments(luma({ data, width, height, channels: 3 }));
    expect(region).toBeDefined();
    expect(region!.cx).toBeCloseTo(250, 0);
    expect((region!.box.x1 - region!.box.x0) / height).toBeCloseTo(0.12, 1);
  });

  it('finds no region in a flat picture', () => {
    const flat: RawImage = { data: Buffer.alloc(200 * 150 * 3, 90), width: 200, height: 150, channels: 3 };
    expect(findSegments(luma(flat))).toEqual([]);
  });
});

describe('registeredSet / querySet', () => {
  it('matches a copy cropped off-grid through a region, and the original through its full hash', async () => {
    const photo = grainyPicture(800, 600, 21);
    const registered = registeredSet(luma(photo));
    expect(registered[0]!.role).toBe('full');
    expect(registered.some((h) => h.role === 'region')).toBe(true);
    expect(registered.some((h) => h.role === 'window')).toBe(true);
    const cropped = await rawOf(fromRaw(photo).extract({ left: 70, top: 0, width: 700, height: 545 }));
    expect(closest(querySet(luma(cropped)), registered, { query: 'full', registered: 'full' })).toBeGreaterThan(40);
    expect(closest(querySet(luma(cropped)), registered)).toBeLessThanOrEqual(31);
    expect(closest(querySet(luma(photo)), registered, { query: 'full', registered: 'full' })).toBe(0);
  });

  it('keeps flat regions out: every derived hash but the full one has quality >= 50', () => {
    const blocks = scene(320, 240, 4);
    for (const h of registeredSet(luma(blocks))) if (h.role !== 'full') expect(h.quality).toBeGreaterThanOrEqual(50);
  });

  it('does not match an unrelated picture', () => {
    // Both pictures share this generator's diagonal shading, which their upright regions
    // (turned by 45°) both see: the closest pair comes out near 48 bits, far above 31.
    expect(closest(querySet(luma(grainyPicture(640, 480, 31))), registeredSet(luma(grainyPicture(640, 480, 32))))).toBeGreaterThan(40);
  });

  it('samples windows as PDQ sees a whole image: the full-box sample hashes close to PDQ of the picture', () => {
    const photo = luma(grainyPicture(512, 384, 41));
    const sampler = new AreaSampler(photo);
    const a = pdqFromDecimated(sampler.sampleBox({ x0: 0, y0: 0, x1: 512, y1: 384 })).hashes[0]!;
    const b = registeredSet(photo)[0]!.hashes[0]!;
    expect(hammingDistance(a, b)).toBe(0);
  });
});

const degreesOf = (radians: number): number => (radians * 180) / Math.PI;

/** A turn by `degrees` about the centre, cut back to the original size (corners filled black) or to its inner rectangle. */
async function tilted(image: RawImage, degrees: number, cut: 'frame' | 'inner'): Promise<RawImage> {
  const turned = await rawOf(fromRaw(image).rotate(degrees, { background: '#000000' }));
  const scale = cut === 'frame' ? 1 : innerScale(image.width, image.height, (degrees * Math.PI) / 180);
  const width = Math.floor(image.width * scale) - (cut === 'frame' ? 0 : 2);
  const height = Math.floor(image.height * scale) - (cut === 'frame' ? 0 : 2);
  return rawOf(fromRaw(turned).extract({ left: Math.floor((turned.width - width) / 2), top: Math.floor((turned.height - height) / 2), width, height }));
}

describe("dominantOrientation (the content's own direction)", () => {
  const photo = grainyPicture(640, 480, 13);

  it.each([
    [3, 'frame'],
    [-3, 'frame'],
    [6, 'frame'],
    [3, 'inner'],
    [-5, 'inner'],
  ] as const)('moves by the turn of %s° (%s), within 0.3°, corners filled or cut back', async (degrees, cut) => {
    const before = dominantOrientation(luma(photo));
    const after = dominantOrientation(luma(await tilted(photo, degrees, cut)));
    expect(before.coherence).toBeGreaterThan(0.05);
    // Read modulo a quarter turn: this picture's own direction lies near −45°, where a turn wraps.
    const moved = degreesOf(after.angle - before.angle) - degrees;
    expect(Math.abs(moved - 90 * Math.round(moved / 90))).toBeLessThan(0.3);
  });

  it('finds no direction in noise', () => {
    const random = seededRandom(5);
    const noise: RawImage = { data: Buffer.from(Array.from({ length: 320 * 240 * 3 }, () => Math.floor(random() * 256))), width: 320, height: 240, channels: 3 };
    expect(dominantOrientation(luma(noise)).coherence).toBeLessThan(0.05);
  });
});

describe('upright regions (boxes along the turned axes)', () => {
  /** One dark ellipse (semi-axes 120 × 45 px) on a light picture, turned by `degrees`. */
  function ellipse(degrees: number): RawImage {
    const width = 600;
    const height = 450;
    const data = Buffer.alloc(width * height * 3, 220);
    const c = Math.cos((degrees * Math.PI) / 180);
    const s = Math.sin((degrees * Math.PI) / 180);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const dx = x + 0.5 - 300;
        const dy = y + 0.5 - 225;
        const u = dx * c + dy * s;
        const v = -dx * s + dy * c;
        if ((u / 120) ** 2 + (v / 45) ** 2 <= 1) data.fill(40, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
    return { data, width, height, channels: 3 };
  }

  it('boxes a turned segment along its turned axes as the upright one along the frame', () => {
    const upright = regionsOf(stableSegments(luma(ellipse(0))), 600, 450)[0]!;
    const turnedImage = luma(ellipse(20));
    const turned = regionsOf(stableSegments(turnedImage), 600, 450, undefined, (20 * Math.PI) / 180)[0]!;
    expect(turned.angle).toBeCloseTo((20 * Math.PI) / 180, 10);
    const w = (b: { box: { x0: number; x1: number } }): number => b.box.x1 - b.box.x0;
    const h = (b: { box: { y0: number; y1: number } }): number => b.box.y1 - b.box.y0;
    expect(Math.abs(w(turned) - w(upright))).toBeLessThan(0.02 * w(upright));
    expect(Math.abs(h(turned) - h(upright))).toBeLessThan(0.02 * h(upright));
    // In the frame's own axes, the turned ellipse's box is squarer: it is not the same box.
    const axisAligned = regionsOf(stableSegments(turnedImage), 600, 450)[0]!;
    expect(h(axisAligned) - h(upright)).toBeGreaterThan(0.2 * h(upright));
  });

  it('hashes only the few largest upright regions (upright.maxRegions), and a tilt still meets them', async () => {
    const photo = grainyPicture(800, 600, 23);
    const copy = luma(await tilted(photo, -4, 'inner'));
    const uprightRegions = (set: DerivedHash[]): DerivedHash[] => set.filter((h) => h.role === 'region' && h.angle !== undefined);
    const uncapped = { ...DEFAULT_DERIVE_RULES, upright: { ...DEFAULT_DERIVE_RULES.upright, maxRegions: 16 } };
    expect(uprightRegions(querySet(copy, uncapped)).length).toBeGreaterThan(DEFAULT_DERIVE_RULES.upright.maxRegions);
    const query = uprightRegions(querySet(copy));
    expect(query.length).toBeGreaterThan(0);
    expect(query.length).toBeLessThanOrEqual(DEFAULT_DERIVE_RULES.upright.maxRegions);
    const registered = registeredSet(luma(photo));
    expect(uprightRegions(registered).length).toBeLessThanOrEqual(DEFAULT_DERIVE_RULES.upright.maxRegions);
    expect(closest(query, uprightRegions(registered))).toBeLessThanOrEqual(31);
  });

  it.each([
    [3, 'inner', false],
    [-4, 'inner', true],
    [3, 'frame', false],
  ] as const)('matches a tilt of %s° (%s) through upright hashes, without reading corners', async (degrees, cut, onlyUpright) => {
    const photo = grainyPicture(800, 600, 23);
    const registered = registeredSet(luma(photo));
    const copy = luma(await tilted(photo, degrees, cut));
    const query = querySet(copy);
    // Upright regions, and windows turned by the content's orientation (one code: not the corner-read tilt's eight).
    const upright = query.filter((h) => h.angle !== undefined && (h.role !== 'tilt' || h.hashes.length === 1));
    expect(upright.length).toBeGreaterThan(0);
    expect(closest(upright, registered)).toBeLessThanOrEqual(31);
    // Here nothing else in the query set would have found it.
    if (onlyUpright) expect(closest(query.filter((h) => !upright.includes(h)), registered)).toBeGreaterThan(31);
  });
});

describe('frame-centred windows of trimmed pictures (tilts keep the frame)', () => {
  /** A photo under a flat white band of its own: its content box is not its frame. */
  async function banded(seed: number): Promise<RawImage> {
    const canvas = sharp({ create: { width: 800, height: 600, channels: 3, background: '#ffffff' } });
    const photo = grainyPicture(800, 500, seed);
    return rawOf(canvas.composite([{ input: photo.data, raw: { width: 800, height: 500, channels: 3 }, left: 0, top: 100 }]));
  }

  it.each([3, -3, 6])('meets a %s° tilt with filled corners through the frame window its tilt hash asks for', async (degrees) => {
    const original = await banded(31);
    const image = luma(original);
    expect(trimsSomething(findContentBox(image), 800, 600)).toBe(true);
    const registered = registeredSet(image);
    const query = querySet(luma(await tilted(original, degrees, 'frame')));
    const tilt = query.filter((h) => h.role === 'tilt');
    expect(tilt.length).toBeGreaterThan(0);
    expect(closest(tilt, registered, { registered: 'window' })).toBeLessThanOrEqual(31);
    // Without them, the corner-read tilt hash (centred on the frame) meets none of the content-centred windows.
    const before = registeredSet(image, { ...DEFAULT_DERIVE_RULES, frameWindowDegrees: 0 });
    expect(closest(tilt, before)).toBeGreaterThan(31);
  });

  it('registers them only for trimmed pictures, at most one per registered scale', async () => {
    const frameWindows = (set: DerivedHash[]): number =>
      set.filter((h) => h.role === 'window' && h.angle === undefined && Math.abs(h.box.x0 + h.box.x1 - 1) < 1e-9 && Math.abs(h.box.y0 + h.box.y1 - 1) < 1e-9).length;
    const plain = grainyPicture(800, 600, 31);
    expect(frameWindows(registeredSet(luma(plain)))).toBe(frameWindows(registeredSet(luma(plain), { ...DEFAULT_DERIVE_RULES, frameWindowDegrees: 0 })));
    const image = luma(await banded(31));
    const added = registeredSet(image).length - registeredSet(image, { ...DEFAULT_DERIVE_RULES, frameWindowDegrees: 0 }).length;
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThanOrEqual(DEFAULT_DERIVE_RULES.windowScales.length);
  });
});

describe('query windows between registered scales', () => {
  it('meets a centred crop of 5 % a side (scale 0.90, between the registered 0.92 and 0.88) through a window', async () => {
    const photo = grainyPicture(800, 600, 27);
    const registered = registeredSet(luma(photo));
    const cropped = luma(await rawOf(fromRaw(photo).extract({ left: 40, top: 30, width: 720, height: 540 })));
    const query = querySet(cropped);
    expect(closest(query, registered, { query: 'window', registered: 'window' })).toBeLessThanOrEqual(31);
    // The crop itself sits between the registered windows: PDQ does not bridge the step.
    expect(closest(query, registered, { query: 'full', registered: 'window' })).toBeGreaterThan(closest(query, registered, { query: 'window', registered: 'window' }));
  });
});
