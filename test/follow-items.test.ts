/**
 * A follower answers as its source would, over real HTTP with two real servers: an image
 * registered with its matching profile's derived set (regions with their boxes) and a video
 * (frames with their times, the file's MD5) are matched on the follower from a cropped copy,
 * a clip, the same file and the platform's own frame hashes, with the same items, roles,
 * boxes, offsets and distances as at the source; a withdrawal at the source stops them all.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grainyScene } from './helpers/photos.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { makeVideo } from './helpers/videos.js';
import { eventually } from './helpers/eventually.js';

const SHOTS = [
  { seed: 61, seconds: 3.2 },
  { seed: 62, seconds: 2.6 },
  { seed: 63, seconds: 3 },
];

let source: TestServer;
let follower: TestServer;
let sourceKey: string;
let localKey: string;
let cropped: Buffer;
let video: Buffer;
let clip: Buffer;
let clipFrames: unknown[];
let imageCase: { caseNumber: string; caseSecret: string };
let videoCase: { caseNumber: string; caseSecret: string };

const matchImage = (server: TestServer, key: string, bytes: Buffer) =>
  request(`${server.url}/v1/match/image?dihedral=true`, { raw: bytes, contentType: 'image/png', headers: bearer(key) });
const matchVideo = (server: TestServer, key: string, bytes: Buffer) =>
  request(`${server.url}/v1/match/video`, { raw: bytes, contentType: 'video/mp4', headers: bearer(key) });
const matchFrames = (server: TestServer, key: string) =>
  request(`${server.url}/v1/match/video-hashes`, { body: { frames: clipFrames }, headers: bearer(key) });
/** An answer without the follower's tag: what the source itself says. */
const untagged = (matches: { source?: string }[]) => matches.map(({ source: _source, ...rest }) => rest);

beforeAll(async () => {
  const photo = await grainyScene(17, 960, 720);
  cropped = await sharp(photo).extract({ left: 67, top: 22, width: 845, height: 612 }).png().toBuffer();
  [video, clip] = await Promise.all([makeVideo({ shots: SHOTS }), makeVideo({ shots: SHOTS, start: 1.3 })]);

  source = await startTestServer();
  sourceKey = await source.createPlatformKey('Follower Instance');
  const hashedPhoto = (await request(`${source.url}/v1/hash`, { raw: photo, contentType: 'image/jpeg' })).body;
  expect(hashedPhoto.item.hashes.some((h: { role: string; box?: number[] }) => h.role !== 'full' && h.box?.length === 4)).toBe(true);
  const hashedVideo = (await request(`${source.url}/v1/hash`, { raw: video, contentType: 'video/mp4' })).body;
  clipFrames = (await request(`${source.url}/v1/hash`, { raw: clip, contentType: 'video/mp4' })).body.frames;
  const a = await request(`${source.url}/v1/cases`, { body: { items: [hashedPhoto.item] } });
  const b = await request(`${source.url}/v1/cases`, { body: { videos: [hashedVideo] } });
  expect([a.status, b.status]).toEqual([201, 201]);
  [imageCase, videoCase] = [a.body, b.body];

  follower = await startTestServer({ config: { follow: source.url, followKey: sourceKey } });
  expect((await eventually(() => request(`${follower.url}/health/ready`), (r) => r.status === 200)).status).toBe(200);
  localKey = await follower.createPlatformKey('Uploads');
}, 120_000);
afterAll(async () => {
  await follower?.close();
  await source?.close();
});

describe('a follower matches items as its source does', () => {
  it('a cropped copy of an image registered with its derived set: one answer for the item, with the role and box that matched', async () => {
    const atSource = await matchImage(source, sourceKey, cropped);
    const atFollower = await matchImage(follower, localKey, cropped);
    expect([atSource.status, atFollower.status]).toEqual([200, 200]);
    expect(atSource.body.matches).toHaveLength(1);
    const [answer] = atSource.body.matches;
    // The crop is found through a derived hash (not the whole picture), whose box says where.
    expect(answer.role).not.toBe('full');
    expect(answer.box).toHaveLength(4);
    expect(atFollower.body.matches.map((m: { source: string }) => m.source)).toEqual([source.url]);
    expect(untagged(atFollower.body.matches)).toEqual(atSource.body.matches);
  });

  it('a clip of a registered video (offset and frame times), the same file (MD5), and the platform’s own frame hashes', async () => {
    for (const ask of [(s: TestServer, k: string) => matchVideo(s, k, clip), (s: TestServer, k: string) => matchVideo(s, k, video), matchFrames]) {
      const atSource = await ask(source, sourceKey);
      const atFollower = await ask(follower, localKey);
      expect([atSource.status, atFollower.status]).toEqual([200, 200]);
      expect(atSource.body.matches).toHaveLength(1);
      expect(atFollower.body.matches.map((m: { source: string }) => m.source)).toEqual([source.url]);
      expect(untagged(atFollower.body.matches)).toEqual(atSource.body.matches);
    }
    const [ofClip] = (await matchVideo(follower, localKey, clip)).body.matches;
    expect(ofClip).toMatchObject({ kind: 'video', exact: false });
    expect(ofClip.offset).toBeCloseTo(1.3, 0);
    expect((await matchVideo(follower, localKey, video)).body.matches[0]).toMatchObject({ exact: true, offset: 0 });
  });

  it('stops matching them once the cases are withdrawn at the source', async () => {
    for (const c of [imageCase, videoCase]) {
      expect((await request(`${source.url}/v1/cases/${c.caseNumber}`, { method: 'DELETE', headers: bearer(c.caseSecret) })).status).toBe(200);
    }
    const gone = (answer: { body: { matches: unknown[] } }) => answer.body.matches.length === 0;
    expect(gone(await eventually(() => matchImage(follower, localKey, cropped), gone))).toBe(true);
    expect(gone(await eventually(() => matchVideo(follower, localKey, clip), gone))).toBe(true);
    expect(gone(await matchVideo(follower, localKey, video))).toBe(true);
    expect(gone(await matchFrames(follower, localKey))).toBe(true);
    expect(follower.server.rempart.indexedHashes()).toBe(0);
  });
});
