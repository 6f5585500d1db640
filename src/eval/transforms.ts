/**
 * The transformation suite: what re-uploads do to a picture. Each transformation is
 * data (name, family, parameters) interpreted by one sharp implementation, so the
 * report can print the parameters and tests can check each effect on its own.
 */
import sharp, { type Sharp } from 'sharp';

/** An image held in memory as raw 8-bit pixels (3 or 4 channels). */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Buffer;
}

/** One step of a transformation, interpreted by `applyStep`. */
export type Step =
  | { op: 'jpeg'; quality: number }
  | { op: 'webp'; quality: number }
  | { op: 'scale'; factor: number }
  | { op: 'fitLongSide'; pixels: number }
  | { op: 'stretch'; x: number; y: number }
  | { op: 'crop'; fraction: number }
  | { op: 'cropSquare' }
  | { op: 'cropSide'; side: 'top' | 'bottom' | 'left' | 'right'; fraction: number }
  | { op: 'cropSides'; left: number; top: number; right: number; bottom: number }
  | { op: 'pad'; fraction: number; colour: string }
  | { op: 'rotate'; degrees: 90 | 180 | 270 }
  | { op: 'tilt'; degrees: number }
  | { op: 'tiltInner'; degrees: number }
  | { op: 'flip'; axis: 'horizontal' | 'vertical' }
  | { op: 'brightness'; factor: number }
  | { op: 'contrast'; factor: number }
  | { op: 'saturation'; factor: number }
  | { op: 'gamma'; gamma: number }
  | { op: 'greyscale' }
  | { op: 'blur'; sigma: number }
  | { op: 'noise'; sigma: number; seed: number }
  | { op: 'overlay'; text: string }
  | { op: 'caption'; text: string }
  | { op: 'screenshot' };

export interface Transformation {
  /** Stable identifier used in results, e.g. "jpeg-q30". */
  readonly name: string;
  /** Group used in the report, e.g. "re-encode". */
  readonly family: string;
  /** Applied in order; the last lossy encoding (if any) gives the output format. */
  readonly steps: readonly Step[];
}

/** A variant as a platform would receive it: encoded bytes. */
export interface EncodedImage {
  readonly bytes: Buffer;
  readonly format: 'png' | 'jpeg' | 'webp';
  readonly width: number;
  readonly height: number;
}

const t = (name: string, family: string, ...steps: Step[]): Transformation => ({ name, family, steps });

/** mulberry32: a small seeded generator, so "random" transformations are the same every run. */
export function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random crop amounts, as shares of each side. */
export const RANDOM_CROP_RANGE = { min: 0.02, max: 0.15 } as const;
export const RANDOM_CROPS = 12;

/**
 * Crops of random amounts (2–15 %) on a random non-empty set of sides, drawn once from a
 * fixed seed: not a list of convenient windows, but the same list every run.
 */
export function randomCrops(count = RANDOM_CROPS, seed = 11): Transformation[] {
  const uniform = seededUniform(seed);
  const out: Transformation[] = [];
  for (let i = 1; i <= count; i++) {
    const sides = { left: 0, top: 0, right: 0, bottom: 0 };
    let mask = 0;
    while (mask === 0) mask = Math.floor(uniform() * 16);
    (['left', 'top', 'right', 'bottom'] as const).forEach((side, k) => {
      if (mask & (1 << k)) sides[side] = Math.round((RANDOM_CROP_RANGE.min + uniform() * (RANDOM_CROP_RANGE.max - RANDOM_CROP_RANGE.min)) * 1000) / 1000;
    });
    out.push(t(`crop-random-${String(i).padStart(2, '0')}`, 'crop-random', { op: 'cropSides', ...sides }));
  }
  return out;
}

/** The largest amount cut off any side by a crop transformation (0 for others): recall is reported against it. */
export function cropAmount(transformation: Transformation): number {
  let amount = 0;
  for (const step of transformation.steps) {
    if (step.op === 'cropSides') amount = Math.max(amount, step.left, step.top, step.right, step.bottom);
    else if (step.op === 'crop' || step.op === 'cropSide') amount = Math.max(amount, step.fraction);
  }
  return amount;
}

