/**
 * Matching that survives crops, borders, screenshots and tilts, over real HTTP and at the
 * service's defaults: the victim registers the item POST /v1/hash answers (her image's
 * whole-picture hashes and the matching profile's derived set); a platform asks POST
 * /v1/match/image?dihedral=true with altered copies; an unrelated image does not match.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { grainyScene as scene, scene as unlike } from './helpers/photos.js';

const PROFILE = 'pdq-regions';

describe('matching profile over HTTP', () => {
  let server: TestServer;
  let apiKey: string;
  let photo: Buffer;

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey('example-platform');
    photo = await scene(7, 960, 720);
  });
  afterAll(() => server.close());

  /** Today's whole-picture matching only with `profile: false` (?profile=none); the defaults otherwise. */
  const match = (bytes: Buffer, profile = true) =>
    request(`${server.url}/v1/match/image?dihedral=true${profile ? '' : '&profile=none'}`, { raw: bytes, contentType: 'image/png', headers: bearer(apiKey) });

  it('registers the item POST /v1/hash answers and catches a cropped, a padded, a screenshotted and two tilted copies', async () => {
    const hashed = await request(`${server.url}/v1/hash`, { raw: photo, contentType: 'image/jpeg' });
    expect(hashed.status).toBe(200);
    const derived = hashed.body.derived;
    expect(derived.profile).toBe(PROFILE);
    expect(derived.side).toBe('registered');
    const roles = new Set(derived.hashes.map((h: { role: string }) => h.role));
    expect(roles.has('full')).toBe(true);
    expect(roles.has('window')).toBe(true);
    for (const h of derived.hashes) {
      expect(h.value).toMatch(/^[0-9a-f]{64}$/);
      expect(h.box).toHaveLength(4);
      expect(h.quality).toBeGreaterThanOrEqual(50);
    }
    // The item to register: every algorithm's hash of the whole picture as 'full' (what a flat
    // registration holds), then the derived hashes with their roles and boxes.
    const item = hashed.body.item;
    expect(item.kind).toBe('image');
    const full = item.hashes.filter((h: { role: string }) => h.role === 'full');
    expect(full.map((h: { algorithm: string; value: string }) => `${h.algorithm}:${h.value}`).sort()).toEqual(
      hashed.body.hashes.map((h: { algorithm: string; value: string }) => `${h.algorithm}:${h.value}`).sort(),
    );
    expect(item.hashes.length).toBe(hashed.body.hashes.length + derived.hashes.filter((h: { role: string }) => h.role !== 'full').length);
    // Upright windows and regions keep their turn (degrees): the item, the feed and match answers carry it.
    const turned = derived.hashes.filter((h: { role: string; angle?: number }) => h.role !== 'full' && h.angle !== undefined);
    expect(turned.length).toBeGreaterThan(0);
    for (const h of turned) expect(item.hashes.find((i: { value: string }) => i.value === h.value).angle).toBe(h.angle);
    const created = await request(`${server.url}/v1/cases`, { body: { items: [item] } });
    expect(created.status).toBe(201);
    expect(created.body.hashCount).toBe(item.hashes.length);

    const { width, height } = await sharp(photo).metadata();
    const cropped = await sharp(photo)
      .extract({ left: Math.round(width! * 0.07), top: Math.round(height! * 0.03), width: Math.round(width! * 0.88), height: Math.round(height! * 0.85) })
      .png()
      .toBuffer();
    const padded = await sharp(photo).extend({ top: 150, bottom: 150, left: 40, right: 40, background: '#000000' }).png().toBuffer();
    const screenshot = await sharp({ create: { width: 720, height: 1560, channels: 3, background: '#101010' } })
      .composite([
        { input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="720" height="170"><rect width="720" height="60" fill="#202124"/><rect y="60" width="720" height="110" fill="#fff"/><text x="24" y="130" font-size="36" font-family="sans-serif">← Photo</text></svg>'), left: 0, top: 0 },
        { input: await sharp(photo).resize(720).png().toBuffer(), left: 0, top: 500 },
      ])
      .png()
      .toBuffer();

    // Tilted copies: turned 3° and cut back to the original size (black corners), and turned
    // −4° and cut back to the largest rectangle inside (no corners to read the turn from).
    const turn = async (degrees: number, inner: boolean): Promise<Buffer> => {
      const turned = await sharp(photo).rotate(degrees, { background: '#000000' }).png().toBuffer({ resolveWithObject: true });
      const a = (Math.abs(degrees) * Math.PI) / 180;
      const scale = inner ? Math.min(width! / (width! * Math.cos(a) + height! * Math.sin(a)), height! / (height! * Math.cos(a) + width! * Math.sin(a))) : 1;
      const w = Math.floor(width! * scale) - (inner ? 2 : 0);
      const h = Math.floor(height! * scale) - (inner ? 2 : 0);
      return sharp(turned.data)
        .extract({ left: Math.floor((turned.info.width - w) / 2), top: Math.floor((turned.info.height - h) / 2), width: w, height: h })
        .png()
        .toBuffer();
    };
    const tilted = await turn(3, false);
    const tiltedInner = await turn(-4, true);

    const copies = [['cropped', cropped], ['padded', padded], ['screenshot', screenshot], ['tilted', tilted], ['tilted-inner', tiltedInner]] as const;
    for (const [name, copy] of copies) {
      const plain = await match(copy, false);
      expect(plain.status, name).toBe(200);
      const found = await match(copy);
      expect(found.status, name).toBe(200);
      expect(found.body.matched, name).toBe(true);
      // One answer for the one registered image, whichever of its hashes matched.
      expect(found.body.matches, name).toHaveLength(1);
      const [answer] = found.body.matches;
      expect(answer.item, name).toMatch(/^i_/);
      expect(answer.id, name).toMatch(/^h_/);
      expect(['full', 'trimmed', 'window', 'region'], name).toContain(answer.role);
      expect(answer.distance, name).toBeLessThanOrEqual(31);
      // The matched hash's box, and its turn when it has one.
      const registeredHash = item.hashes.find((h: { role: string; box?: number[] }) => h.role === answer.role && JSON.stringify(h.box) === JSON.stringify(answer.box));
      expect(registeredHash, name).toBeDefined();
      expect(answer.angle, name).toBe(registeredHash.angle);
      if (name === 'cropped') expect(answer.role).not.toBe('full');
    }
    // Today's matching misses the padded and the tilted copies; the profile does not.
    for (const copy of [padded, tilted, tiltedInner]) expect((await match(copy, false)).body.matched).toBe(false);
    // Everything today's matching found is still found, through the registered 'full' hash.
    const reencoded = await sharp(photo).jpeg({ quality: 60 }).toBuffer();
    const plain = await match(reencoded, false);
    expect(plain.body.matched).toBe(true);
    const found = await match(reencoded);
    // One answer for the item: the closest of its hashes (a region may be closer than the full picture).
    expect(found.body.matches).toHaveLength(1);
    expect(found.body.matches[0].distance).toBeLessThanOrEqual(plain.body.matches[0].distance);

    // A platform hashing locally with plain PDQ: the hash of a centred crop meets the
    // registered window through POST /v1/match when it carries its quality (derived pairs
    // need a query of known quality), and only the whole picture without it.
    const windows = item.hashes.filter((h: { role: string }) => h.role === 'window');
    expect(windows.length).toBeGreaterThan(0);
    const window = windows[Math.floor(windows.length / 2)];
    const [x0, y0, x1, y1] = window.box as number[];
    const centred = await sharp(photo)
      .extract({ left: Math.round(width! * x0!), top: Math.round(height! * y0!), width: Math.round(width! * (x1! - x0!)), height: Math.round(height! * (y1! - y0!)) })
      .png()
      .toBuffer();
    const local = (await request(`${server.url}/v1/hash?profile=none`, { raw: centred, contentType: 'image/png' })).body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    const batch = (hash: object) => request(`${server.url}/v1/match`, { body: { hashes: [hash] }, headers: bearer(apiKey) });
    const withQuality = await batch({ algorithm: 'pdq', value: local.value, quality: local.quality });
    expect(withQuality.status).toBe(200);
    expect(withQuality.body.results[0].matches.length).toBeGreaterThan(0);
    const without = await batch({ algorithm: 'pdq', value: local.value });
    expect(without.body.results[0].matches).toHaveLength(0);
  });

  it('registers a flat graphic by its whole-picture hashes only, and a graphic upload meets whole pictures only', async () => {
    // A noiseless render of flat shapes on a smooth gradient: a flat graphic (texture.ts).
    const graphic = await sharp(await unlike(21, 800, 600)).png().toBuffer();
    const hashed = await request(`${server.url}/v1/hash`, { raw: graphic, contentType: 'image/png' });
    expect(hashed.body.derived.hashes.map((h: { role: string }) => h.role)).toEqual(['full']);
    expect(hashed.body.derived.hashes[0].graphic).toBe(true);
    expect(hashed.body.item.hashes.every((h: { role: string }) => h.role === 'full')).toBe(true);
    expect((await request(`${server.url}/v1/cases`, { body: { items: [hashed.body.item] } })).status).toBe(201);
    const again = await match(await sharp(graphic).jpeg({ quality: 80 }).toBuffer());
    expect(again.body.matched).toBe(true);
    expect(again.body.matches[0].role).toBe('full');

    // The registered photo's centred window, posterised into a flat graphic: its PDQ hash stays
    // a few bits from the window's, but as an upload it is a graphic, whose whole-picture hash
    // meets only whole pictures (a plain hash sent alone, without the upload, still may).
    const { width, height } = await sharp(photo).metadata();
    const photoItem = (await request(`${server.url}/v1/hash`, { raw: photo, contentType: 'image/jpeg' })).body.item;
    expect((await request(`${server.url}/v1/cases`, { body: { items: [photoItem] } })).status).toBe(201);
    const windows = photoItem.hashes.filter((h: { role: string }) => h.role === 'window');
    const [x0, y0, x1, y1] = windows[Math.floor(windows.length / 2)].box as number[];
    const crop = await sharp(photo)
      .extract({ left: Math.round(width! * x0!), top: Math.round(height! * y0!), width: Math.round(width! * (x1! - x0!)), height: Math.round(height! * (y1! - y0!)) })
      .png()
      .toBuffer();
    const posterised = await sharp(crop).median(5).png({ palette: true, colours: 32, dither: 0 }).toBuffer();
    const upload = await request(`${server.url}/v1/hash?dihedral=true`, { raw: posterised, contentType: 'image/png' });
    const pdq = upload.body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    const viaBatch = await request(`${server.url}/v1/match`, { body: { hashes: [{ algorithm: 'pdq', value: pdq.value, quality: pdq.quality }] }, headers: bearer(apiKey) });
    expect(viaBatch.body.results[0].matches.length).toBeGreaterThan(0);
    expect(viaBatch.body.results[0].matches.every((m: { distance: number }) => m.distance <= 31)).toBe(true);
    const asImage = await match(posterised);
    expect(asImage.status).toBe(200);
    expect(asImage.body.matched).toBe(false);
  });

  it('keeps a flat registration (POST /v1/cases with hashes) working: one item per hash, found again', async () => {
    const other = await scene(11, 800, 600);
    const hashed = await request(`${server.url}/v1/hash`, { raw: other, contentType: 'image/jpeg' });
    const created = await request(`${server.url}/v1/cases`, { body: { hashes: hashed.body.hashes.map(({ algorithm, value, quality }: { algorithm: string; value: string; quality?: number }) => ({ algorithm, value, ...(quality === undefined ? {} : { quality }) })) } });
    expect(created.status).toBe(201);
    const found = await match(await sharp(other).png().toBuffer());
    expect(found.body.matched).toBe(true);
    expect(found.body.matches[0].role).toBe('full');
  });

  it('does not match an unrelated picture', async () => {
    const unrelated = await sharp(await scene(8, 960, 720)).png().toBuffer();
    const found = await match(unrelated);
    expect(found.status).toBe(200);
    expect(found.body.matched).toBe(false);
  });

  it('refuses a malformed item set with a 400 naming the field', async () => {
    const hashed = await request(`${server.url}/v1/hash`, { raw: photo, contentType: 'image/jpeg' });
    const [first] = hashed.body.derived.hashes;
    const base = { algorithm: first.algorithm, value: first.value, quality: first.quality };
    const both = await request(`${server.url}/v1/cases`, { body: { hashes: [base], items: [{ hashes: [base] }] } });
    expect(both.status).toBe(400);
    expect(both.body.message).toMatch(/either hashes .* or items/);
    const badBox = await request(`${server.url}/v1/cases`, { body: { items: [{ hashes: [{ ...base, role: 'region', box: [0.5, 0.2, 0.4, 0.9] }] }] } });
    expect(badBox.status).toBe(400);
    expect(badBox.body.message).toMatch(/items\[0\].*box/);
  });

  it('answers the whole-picture hashes only with ?profile=none', async () => {
    const hashed = await request(`${server.url}/v1/hash?profile=none`, { raw: photo, contentType: 'image/jpeg' });
    expect(hashed.status).toBe(200);
    expect(hashed.body.derived).toBeUndefined();
    expect(hashed.body.item.hashes.every((h: { role: string }) => h.role === 'full')).toBe(true);
  });

  it('refuses an unknown profile with a 400 naming it', async () => {
    const bad = await request(`${server.url}/v1/match/image?profile=nope`, { raw: photo, contentType: 'image/jpeg', headers: bearer(apiKey) });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/profile/);
  });
});
