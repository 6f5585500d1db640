import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RempartError } from '../src/errors.js';
import { hammingDistance } from '../src/hashing/hamming.js';
import { hexToBytes } from '../src/hashing/codec.js';
import { algorithmNames } from '../src/hashing/registry.js';
import { HashingPool, type HashImageOptions } from '../src/pipeline/pool.js';
import {
  animatedGif,
  corruptPng,
  encode,
  fromRaw,
  greyAsRgb,
  jpegDeclaring,
  physicallyOriented,
  slowPng,
  pngDeclaring,
  scene,
  truncated,
  variants,
  withOrientation,
} from './helpers/images.js';

const picture = scene(320, 240, 1);
const other = scene(320, 240, 2);
let pool: HashingPool;

beforeAll(() => {
  pool = new HashingPool({ threads: 2 });
});
afterAll(() => pool.close());

async function hashOf(bytes: Uint8Array, algorithm = 'blockhash', options: HashImageOptions = {}): Promise<string> {
  const image = await pool.hashImage(bytes, { algorithms: [algorithm], ...options });
  return image.hashes[0]!.value;
}

const distance = (a: string, b: string) => hammingDistance(hexToBytes(a), hexToBytes(b));

async function rejection(promise: Promise<unknown>): Promise<RempartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RempartError);
  return error as RempartError;
}