/** The suite run by `rempart eval`; names are stable so results stay comparable. */
export const TRANSFORMATIONS: readonly Transformation[] = [
  t('jpeg-q90', 're-encode', { op: 'jpeg', quality: 90 }),
  t('jpeg-q70', 're-encode', { op: 'jpeg', quality: 70 }),
  t('jpeg-q50', 're-encode', { op: 'jpeg', quality: 50 }),
  t('jpeg-q30', 're-encode', { op: 'jpeg', quality: 30 }),
  t('webp-q75', 're-encode', { op: 'webp', quality: 75 }),
  t('webp-q40', 're-encode', { op: 'webp', quality: 40 }),
  t('resize-x0.25', 'resize', { op: 'scale', factor: 0.25 }),
  t('resize-x0.5', 'resize', { op: 'scale', factor: 0.5 }),
  t('resize-x2', 'resize', { op: 'scale', factor: 2 }),
  t('aspect-wide-1.3', 'aspect', { op: 'stretch', x: 1.3, y: 1 }),
  t('aspect-tall-1.3', 'aspect', { op: 'stretch', x: 1, y: 1.3 }),
  t('crop-2pc', 'crop', { op: 'crop', fraction: 0.02 }),
  t('crop-5pc', 'crop', { op: 'crop', fraction: 0.05 }),
  t('crop-10pc', 'crop', { op: 'crop', fraction: 0.1 }),
  t('crop-bottom-15pc', 'crop', { op: 'cropSide', side: 'bottom', fraction: 0.15 }),
  t('crop-square', 'crop', { op: 'cropSquare' }),
  t('pad-5pc-white', 'border', { op: 'pad', fraction: 0.05, colour: '#ffffff' }),
  t('pad-20pc-black', 'border', { op: 'pad', fraction: 0.2, colour: '#000000' }),
  t('rotate-90', 'rotate', { op: 'rotate', degrees: 90 }),
  t('rotate-180', 'rotate', { op: 'rotate', degrees: 180 }),
  t('rotate-270', 'rotate', { op: 'rotate', degrees: 270 }),
  t('flip-horizontal', 'flip', { op: 'flip', axis: 'horizontal' }),
  t('flip-vertical', 'flip', { op: 'flip', axis: 'vertical' }),
  t('tilt+3', 'tilt', { op: 'tilt', degrees: 3 }),
  t('tilt-3', 'tilt', { op: 'tilt', degrees: -3 }),
  t('brightness+20pc', 'colour', { op: 'brightness', factor: 1.2 }),
  t('brightness-20pc', 'colour', { op: 'brightness', factor: 0.8 }),
  t('contrast+20pc', 'colour', { op: 'contrast', factor: 1.2 }),
  t('contrast-20pc', 'colour', { op: 'contrast', factor: 0.8 }),
  t('gamma-0.6', 'colour', { op: 'gamma', gamma: 0.6 }),
  t('gamma-1.6', 'colour', { op: 'gamma', gamma: 1.6 }),
  t('greyscale', 'colour', { op: 'greyscale' }),
  t('saturation+40pc', 'colour', { op: 'saturation', factor: 1.4 }),
  t('blur-s1', 'blur-noise', { op: 'blur', sigma: 1 }),
  t('blur-s2', 'blur-noise', { op: 'blur', sigma: 2 }),
  t('noise-s12', 'blur-noise', { op: 'noise', sigma: 12, seed: 1 }),
  t('overlay-text', 'overlay', { op: 'overlay', text: '@reposted_4u' }),
  t('caption-meme', 'overlay', { op: 'caption', text: 'NO WAY' }),
  t('screenshot-frame', 'screenshot', { op: 'screenshot' }),
  // What a social network does to an upload: shrink to 1080 px and re-encode.
  t('social-1080-q75', 'real-upload', { op: 'fitLongSide', pixels: 1080 }, { op: 'jpeg', quality: 75 }),
  // Chains of two, as seen when someone edits then re-posts.
  t('crop-5pc+jpeg-q50', 'chain', { op: 'crop', fraction: 0.05 }, { op: 'jpeg', quality: 50 }),
  t('resize-x0.5+jpeg-q70', 'chain', { op: 'scale', factor: 0.5 }, { op: 'jpeg', quality: 70 }),
  t('flip-horizontal+jpeg-q70', 'chain', { op: 'flip', axis: 'horizontal' }, { op: 'jpeg', quality: 70 }),
  t('brightness+20pc+crop-5pc', 'chain', { op: 'brightness', factor: 1.2 }, { op: 'crop', fraction: 0.05 }),
  t('overlay-text+jpeg-q70', 'chain', { op: 'overlay', text: '@reposted_4u' }, { op: 'jpeg', quality: 70 }),
  t('pad-5pc+resize-x0.5', 'chain', { op: 'pad', fraction: 0.05, colour: '#ffffff' }, { op: 'scale', factor: 0.5 }),
  t('tilt+3+jpeg-q70', 'chain', { op: 'tilt', degrees: 3 }, { op: 'jpeg', quality: 70 }),
  t('screenshot-frame+jpeg-q70', 'chain', { op: 'screenshot' }, { op: 'jpeg', quality: 70 }),
  // Beyond the first 48: larger tilts, a tilt cut back to its inner rectangle (no filled
  // corners to read the angle from), and crops of random amounts on random sides.
  t('tilt+6', 'tilt', { op: 'tilt', degrees: 6 }),
  t('tilt-6', 'tilt', { op: 'tilt', degrees: -6 }),
  t('tilt+3-inner', 'tilt', { op: 'tiltInner', degrees: 3 }),
  ...randomCrops(),
];

