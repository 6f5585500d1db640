/**
 * The page's probe frames straight from decoded YCbCr planes (src/hashing/video/yuv.ts),
 * against the server's: the same picture decoded by ffmpeg to raw I420, turned into a probe
 * frame by our code, and scaled and converted by ffmpeg with the server's own filter.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFfmpeg } from '../src/eval/video/ffmpeg-run.js';
import { hammingDistance, hexToBytes } from '../src/hashing/index.js';
import { pdq } from '../src/hashing/pdq.js';
import { probeFrameFromYuv, type YuvPicture } from '../src/hashing/video/yuv.js';
import { FFMPEG, makeVideo } from './helpers/videos.js';

const W = 640;
const H = 360;
let dir: string;
let file: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rempart-yuv-'));
  file = path.join(dir, 'v.mp4');
  writeFileSync(file, await makeVideo({ shots: [{ seed: 71, seconds: 1.2 }, { seed: 72, seconds: 1.2 }], width: W, height: H, pan: 20 }));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (n: number, filters: string, format: string) =>
  runFfmpeg({ binary: FFMPEG, args: ['-i', file, '-vf', `select=eq(n\\,${n})${filters}`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', format, 'pipe:1'] });

function i420(data: Uint8Array): YuvPicture {
  return { width: W, height: H, layout: 'I420', data, fullRange: false, planes: [{ offset: 0, stride: W }, { offset: W * H, stride: W / 2 }, { offset: (W * H * 5) / 4, stride: W / 2 }] };
}

describe('probe frames from YCbCr planes', () => {
  it('agree with the server’s ffmpeg scaling and BT.709 conversion of the same picture', async () => {
    for (const n of [5, 40]) {
      const raw = new Uint8Array(await frame(n, '', 'yuv420p'));
      const server = new Uint8Array(await frame(n, ',scale=256:144:flags=area:in_color_matrix=bt709', 'rgb24'));
      const ours = probeFrameFromYuv(i420(raw), 256, 144);
      let diff = 0;
      for (let p = 0; p < 256 * 144; p++) for (let c = 0; c < 3; c++) diff += Math.abs(ours[p * 4 + c]! - server[p * 3 + c]!);
      // Measured 3.2 levels on average on this fine texture (rounding and filter edges).
      expect(diff / (256 * 144 * 3)).toBeLessThan(5);
      const a = pdq.hash({ width: 256, height: 144, channels: 4, data: ours });
      const b = pdq.hash({ width: 256, height: 144, channels: 3, data: server });
      // Measured 0 and 2 bits.
      expect(hammingDistance(hexToBytes(a.value), hexToBytes(b.value))).toBeLessThanOrEqual(8);
    }
  });

  it('reads NV12 (interleaved chroma) as I420, and turns the picture as the track says', async () => {
    const raw = new Uint8Array(await frame(20, '', 'yuv420p'));
    const nv12 = new Uint8Array(raw.length);
    nv12.set(raw.subarray(0, W * H));
    const quarter = (W * H) / 4;
    for (let i = 0; i < quarter; i++) {
      nv12[W * H + 2 * i] = raw[W * H + i]!;
      nv12[W * H + 2 * i + 1] = raw[W * H + quarter + i]!;
    }
    const plain = probeFrameFromYuv(i420(raw), 256, 144);
    const fromNv12 = probeFrameFromYuv({ ...i420(nv12), layout: 'NV12', planes: [{ offset: 0, stride: W }, { offset: W * H, stride: W }] }, 256, 144);
    expect(fromNv12).toEqual(plain);
    // A quarter turn clockwise: the picture's left column becomes the top row.
    const turned = probeFrameFromYuv(i420(raw), 144, 256, 90);
    for (const [x, y] of [[0, 0], [255, 0], [17, 100], [255, 143]] as const) {
      const from = (y * 256 + x) * 4;
      const to = (x * 144 + (143 - y)) * 4;
      expect([...turned.subarray(to, to + 4)]).toEqual([...plain.subarray(from, from + 4)]);
    }
  });
});
