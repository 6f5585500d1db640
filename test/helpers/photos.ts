import sharp, { type Sharp } from 'sharp';
import { type RawImage, fromRaw } from './images.js';
import { seededRandom } from './random.js';

/**
 * Photo-like test images made at test time: smooth gradients and overlapping shapes, so
 * PDQ quality is high and hashes are stable under re-encoding. `seed` changes the scene.
 */
export async function scene(seed: number, width = 640, height = 480): Promise<Buffer> {
  const rnd = seededRandom(seed);
  const shapes: string[] = [];
  for (let i = 0; i < 40; i++) {
    const colour = `rgb(${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)},${Math.floor(rnd() * 255)})`;
    const x = Math.floor(rnd() * width);
    const y = Math.floor(rnd() * height);
    const r = Math.floor(10 + rnd() * Math.min(width, height) * (i < 10 ? 0.3 : 0.1));
    shapes.push(
      i % 2 === 0
        ? `<circle cx="${x}" cy="${y}" r="${r}" fill="${colour}" opacity="0.8"/>`
        : `<rect x="${x - r}" y="${y - r / 2}" width="${2 * r}" height="${r}" fill="${colour}" opacity="0.7"/>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="rgb(${Math.floor(rnd() * 255)},90,40)"/><stop offset="1" stop-color="rgb(20,${Math.floor(rnd() * 255)},160)"/>
    </linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>${shapes.join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
}

/**
 * A scene with the grain of a real photograph: `scene` with sensor-like noise on every
 * pixel. The matching profile's graphic gate (src/hashing/profile/texture.ts) takes a
 * noiseless render of flat shapes and smooth gradients for the flat graphic it is, and
 * derives no windows or regions from it; tests of derived matching use this instead.
 */
export async function grainyScene(seed: number, width = 640, height = 480): Promise<Buffer> {
  const { data, info } = await sharp(await scene(seed, width, height)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rnd = seededRandom(seed + 1000);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(data[i]! + (rnd() - 0.5) * 12)));
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

/**
 * A photo-like picture as raw RGB pixels: smooth shading, textured blobs of dark and light
 * tones, fine noise on every pixel. The matching profile's tests derive windows and regions
 * from it (the blobs are its segments) and its grain passes the graphic gate.
 */
export function grainyPicture(width: number, height: number, seed: number): RawImage {
  const random = seededRandom(seed);
  const blobs = Array.from({ length: 14 }, () => ({
    x: (0.1 + 0.8 * random()) * width,
    y: (0.1 + 0.8 * random()) * height,
    r: (0.03 + 0.07 * random()) * Math.min(width, height),
    tone: random() < 0.5 ? 30 + 40 * random() : 190 + 50 * random(),
  }));
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 110 + 30 * Math.sin(x / 37 + seed) + 25 * Math.cos(y / 29 - seed);
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r * b.r) v = b.tone + 10 * Math.sin((x + y) / 5);
      v += (random() - 0.5) * 6;
      const i = (y * width + x) * 3;
      data[i] = Math.max(0, Math.min(255, Math.round(v * 0.9 + 20)));
      data[i + 1] = Math.max(0, Math.min(255, Math.round(v)));
      data[i + 2] = Math.max(0, Math.min(255, Math.round(v * 0.8 + 10)));
    }
  }
  return { data, width, height, channels: 3 };
}

/** The RGB pixels a sharp pipeline ends with (alpha dropped). */
export async function rawOf(pipeline: Sharp): Promise<RawImage> {
  const { data, info } = await pipeline.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** The picture after a JPEG round trip at `quality`: what an upload's re-encoding does to it. */
export async function jpegRoundTrip(image: RawImage, quality: number): Promise<RawImage> {
  return rawOf(sharp(await fromRaw(image).jpeg({ quality }).toBuffer()));
}
