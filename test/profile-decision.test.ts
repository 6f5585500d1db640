/**
 * The matching profile's decision rule (src/hashing/profile/decision.ts), over real HTTP
 * with real decoding: a registered image found through region pairs alone is a match only
 * when one region is very close or two regions map the upload onto it alike; a near-blank
 * upload (PDQ quality under the floor) matches nothing; and what the rule turns down is
 * not counted as a match of the victim's case.
 *
 * The registered items of the region cases are built from the upload's own query set (the
 * `derived` set POST /v1/match/image answers): region hashes a known number of bits away,
 * with boxes that agree or not, so each case sits exactly where the rule decides.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { grainyScene, scene } from './helpers/photos.js';
import { seededRandom } from './helpers/random.js';
import { PDQ_REGIONS } from '../src/hashing/profile/profile.js';

interface WireHash {
  role: string;
  box: [number, number, number, number];
  value: string;
  quality: number;
  angle?: number;
  dihedral?: Record<string, string>;
}

const bits = (hex: string): number[] => [...Buffer.from(hex, 'hex')].flatMap((b) => Array.from({ length: 8 }, (_, k) => (b >> (7 - k)) & 1));
const hex = (b: number[]): string => Buffer.from(Array.from({ length: b.length / 8 }, (_, i) => b.slice(8 * i, 8 * i + 8).reduce((v, x) => (v << 1) | x, 0))).toString('hex');
const distance = (a: string, b: string): number => bits(a).reduce((d, x, i) => d + (x ^ bits(b)[i]!), 0);

/** The hash `n` bits away (as many ones turned off as zeros turned on: a real PDQ hash sets 128). */
function flip(value: string, n: number, seed: number): string {
  const b = bits(value);
  const random = seededRandom(seed);
  const ones = b.map((x, i) => [x, i] as const).filter(([x]) => x === 1).map(([, i]) => i);
  const zeros = b.map((x, i) => [x, i] as const).filter(([x]) => x === 0).map(([, i]) => i);
  for (const at of [ones, zeros]) {
    for (let k = 0; k < n / 2; k++) {
      const i = at.splice(Math.floor(random() * at.length), 1)[0]!;
      b[i] = 1 - b[i]!;
    }
  }
  return hex(b);
}

/** A whole-picture hash unrelated to anything (random, 128 bits set). */
function unrelatedFull(seed: number): string {
  const random = seededRandom(seed);
  const b: number[] = Array.from({ length: 256 }, (_, i) => (i < 128 ? 1 : 0));
  for (let i = b.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [b[i], b[j]] = [b[j]!, b[i]!];
  }
  return hex(b);
}

/** The platform's image match, a victim's registration and the case's match count, over real HTTP. */
function httpApi(current: () => { server: TestServer; apiKey: string }) {
  return {
    match: (bytes: Buffer, profile = true) => {
      const { server, apiKey } = current();
      return request(`${server.url}/v1/match/image?dihedral=true${profile ? '' : '&profile=none'}`, { raw: bytes, contentType: 'image/png', headers: bearer(apiKey) });
    },
    register: async (hashes: object[]) => {
      const created = await request(`${current().server.url}/v1/cases`, { body: { items: [{ kind: 'image', hashes }] } });
      expect(created.status).toBe(201);
      return created.body as { caseNumber: string; caseSecret: string };
    },
    matchCount: async (c: { caseNumber: string; caseSecret: string }) =>
      (await request(`${current().server.url}/v1/cases/${c.caseNumber}`, { headers: bearer(c.caseSecret) })).body.matchCount as number,
  };
}