const BY_NAME = new Map(TRANSFORMATIONS.map((x) => [x.name, x]));

export function getTransformation(name: string): Transformation {
  const found = BY_NAME.get(name);
  if (!found) throw new RangeError(`unknown transformation "${name}"; known: ${[...BY_NAME.keys()].join(', ')}`);
  return found;
}

/** Human-readable parameters of a transformation, for the report. */
export function describeSteps(steps: readonly Step[]): string {
  return steps
    .map(({ op, ...params }) => {
      const values = Object.entries(params).map(([k, v]) => `${k}=${v}`);
      return values.length ? `${op}(${values.join(', ')})` : op;
    })
    .join(' → ');
}

function fromRaw(image: RawImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

async function toRaw(pipeline: Sharp): Promise<RawImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels as 3 | 4, data };
}

/** Rounds to a positive pixel count. */
const px = (value: number): number => Math.max(1, Math.round(value));

/** Builds a per-channel lookup table applied to colour channels only (alpha untouched). */
function mapChannels(image: RawImage, table: Uint8Array): RawImage {
  const out = Buffer.from(image.data);
  const colours = image.channels === 4 ? 3 : image.channels;
  for (let i = 0; i < out.length; i += image.channels) {
    for (let c = 0; c < colours; c++) out[i + c] = table[out[i + c]!]!;
  }
  return { ...image, data: out };
}

/** Deterministic Gaussian noise (mulberry32 + Box-Muller) so runs are repeatable. */
function addNoise(image: RawImage, sigma: number, seed: number): RawImage {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (((z ^ (z >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const out = Buffer.from(image.data);
  const colours = image.channels === 4 ? 3 : image.channels;
  for (let i = 0; i < out.length; i += image.channels) {
    for (let c = 0; c < colours; c++) {
      const gaussian = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      out[i + c] = Math.min(255, Math.max(0, Math.round(out[i + c]! + sigma * gaussian)));
    }
  }
  return { ...image, data: out };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Where the watermark goes: the bottom-right band a re-poster's handle usually takes. */
export function overlayBox(width: number, height: number): { left: number; top: number; width: number; height: number } {
  const boxWidth = px(width * 0.45);
  const boxHeight = px(height * 0.12);
  return { left: width - boxWidth - px(width * 0.03), top: height - boxHeight - px(height * 0.03), width: boxWidth, height: boxHeight };
}

function overlaySvg(box: { width: number; height: number }, text: string): Buffer {
  const fontSize = px(box.height * 0.55);
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${box.width}" height="${box.height}">` +
      `<rect x="0" y="0" width="${box.width}" height="${box.height}" rx="${px(box.height / 4)}" fill="black" fill-opacity="0.45"/>` +
      `<circle cx="${px(box.height / 2)}" cy="${px(box.height / 2)}" r="${px(box.height * 0.3)}" fill="#e33"/>` +
      `<text x="${px(box.height)}" y="${px(box.height * 0.7)}" font-family="sans-serif" font-weight="bold" font-size="${fontSize}" fill="white">${escapeXml(text)}</text>` +
      `</svg>`,
  );
}

/** Top caption bar height of a meme-style repost. */
export const CAPTION_FRACTION = 0.18;

function captionSvg(width: number, barHeight: number, text: string): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${barHeight}">` +
      `<rect width="${width}" height="${barHeight}" fill="white"/>` +
      `<text x="50%" y="70%" text-anchor="middle" font-family="sans-serif" font-weight="bold" font-size="${px(barHeight * 0.55)}" fill="black">${escapeXml(text)}</text>` +
      `</svg>`,
  );
}

/** Phone screenshot geometry: a 9:19.5 portrait screen with status and navigation bars. */
export const SCREEN = { width: 720, height: 1560, statusBar: 60, navigationBar: 96, appBar: 110 } as const;

async function screenshot(image: RawImage): Promise<RawImage> {
  // The photo fills the screen's width, as in a gallery or feed app, centred vertically.
  const height = Math.min(px((image.height * SCREEN.width) / image.width), SCREEN.height - SCREEN.statusBar - SCREEN.navigationBar - SCREEN.appBar);
  const width = Math.min(SCREEN.width, px((image.width * height) / image.height));
  const photo = await fromRaw(image).removeAlpha().resize(width, height, { fit: 'fill' }).png().toBuffer();
  const chrome = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SCREEN.width}" height="${SCREEN.height}">` +
      `<rect width="${SCREEN.width}" height="${SCREEN.statusBar}" fill="#202124"/>` +
      `<text x="24" y="42" font-family="sans-serif" font-size="30" fill="white">12:34</text>` +
      `<rect y="${SCREEN.statusBar}" width="${SCREEN.width}" height="${SCREEN.appBar}" fill="#ffffff"/>` +
      `<text x="24" y="${SCREEN.statusBar + 70}" font-family="sans-serif" font-size="36" fill="#202124">← Photo</text>` +
      `<rect y="${SCREEN.height - SCREEN.navigationBar}" width="${SCREEN.width}" height="${SCREEN.navigationBar}" fill="#202124"/>` +
      `</svg>`,
  );
  const top = SCREEN.statusBar + SCREEN.appBar + Math.floor((SCREEN.height - SCREEN.statusBar - SCREEN.appBar - SCREEN.navigationBar - height) / 2);
  return toRaw(
    sharp({ create: { width: SCREEN.width, height: SCREEN.height, channels: 3, background: '#000000' } }).composite([
      { input: chrome, left: 0, top: 0 },
      { input: photo, left: Math.floor((SCREEN.width - width) / 2), top },
    ]),
  );
}

