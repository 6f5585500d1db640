/**
 * Test images generated at test time with sharp (never copies of ../shared): one
 * deterministic "scene" encoded in every accepted format and colour mode, plus
 * broken inputs (truncated, corrupt, dimension bombs).
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * A deterministic RGB picture with large-scale structure (gradients and blocks of
 * colour), so perceptual hashes have plenty of stable bits. `seed` changes the layout.
 */
export function scene(width = 320, height = 240, seed = 1): RawImage {
  const data = Buffer.alloc(width * height * 3);
  let state = seed * 2654435761;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const boxes = Array.from({ length: 6 }, () => ({
    x: random() * width, y: random() * height, w: (0.15 + random() * 0.3) * width, h: (0.15 + random() * 0.3) * height,
    colour: [random() * 255, random() * 255, random() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb = [(255 * x) / width, (255 * y) / height, 128 + 100 * Math.sin((seed * x + y) / 40)];
      for (const box of boxes) {
        if (x >= box.x && x < box.x + box.w && y >= box.y && y < box.y + box.h) rgb = box.colour;
      }
      data.set(rgb.map((v) => Math.max(0, Math.min(255, Math.round(v ?? 0)))), (y * width + x) * 3);
    }
  }
  return { data, width, height, channels: 3 };
}

export function fromRaw(image: RawImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
}

export const encode = {
  jpeg: (image: RawImage) => fromRaw(image).jpeg({ quality: 92 }).toBuffer(),
  png: (image: RawImage) => fromRaw(image).png().toBuffer(),
  webp: (image: RawImage) => fromRaw(image).webp({ lossless: true }).toBuffer(),
  gif: (image: RawImage) => fromRaw(image).gif().toBuffer(),
  // sharp's TIFF default is JPEG compression: ask for lossless LZW.
  tiff: (image: RawImage) => fromRaw(image).tiff({ compression: 'lzw' }).toBuffer(),
  avif: (image: RawImage) => fromRaw(image).avif({ lossless: true }).toBuffer(),
};

/** The picture's grey levels stored as plain RGB (R = G = B): what grey variants must hash like. */
export async function greyAsRgb(image: RawImage): Promise<Buffer> {
  const grey = await fromRaw(image).toColourspace('b-w').raw().toBuffer();
  if (grey.length !== image.width * image.height) throw new Error('expected one grey channel');
  const rgb = Buffer.alloc(grey.length * 3);
  grey.forEach((level, i) => rgb.fill(level, 3 * i, 3 * i + 3));
  return fromRaw({ data: rgb, width: image.width, height: image.height, channels: 3 }).png().toBuffer();
}

/** Colour-mode variants of the same picture, all lossless except CMYK JPEG. */
export const variants = {
  rgba: (image: RawImage) => fromRaw(image).ensureAlpha(1).png().toBuffer(),
  grey: (image: RawImage) => fromRaw(image).toColourspace('b-w').png().toBuffer(),
  greyAlpha: (image: RawImage) => fromRaw(image).toColourspace('b-w').ensureAlpha(1).png().toBuffer(),
  cmykJpeg: (image: RawImage) => fromRaw(image).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer(),
  png16: (image: RawImage) => fromRaw(image).toColourspace('rgb16').png().toBuffer(),
  tiff16: (image: RawImage) => fromRaw(image).toColourspace('rgb16').tiff({ compression: 'lzw' }).toBuffer(),
  palettePng: (image: RawImage) => fromRaw(image).png({ palette: true, colours: 256, dither: 0 }).toBuffer(),
};

const ORIENTATION_ANGLE = { 3: 180, 6: 90, 8: 270 } as const;

/** A PNG storing `image` as is, with an EXIF orientation tag saying how to show it. */
export function withOrientation(image: RawImage, orientation: 3 | 6 | 8): Promise<Buffer> {
  return fromRaw(image).withMetadata({ orientation }).png().toBuffer();
}

/** What that orientation displays, done to the pixels themselves (no tag). */
export function physicallyOriented(image: RawImage, orientation: 3 | 6 | 8): Promise<Buffer> {
  return fromRaw(image).rotate(ORIENTATION_ANGLE[orientation]).png().toBuffer();
}

/** A two-frame animated GIF. */
export function animatedGif(first: RawImage, second: RawImage): Promise<Buffer> {
  const toRgba = (image: RawImage) => fromRaw(image).ensureAlpha(1).raw().toBuffer();
  return Promise.all([toRgba(first), toRgba(second)]).then(([a, b]) =>
    sharp(Buffer.concat([a, b]), {
      raw: { width: first.width, height: first.height * 2, channels: 4, pageHeight: first.height },
    })
      .gif()
      .toBuffer(),
  );
}

export function truncated(bytes: Buffer, fraction = 0.5): Buffer {
  return Buffer.from(bytes.subarray(0, Math.floor(bytes.length * fraction)));
}

/** A PNG whose compressed pixel data (IDAT) is replaced by garbage of the same length. */
export function corruptPng(png: Buffer): Buffer {
  const copy = Buffer.from(png);
  const idat = copy.indexOf('IDAT');
  const length = copy.readUInt32BE(idat - 4);
  for (let i = 0; i < length; i++) copy[idat + 4 + i] = (i * 97 + 13) & 0xff;
  copy.writeUInt32BE(crc32(copy.subarray(idat, idat + 4 + length)), idat + 4 + length);
  return copy;
}

/**
 * A decompression bomb: a tiny valid PNG whose header declares width × height.
 * The IHDR checksum is recomputed so only the size is "wrong".
 */
export async function pngDeclaring(width: number, height: number): Promise<Buffer> {
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
  const ihdr = png.indexOf('IHDR');
  png.writeUInt32BE(width, ihdr + 4);
  png.writeUInt32BE(height, ihdr + 8);
  png.writeUInt32BE(crc32(png.subarray(ihdr, ihdr + 17)), ihdr + 17);
  return png;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/**
 * A valid, CPU-heavy PNG: width × height black RGBA pixels (8 or 16 bits per channel),
 * every row Paeth-filtered.
 * Small on disc (~4 bytes per 1000 pixels) and built in milliseconds, but PNG has no
 * shrink-on-load: libvips must inflate and un-filter all width × height × 4 bytes (at
 * 10000×10000, seconds of one core). The compressed data is one slab of `rowsPerSlab`
 * rows deflated with a full flush (byte-aligned, no back-references across slabs),
 * repeated; the zlib Adler-32 of the repeated data is computed from the slab's sums.
 */
export function slowPng(width: number, height: number, rowsPerSlab = 100, bitDepth: 8 | 16 = 8): Buffer {
  if (height % rowsPerSlab !== 0) throw new RangeError('height must be a multiple of rowsPerSlab');
  const rowBytes = 1 + width * 4 * (bitDepth / 8);
  const slab = Buffer.alloc(rowBytes * rowsPerSlab);
  for (let row = 0; row < rowsPerSlab; row++) slab[row * rowBytes] = 4; // filter type 4: Paeth
  const deflated = deflateRawSync(slab, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  // Adler-32: a = 1 + Σ bytes, b = Σ of a after each byte (mod 65521). Appending the slab
  // to a state (a, b) gives (a + sum, b + length·a + prefixSums), with the slab's own
  // sum and sum of prefix sums computed once.
  const MOD = 65521;
  let sum = 0;
  let prefixSums = 0;
  for (const byte of slab) {
    sum = (sum + byte) % MOD;
    prefixSums = (prefixSums + sum) % MOD;
  }
  let a = 1;
  let b = 0;
  const slabs = height / rowsPerSlab;
  for (let i = 0; i < slabs; i++) {
    b = (b + (slab.length % MOD) * a + prefixSums) % MOD;
    a = (a + sum) % MOD;
  }
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((b << 16) | a) >>> 0);
  const idat = Buffer.concat([
    Buffer.from([0x78, 0xda]), // zlib header
    ...Array.from({ length: slabs }, () => deflated),
    Buffer.from([0x03, 0x00]), // empty final fixed-Huffman block
    adler,
  ]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Same for JPEG: the frame header (SOF) is patched to declare width × height. */
export async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  for (let i = 2; i < jpeg.length - 8; i++) {
    if (jpeg[i] === 0xff && (jpeg[i + 1] === 0xc0 || jpeg[i + 1] === 0xc2)) {
      jpeg.writeUInt16BE(height, i + 5);
      jpeg.writeUInt16BE(width, i + 7);
      return jpeg;
    }
  }
  throw new Error('no SOF marker in generated JPEG');
}

export async function rawPixels(bytes: Buffer): Promise<RawImage> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as 3 | 4 };
}