describe('the decision rule over HTTP', () => {
  let server: TestServer;
  let apiKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey('decision-platform');
  });
  afterAll(() => server.close());

  const { match, register, matchCount } = httpApi(() => ({ server, apiKey }));

  it('takes region pairs alone only when one is very close or two agree on one scale and offset', async () => {
    const upload = await sharp(await grainyScene(31, 960, 720)).png().toBuffer();
    const first = await match(upload);
    expect(first.status).toBe(200);
    const set: WireHash[] = first.body.derived.hashes;
    const codes = set.flatMap((h) => [h.value, ...Object.values(h.dihedral ?? {})]);
    // Two axis-aligned regions far from every other code of the upload, so nothing but them can meet what is built from them.
    const lonely = set.filter((h) => h.role === 'region' && h.angle === undefined && codes.every((c) => c === h.value || distance(c, h.value) > 70));
    expect(lonely.length).toBeGreaterThanOrEqual(2);
    const [a, b] = lonely as [WireHash, WireHash];
    const single = PDQ_REGIONS.decision.singleRegion;
    const far = single + 6; // within the region threshold (31), beyond the single-region bound
    expect(far).toBeLessThanOrEqual(PDQ_REGIONS.thresholds.region);
    const full = (seed: number) => ({ algorithm: 'pdq', value: unrelatedFull(seed), quality: 90, role: 'full' });
    const region = (h: WireHash, n: number, seed: number, box = h.box) => ({ algorithm: 'pdq', value: flip(h.value, n, seed), quality: h.quality, role: 'region', box });
    const shifted = (box: [number, number, number, number]): [number, number, number, number] => {
      const dx = box[0] > 0.3 ? -0.2 : 0.2;
      return [box[0] + dx, box[1], box[2] + dx, box[3]];
    };

    const agreeing = await register([full(1), region(a, far, 11), region(b, far, 12)]);
    const lone = await register([full(2), region(a, far, 21)]);
    const disagreeing = await register([full(3), region(a, far, 31), region(b, far, 32, shifted(b.box))]);
    const close = await register([full(4), region(a, single - 4, 41)]);

    const found = await match(upload);
    expect(found.status).toBe(200);
    // Items are answered by ref; tell them apart by the region distance each was built at.
    const distances = found.body.matches.map((m: { role: string; distance: number }) => [m.role, m.distance]);
    expect(distances).toHaveLength(2);
    expect(distances).toContainEqual(['region', single - 4]);
    expect(distances).toContainEqual(['region', far]);
    // The victim's case counts only what platforms were told (one per registered hash matched).
    expect(await matchCount(agreeing)).toBe(2);
    expect(await matchCount(close)).toBe(1);
    expect(await matchCount(lone)).toBe(0);
    expect(await matchCount(disagreeing)).toBe(0);
  });

  it('matches nothing for a near-blank upload, which today\'s whole-picture matching still takes', async () => {
    // The same picture at 5 % of its contrast: its PDQ hash stays a few bits away, but is decided by almost no edges.
    const scene = await grainyScene(32, 800, 600);
    const faint = await sharp(scene).linear(0.05, 125).png().toBuffer();
    const hashed = await request(`${server.url}/v1/hash`, { raw: scene, contentType: 'image/jpeg' });
    const registered = await register(hashed.body.item.hashes);
    const upload = await request(`${server.url}/v1/hash?profile=none`, { raw: faint, contentType: 'image/png' });
    const pdq = upload.body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    expect(pdq.quality).toBeLessThan(PDQ_REGIONS.minQuality);

    const today = await match(faint, false);
    expect(today.body.matched).toBe(true);
    const now = await match(faint);
    expect(now.status).toBe(200);
    expect(now.body.matched).toBe(false);
    expect(now.body.matches).toEqual([]);
    expect(await matchCount(registered)).toBe(1); // today's whole-picture match only
    // A sharp copy of the same picture is still found.
    expect((await match(await sharp(scene).png().toBuffer())).body.matched).toBe(true);
  });

  it('matches nothing for a batch hash that says its PDQ quality is under the floor, as for the image', async () => {
    const scene = await grainyScene(34, 800, 600);
    const hashed = await request(`${server.url}/v1/hash`, { raw: scene, contentType: 'image/jpeg' });
    await register(hashed.body.item.hashes);
    const faint = await sharp(scene).linear(0.05, 125).png().toBuffer();
    const pdq = (await request(`${server.url}/v1/hash?profile=none`, { raw: faint, contentType: 'image/png' })).body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    expect(pdq.quality).toBeLessThan(PDQ_REGIONS.minQuality);
    const batch = (hashes: object[], query = '') => request(`${server.url}/v1/match${query}`, { headers: bearer(apiKey), body: { hashes } });
    const sharpPdq = hashed.body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');

    const found = await batch([{ algorithm: 'pdq', value: pdq.value, quality: pdq.quality }, { algorithm: 'pdq', value: pdq.value }, sharpPdq]);
    expect(found.status).toBe(200);
    const counts = found.body.results.map((r: { matches: unknown[] }) => r.matches.length);
    // Under the floor: nothing; no quality said: matched as before (the service cannot tell); a sharp hash: matched.
    expect(counts[0]).toBe(0);
    expect(counts[1]).toBeGreaterThan(0);
    expect(counts[2]).toBeGreaterThan(0);
    const today = await batch([{ algorithm: 'pdq', value: pdq.value, quality: pdq.quality }], '?profile=none');
    expect(today.body.results[0].matches.length).toBeGreaterThan(0);
    expect((await batch([{ algorithm: 'pdq', value: pdq.value, quality: pdq.quality }], '?profile=nonesuch')).status).toBe(400);
  });

  it('no longer matches two different flat graphics that PDQ puts within its threshold, and still matches a copy of one', async () => {
    // A noiseless render of flat shapes (a flat graphic), and the same drawing with a large box added: another picture.
    const drawing = await sharp(await scene(21, 800, 600)).png().toBuffer();
    const box = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect x="420" y="247" width="160" height="107" fill="#1040c0"/></svg>');
    const other = await sharp(drawing).composite([{ input: box }]).png().toBuffer();
    const hashed = await request(`${server.url}/v1/hash`, { raw: drawing, contentType: 'image/png' });
    expect(hashed.body.derived.hashes[0].graphic).toBe(true);
    // Its PDQ hashes only (what a PDQ-only client registers): the service's blockhash whole-picture matching is today's, unchanged.
    await register(hashed.body.item.hashes.filter((h: { algorithm: string }) => h.algorithm === 'pdq'));

    const pdqOf = (body: { matches: { algorithm: string; distance: number; role?: string }[] }) => body.matches.filter((m) => m.algorithm === 'pdq');
    const otherPdq = (await request(`${server.url}/v1/hash?profile=none`, { raw: other, contentType: 'image/png' })).body.hashes.find((h: { algorithm: string }) => h.algorithm === 'pdq');
    const today = pdqOf((await match(other, false)).body);
    expect(today).toHaveLength(1);
    expect(today[0]!.distance).toBeGreaterThan(PDQ_REGIONS.decision.graphicWhole);
    expect(today[0]!.distance).toBeLessThanOrEqual(PDQ_REGIONS.thresholds.full);
    expect(pdqOf((await match(other)).body)).toEqual([]);
    // The drawing itself, re-encoded, is still found through its whole picture.
    const copy = pdqOf((await match(await sharp(drawing).jpeg({ quality: 85 }).toBuffer())).body);
    expect(copy).toHaveLength(1);
    expect(copy[0]!.role).toBe('full');
  });
});