/** Applies one geometric or photometric step, returning raw pixels. Encodings are handled by `applyTransformation`. */
export async function applyStep(image: RawImage, step: Step): Promise<RawImage> {
  const { width: w, height: h } = image;
  switch (step.op) {
    case 'jpeg':
    case 'webp': {
      // A lossy round trip inside a chain: encode, decode, carry on.
      const encoded = await encode(fromRaw(image), step);
      return toRaw(sharp(encoded));
    }
    case 'scale':
      return toRaw(fromRaw(image).resize(px(w * step.factor), px(h * step.factor), { fit: 'fill' }));
    case 'fitLongSide':
      return toRaw(fromRaw(image).resize(step.pixels, step.pixels, { fit: 'inside', withoutEnlargement: true }));
    case 'stretch':
      return toRaw(fromRaw(image).resize(px(w * step.x), px(h * step.y), { fit: 'fill' }));
    case 'crop': {
      const dx = Math.round(w * step.fraction);
      const dy = Math.round(h * step.fraction);
      return toRaw(fromRaw(image).extract({ left: dx, top: dy, width: w - 2 * dx, height: h - 2 * dy }));
    }
    case 'cropSquare': {
      const side = Math.min(w, h);
      return toRaw(fromRaw(image).extract({ left: Math.floor((w - side) / 2), top: Math.floor((h - side) / 2), width: side, height: side }));
    }
    case 'cropSide': {
      const cutX = step.side === 'left' || step.side === 'right' ? Math.round(w * step.fraction) : 0;
      const cutY = step.side === 'top' || step.side === 'bottom' ? Math.round(h * step.fraction) : 0;
      const left = step.side === 'left' ? cutX : 0;
      const top = step.side === 'top' ? cutY : 0;
      return toRaw(fromRaw(image).extract({ left, top, width: w - cutX, height: h - cutY }));
    }
    case 'cropSides': {
      const left = Math.round(w * step.left);
      const top = Math.round(h * step.top);
      const width = w - left - Math.round(w * step.right);
      const height = h - top - Math.round(h * step.bottom);
      return toRaw(fromRaw(image).extract({ left, top, width, height }));
    }
    case 'pad': {
      const dx = Math.round(w * step.fraction);
      const dy = Math.round(h * step.fraction);
      return toRaw(fromRaw(image).extend({ top: dy, bottom: dy, left: dx, right: dx, background: step.colour }));
    }
    case 'rotate':
      return toRaw(fromRaw(image).rotate(step.degrees));
    case 'tilt': {
      // Rotate, then cut back to the original size around the centre: a tilted re-shoot or scan.
      const rotated = await toRaw(fromRaw(image).rotate(step.degrees, { background: '#000000' }));
      return toRaw(
        fromRaw(rotated).extract({ left: Math.floor((rotated.width - w) / 2), top: Math.floor((rotated.height - h) / 2), width: w, height: h }),
      );
    }
    case 'tiltInner': {
      // Rotate, then keep the largest centred rectangle of the original's proportions with no filled corner.
      const rotated = await toRaw(fromRaw(image).rotate(step.degrees, { background: '#000000' }));
      const a = (Math.abs(step.degrees) * Math.PI) / 180;
      const scale = Math.min(w / (w * Math.cos(a) + h * Math.sin(a)), h / (h * Math.cos(a) + w * Math.sin(a)));
      const cw = Math.floor(w * scale) - 2;
      const ch = Math.floor(h * scale) - 2;
      return toRaw(fromRaw(rotated).extract({ left: Math.floor((rotated.width - cw) / 2), top: Math.floor((rotated.height - ch) / 2), width: cw, height: ch }));
    }
    case 'flip':
      return toRaw(step.axis === 'horizontal' ? fromRaw(image).flop() : fromRaw(image).flip());
    case 'brightness': {
      const table = Uint8Array.from({ length: 256 }, (_, v) => Math.min(255, Math.round(v * step.factor)));
      return mapChannels(image, table);
    }
    case 'contrast': {
      // Scale around mid-grey, as photo editors' contrast sliders do.
      const table = Uint8Array.from({ length: 256 }, (_, v) => Math.min(255, Math.max(0, Math.round(128 + (v - 128) * step.factor))));
      return mapChannels(image, table);
    }
    case 'gamma': {
      const table = Uint8Array.from({ length: 256 }, (_, v) => Math.round(255 * Math.pow(v / 255, step.gamma)));
      return mapChannels(image, table);
    }
    case 'saturation':
      return toRaw(fromRaw(image).modulate({ saturation: step.factor }));
    case 'greyscale':
      // Kept as 3 equal channels: re-uploaded greyscale JPEGs still decode to RGB.
      return toRaw(fromRaw(image).removeAlpha().greyscale().toColourspace('srgb'));
    case 'blur':
      return toRaw(fromRaw(image).blur(step.sigma));
    case 'noise':
      return addNoise(image, step.sigma, step.seed);
    case 'overlay': {
      const box = overlayBox(w, h);
      return toRaw(fromRaw(image).composite([{ input: overlaySvg(box, step.text), left: box.left, top: box.top }]));
    }
    case 'caption': {
      const bar = px(h * CAPTION_FRACTION);
      return toRaw(
        fromRaw(image)
          .removeAlpha()
          .extend({ top: bar, background: '#ffffff' })
          .composite([{ input: captionSvg(w, bar, step.text), left: 0, top: 0 }]),
      );
    }
    case 'screenshot':
      return screenshot(image);
  }
}

