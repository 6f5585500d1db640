import sharp from 'sharp';
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