describe('HashingPool: accepted formats', () => {
  let reference: string;
  let unrelated: string;
  beforeAll(async () => {
    reference = await hashOf(await encode.png(picture));
    unrelated = await hashOf(await encode.png(other));
  });

  it('tells two different pictures apart (so the closeness checks below mean something)', () => {
    expect(distance(reference, unrelated)).toBeGreaterThan(60);
  });

  // Lossless formats must give the PNG's hash exactly; lossy ones stay close.
  const cases = [
    ['png', 0],
    ['webp', 0],
    ['tiff', 0],
    ['avif', 0],
    ['jpeg', 4],
    ['gif', 8],
  ] as const;
  for (const [format, bound] of cases) {
    it(`decodes and hashes ${format} (distance <= ${bound} from the lossless PNG)`, async () => {
      const image = await pool.hashImage(await encode[format](picture), { algorithms: ['blockhash'] });
      expect(image.format).toBe(format);
      expect([image.width, image.height]).toEqual([320, 240]);
      expect(distance(image.hashes[0]!.value, reference)).toBeLessThanOrEqual(bound);
    });
  }

  it('computes every registered algorithm by default, in registry order', async () => {
    const image = await pool.hashImage(await encode.png(picture));
    expect(image.hashes.map((h) => h.algorithm)).toEqual(algorithmNames);
    for (const hash of image.hashes) expect(hash.value).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('HashingPool: colour modes give the hash of the RGB original', () => {
  let reference: string;
  beforeAll(async () => {
    reference = await hashOf(await encode.png(picture));
  });
  const cases = [
    ['rgba', 0],
    ['png16', 0],
    ['tiff16', 0],
    ['palettePng', 6],
    ['cmykJpeg', 8],
  ] as const;
  for (const [variant, bound] of cases) {
    it(`${variant}: distance <= ${bound}`, async () => {
      const image = await pool.hashImage(await variants[variant](picture), { algorithms: ['blockhash'] });
      expect([image.width, image.height]).toEqual([320, 240]);
      expect(distance(image.hashes[0]!.value, reference)).toBeLessThanOrEqual(bound);
    });
  }

  // Grey decodes to R = G = B: it must hash exactly like the same grey levels stored as RGB.
  // (Against the colour original it differs by design: blockhash sums R+G+B, not luma.)
  for (const variant of ['grey', 'greyAlpha'] as const) {
    it(`${variant}: same hash as its grey levels stored as RGB`, async () => {
      const greyReference = await hashOf(await greyAsRgb(picture));
      expect(await hashOf(await variants[variant](picture))).toBe(greyReference);
      expect(distance(greyReference, reference)).toBeGreaterThan(0); // the check is not vacuous
    });
  }

  it('treats fully transparent pixels as blockhash does (white), not as their hidden colour', async () => {
    const hidden = await fromRaw(picture).ensureAlpha(0).png().toBuffer();
    const white = await fromRaw({ ...picture, data: Buffer.alloc(picture.data.length, 255) }).png().toBuffer();
    expect(await hashOf(hidden)).toBe(await hashOf(white));
  });
});

describe('HashingPool: EXIF orientation', () => {
  it('orientation 6 gives the hash and size of the physically rotated picture', async () => {
    const algorithms = ['blockhash', 'pdq'];
    const oriented = await pool.hashImage(await withOrientation(picture, 6), { algorithms });
    const physical = await pool.hashImage(await physicallyOriented(picture, 6), { algorithms });
    expect([oriented.width, oriented.height]).toEqual([240, 320]);
    expect(oriented.hashes).toEqual(physical.hashes);
    // And not the hash of the stored (unrotated) pixels.
    const stored = await hashOf(await encode.png(picture));
    expect(distance(oriented.hashes[0]!.value, stored)).toBeGreaterThan(40);
  });

  for (const orientation of [3, 8] as const) {
    it(`orientation ${orientation} gives the hash of the physically oriented picture`, async () => {
      const image = await pool.hashImage(await withOrientation(picture, orientation), { algorithms: ['blockhash'] });
      expect(image.hashes[0]!.value).toBe(await hashOf(await physicallyOriented(picture, orientation)));
      expect([image.width, image.height]).toEqual(orientation === 3 ? [320, 240] : [240, 320]);
    });
  }
});

describe('HashingPool: animations', () => {
  it('hashes the first frame of an animated GIF', async () => {
    const animation = await hashOf(await animatedGif(picture, other));
    const first = await hashOf(await encode.gif(picture));
    const second = await hashOf(await encode.gif(other));
    expect(animation).toBe(first);
    expect(distance(animation, second)).toBeGreaterThan(60);
  });
});

describe('HashingPool: rejected input', () => {
  const secret = 'SECRET-PAYLOAD-0123456789';
  const cases: [string, () => Promise<Uint8Array> | Uint8Array, string, RegExp][] = [
    ['empty', () => new Uint8Array(0), 'IMAGE_EMPTY', /empty \(0 bytes\)/],
    ['plain text', () => Buffer.from(`${secret} hello`), 'IMAGE_UNSUPPORTED', /not recognised/],
    ['HTML', () => Buffer.from(`<!doctype html><html><body>${secret}</body></html>`), 'IMAGE_UNSUPPORTED', /HTML/],
    [
      'SVG',
      () => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg"><image href="http://x/${secret}"/></svg>`),
      'IMAGE_UNSUPPORTED',
      /SVG is not accepted/,
    ],
    ['truncated JPEG', async () => truncated(await encode.jpeg(picture), 0.5), 'IMAGE_CORRUPT', /JPEG image is corrupt or truncated/],
    ['truncated PNG', async () => truncated(await encode.png(picture), 0.5), 'IMAGE_CORRUPT', /PNG image is corrupt/],
    ['PNG with garbage pixel data', async () => corruptPng(await encode.png(picture)), 'IMAGE_CORRUPT', /PNG image is corrupt/],
    ['JPEG header only', async () => (await encode.jpeg(picture)).subarray(0, 200), 'IMAGE_CORRUPT', /JPEG/],
    [
      'PNG declaring 50000×50000',
      () => pngDeclaring(50_000, 50_000),
      'IMAGE_TOO_MANY_PIXELS',
      /image is 50000×50000 = 2500 megapixels, over the limit of 100/,
    ],
    [
      'JPEG declaring 60000×60000',
      () => jpegDeclaring(60_000, 60_000),
      'IMAGE_TOO_MANY_PIXELS',
      /image is 60000×60000 = 3600 megapixels, over the limit of 100/,
    ],
  ];
  for (const [label, make, code, message] of cases) {
    it(`${label} → ${code}`, async () => {
      const error = await rejection(pool.hashImage(await make()));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain(secret);
    });
  }

  it('oversized bytes → IMAGE_TOO_LARGE, checked before anything is decoded', async () => {
    const small = new HashingPool({ threads: 1, maxInputBytes: 1000 });
    try {
      const error = await rejection(small.hashImage(await encode.png(picture)));
      expect(error.code).toBe('IMAGE_TOO_LARGE');
      expect(error.message).toMatch(/^image is [\d.]+ KB, over the limit of 1000 bytes$/);
    } finally {
      await small.close();
    }
  });

  it('a lower pixel limit applies to real images too', async () => {
    const small = new HashingPool({ threads: 1, maxPixels: 320 * 240 - 1 });
    try {
      const error = await rejection(small.hashImage(await encode.jpeg(picture)));
      expect(error.code).toBe('IMAGE_TOO_MANY_PIXELS');
      expect(error.message).toMatch(/320×240 = 0\.1 megapixels/);
    } finally {
      await small.close();
    }
  });

  it('a decode slower than decodeTimeoutSeconds → IMAGE_TIMEOUT (422), and the worker stays usable', async () => {
    // A 200 MP, 16-bit RGBA PNG: 1.6 GB to inflate and un-filter on one core (~4 s on a
    // quiet machine; 10000×10000 at 8 bits took 0.97 s there, too close to the 1 s that
    // sharp's whole-second timeout allows at least).
    const slow = new HashingPool({ threads: 1, decodeTimeoutSeconds: 1, maxPixels: 200_000_000 });
    try {
      const error = await rejection(slow.hashImage(slowPng(20_000, 10_000, 100, 16)));
      expect(error.code).toBe('IMAGE_TIMEOUT');
      expect(error.statusCode).toBe(422);
      expect(error.message).toBe('image took longer than 1 s to decode');
      // The same (only) worker hashes the next image, with the same result as elsewhere.
      const image = await slow.hashImage(await encode.png(picture), { algorithms: ['blockhash'] });
      expect(image.hashes[0]!.value).toBe(await hashOf(await encode.png(picture)));
    } finally {
      await slow.close();
    }
  });

  it('a small version of the CPU-heavy PNG is valid and decodes within the default timeout', async () => {
    const image = await pool.hashImage(slowPng(400, 300), { algorithms: ['blockhash'] });
    expect([image.format, image.width, image.height]).toEqual(['png', 400, 300]);
  });

  it('keeps working after every rejection', async () => {
    const image = await pool.hashImage(await encode.jpeg(picture), { algorithms: ['blockhash'] });
    expect(image.format).toBe('jpeg');
  });

  it('unknown algorithm → UNKNOWN_ALGORITHM; empty list → BAD_REQUEST', async () => {
    const bytes = await encode.png(picture);
    expect((await rejection(pool.hashImage(bytes, { algorithms: ['md5'] }))).code).toBe('UNKNOWN_ALGORITHM');
    expect((await rejection(pool.hashImage(bytes, { algorithms: [] }))).code).toBe('BAD_REQUEST');
  });
});

describe('HashingPool: requests', () => {
  it('an algorithm hashes the same whichever others are requested', async () => {
    const bytes = await encode.jpeg(scene(1600, 1000, 3));
    const pdqAlone = await hashOf(Buffer.from(bytes), 'pdq');
    const both = await pool.hashImage(Buffer.from(bytes), { algorithms: ['pdq', 'blockhash'] });
    expect(both.hashes.map((h) => h.algorithm)).toEqual(['pdq', 'blockhash']);
    expect(both.hashes[0]!.value).toBe(pdqAlone);
    expect(both.hashes[1]!.value).toBe(await hashOf(Buffer.from(bytes), 'blockhash'));
    expect([both.width, both.height]).toEqual([1600, 1000]);
  });

  it('returns dihedral hashes only when asked', async () => {
    const bytes = await encode.png(picture);
    const plain = await pool.hashImage(Buffer.from(bytes), { algorithms: ['pdq'] });
    const withDihedral = await pool.hashImage(Buffer.from(bytes), { algorithms: ['pdq', 'blockhash'], dihedral: true });
    expect(plain.hashes[0]!.dihedral).toBeUndefined();
    expect(Object.keys(withDihedral.hashes[0]!.dihedral ?? {})).toHaveLength(7);
    expect(withDihedral.hashes[1]!.dihedral).toBeUndefined();
  });

  it('transfers the bytes to the worker instead of copying them', async () => {
    const bytes = new Uint8Array(await encode.png(picture)); // owns its whole ArrayBuffer
    await pool.hashImage(bytes, { algorithms: ['blockhash'] });
    expect(bytes.byteLength).toBe(0); // detached: the worker received the buffer itself
  });

  it('copies a view on a shared buffer rather than detaching its neighbours', async () => {
    const png = await encode.png(scene(16, 16, 4));
    const slab = new Uint8Array(png.length + 10).fill(7);
    slab.set(png, 5);
    await pool.hashImage(slab.subarray(5, 5 + png.length), { algorithms: ['blockhash'] });
    expect(slab.byteLength).toBe(png.length + 10);
    expect(slab[0]).toBe(7);
  });

  it('fails fast with OVERLOADED when more images wait than maxQueue', async () => {
    const busy = new HashingPool({ threads: 1, maxQueue: 1 });
    try {
      const bytes = await encode.jpeg(scene(1200, 900, 5));
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () => busy.hashImage(Buffer.from(bytes), { algorithms: ['blockhash'] })),
      );
      const overloaded = results.filter((r) => r.status === 'rejected' && (r.reason as RempartError).code === 'OVERLOADED');
      expect(overloaded.length).toBeGreaterThanOrEqual(4); // at most 1 running + 1 waiting
      expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
    } finally {
      await busy.close();
    }
  });

  it('refuses work after close', async () => {
    const closing = new HashingPool({ threads: 1 });
    await closing.close();
    await expect(closing.hashImage(await encode.png(picture))).rejects.toThrow(/closed/);
  });
});