async function encode(pipeline: Sharp, step: { op: 'jpeg' | 'webp'; quality: number }): Promise<Buffer> {
  return step.op === 'jpeg'
    ? pipeline.removeAlpha().jpeg({ quality: step.quality, mozjpeg: false }).toBuffer()
    : pipeline.webp({ quality: step.quality }).toBuffer();
}

/**
 * Applies a transformation and encodes the result as a platform would receive it: the
 * format of the last step when it is a lossy encoding, lossless PNG otherwise (so a
 * resize or crop is measured on its own, without compression on top).
 */
export async function applyTransformation(image: RawImage, transformation: Transformation): Promise<EncodedImage> {
  const steps = transformation.steps;
  const last = steps[steps.length - 1];
  const finalEncoding = last && (last.op === 'jpeg' || last.op === 'webp') ? last : undefined;
  let current = image;
  for (const step of finalEncoding ? steps.slice(0, -1) : steps) current = await applyStep(current, step);
  const pipeline = fromRaw(current);
  if (finalEncoding) {
    return { bytes: await encode(pipeline, finalEncoding), format: finalEncoding.op, width: current.width, height: current.height };
  }
  // Level 1: the bytes are decoded once and dropped, size does not matter, speed does.
  return { bytes: await pipeline.png({ compressionLevel: 1 }).toBuffer(), format: 'png', width: current.width, height: current.height };
}

/** Decodes an original into the working copy the suite starts from (oriented, sRGB, at most `maxSide` px). */
export async function loadWorkingCopy(bytes: Uint8Array, maxSide: number): Promise<RawImage> {
  return toRaw(
    sharp(bytes, { autoOrient: true, failOn: 'error', pages: 1 })
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb'),
  );
}

/** The working copy encoded losslessly: what victims register and what the suite alters. */
export async function encodeLossless(image: RawImage): Promise<Buffer> {
  return fromRaw(image).png({ compressionLevel: 1 }).toBuffer();
}