describe('blockhash whole-picture pairs under the profile (decision.ts otherWholeAnswered)', () => {
  let server: TestServer;
  let apiKey: string;

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey('blockhash-platform');
  });
  afterAll(() => server.close());

  const { match, register, matchCount } = httpApi(() => ({ server, apiKey }));
  const plainHashes = async (bytes: Buffer) =>
    (await request(`${server.url}/v1/hash?profile=none`, { raw: bytes, contentType: 'image/png' })).body.hashes as { algorithm: string; value: string; quality?: number }[];
  const of = (hashes: { algorithm: string; value: string }[], algorithm: string) => hashes.find((h) => h.algorithm === algorithm)!;

  it('no longer answers a flat-graphic upload whose blockhash meets another drawing', async () => {
    const drawing = await sharp(await scene(21, 800, 600)).png().toBuffer();
    const box = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect x="420" y="247" width="160" height="107" fill="#1040c0"/></svg>');
    const other = await sharp(drawing).composite([{ input: box }]).png().toBuffer();
    const drawn = await plainHashes(drawing);
    const otherHashes = await plainHashes(other);
    // Two different drawings, a few blockhash bits apart.
    expect(distance(of(drawn, 'blockhash').value, of(otherHashes, 'blockhash').value)).toBeLessThanOrEqual(7);
    // An older client registered the drawing's blockhash alone; another victim registered both hashes of it.
    const legacy = await register([of(drawn, 'blockhash')]);
    const both = await register((await request(`${server.url}/v1/hash`, { raw: drawing, contentType: 'image/png' })).body.item.hashes);

    const today = await match(other, false);
    expect(today.body.matches.filter((m: { algorithm: string }) => m.algorithm === 'blockhash')).toHaveLength(2);
    const now = await match(other);
    expect(now.status).toBe(200);
    expect(now.body.derived.hashes[0].graphic).toBe(true);
    expect(now.body.matches).toEqual([]);
    expect(await matchCount(legacy)).toBe(1); // today's answer only
    // The drawing itself, re-encoded, is still found for the victim who registered its PDQ hash.
    const copy = await match(await sharp(drawing).jpeg({ quality: 85 }).toBuffer());
    expect(copy.body.matches.map((m: { algorithm: string; role: string }) => [m.algorithm, m.role])).toEqual([['pdq', 'full']]);
    expect(await matchCount(both)).toBe(3); // today's pdq and blockhash pairs, then the copy's pdq pair alone
  });

  it('answers blockhash only for pictures registered without PDQ: a photo registered by an older client still matches its re-encoded copy', async () => {
    const photo = await sharp(await grainyScene(33, 900, 640)).png().toBuffer();
    const hashes = await plainHashes(photo);
    const legacy = await register([of(hashes, 'blockhash')]);
    const copy = await sharp(photo).jpeg({ quality: 80 }).toBuffer();
    const found = await match(copy);
    expect(found.status).toBe(200);
    expect(found.body.derived.hashes[0].graphic).toBeUndefined();
    expect(found.body.matches).toHaveLength(1);
    expect(found.body.matches[0]).toMatchObject({ algorithm: 'blockhash', role: 'full' });
    expect(found.body.matches[0].distance).toBeLessThanOrEqual(7);
    expect(await matchCount(legacy)).toBe(1);

    // The same blockhash registered with a PDQ hash (of another picture; a flat registration, one item per hash): the
    // profile's PDQ rules decide it, and they say no; today's matching answers the blockhash pair. (Unrelated pictures
    // share blockhash codes: eval-profile.)
    const flat = await request(`${server.url}/v1/cases`, { body: { hashes: [of(hashes, 'blockhash'), { algorithm: 'pdq', value: unrelatedFull(7), quality: 90 }] } });
    expect(flat.status).toBe(201);
    const impostor = flat.body as { caseNumber: string; caseSecret: string };
    const again = await match(copy);
    expect(again.body.matches).toHaveLength(1);
    expect(await matchCount(impostor)).toBe(0);
    expect((await match(copy, false)).body.matches).toHaveLength(2);
    expect(await matchCount(impostor)).toBe(1);
  });
});
