/**
 * Matching that survives crops, borders, screenshots and tilts, over real HTTP: the
 * victim's registered set (POST /v1/hash?profile=pdq-regions) is registered; a platform
 * asks POST /v1/match/image?profile=pdq-regions with altered copies; an unrelated image
 * does not match.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { scene } from './helpers/photos.js';

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

  const match = (bytes: Buffer, profile = true) =>
    request(`${server.url}/v1/match/image?dihedral=true${profile ? `&profile=${PROFILE}` : ''}`, { raw: bytes, contentType: 'image/png', headers: bearer(apiKey) });

  it('registers the derived set and catches a cropped, a padded and a screenshotted copy', async () => {
    const hashed = await request(`${server.url}/v1/hash?profile=${PROFILE}`, { raw: photo, contentType: 'image/jpeg' });
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
    // The image is registered as one item: its set of hashes with their roles and boxes.
    const hashes = derived.hashes.map((h: { algorithm: string; value: string; quality: number; role: string; box: number[] }) => ({
      algorithm: h.algorithm,
      value: h.value,
      quality: h.quality,
      role: h.role,
      box: h.box,
    }));
    const created = await request(`${server.url}/v1/cases`, { body: { items: [{ kind: 'image', hashes }] } });
    expect(created.status).toBe(201);
    expect(created.body.hashCount).toBe(hashes.length);

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

    for (const [name, copy] of [['cropped', cropped], ['padded', padded], ['screenshot', screenshot]] as const) {
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
      if (name === 'cropped') expect(answer.role).not.toBe('full');
    }
    // Today's matching misses the padded copy; the profile does not.
    expect((await match(padded, false)).body.matched).toBe(false);
  });

  it('does not match an unrelated picture', async () => {
    const unrelated = await sharp(await scene(8, 960, 720)).png().toBuffer();
    const found = await match(unrelated);
    expect(found.status).toBe(200);
    expect(found.body.matched).toBe(false);
  });

  it('refuses a malformed item set with a 400 naming the field', async () => {
    const hashed = await request(`${server.url}/v1/hash?profile=${PROFILE}`, { raw: photo, contentType: 'image/jpeg' });
    const [first] = hashed.body.derived.hashes;
    const base = { algorithm: first.algorithm, value: first.value, quality: first.quality };
    const both = await request(`${server.url}/v1/cases`, { body: { hashes: [base], items: [{ hashes: [base] }] } });
    expect(both.status).toBe(400);
    expect(both.body.message).toMatch(/either hashes .* or items/);
    const badBox = await request(`${server.url}/v1/cases`, { body: { items: [{ hashes: [{ ...base, role: 'region', box: [0.5, 0.2, 0.4, 0.9] }] }] } });
    expect(badBox.status).toBe(400);
    expect(badBox.body.message).toMatch(/items\[0\].*box/);
  });

  it('refuses an unknown profile with a 400 naming it', async () => {
    const bad = await request(`${server.url}/v1/match/image?profile=nope`, { raw: photo, contentType: 'image/jpeg', headers: bearer(apiKey) });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/profile/);
  });
});
