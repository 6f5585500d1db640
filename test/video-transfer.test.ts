/**
 * Video hashes through the exact-match index and through `rempart export` / `import`:
 * the MD5 is matched by equality only, and a video's frames and MD5 travel as one item.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { md5ToStored, wireValue } from '../src/hashing/video/digest.js';
import { ExactIndex } from '../src/index/exact.js';
import { Rempart } from '../src/service/rempart.js';
import { runCli } from './helpers/process.js';
import { seededRandom } from './helpers/random.js';

const hex = (random: () => number, n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');

describe('ExactIndex (video MD5)', () => {
  it('finds equal values only, whatever the radius, and forgets removed ids', () => {
    const index = new ExactIndex();
    const a = md5ToStored('0123456789abcdef0123456789abcdef');
    const b = md5ToStored('0123456789abcdef0123456789abcdee'); // one bit away
    index.add(1, a);
    index.add(2, a);
    index.add(3, b);
    expect(index.search(a)).toEqual([{ id: 1, distance: 0 }, { id: 2, distance: 0 }]);
    expect(index.searchBatch([b])).toEqual([[{ id: 3, distance: 0 }]]);
    expect(index.remove(1)).toBe(true);
    expect(index.remove(1)).toBe(false);
    expect(index.search(a)).toEqual([{ id: 2, distance: 0 }]);
    expect(index.size).toBe(2);
    expect(() => index.add(2, b)).toThrow(/already/);
    expect(wireValue('video-md5', a)).toBe('0123456789abcdef0123456789abcdef');
    expect(() => md5ToStored('0123')).toThrow(/32 lowercase hex/);
  });
});

describe('rempart export / import with videos', () => {
  it('exports frames (role frame, detail.t), their windows (role window, detail.t and box) and the MD5 (role file) under one item, and imports them back as one video', async () => {
    const random = seededRandom(77);
    const source = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-video-export-'));
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-video-import-'));
    // Frames with their centred windows; the window of frame 5 is kept although the frame itself is under the floor.
    const video = {
      md5: hex(random, 32),
      frames: Array.from({ length: 6 }, (_, i) => ({ t: i, value: hex(random, 64), quality: i === 5 ? 20 : 80, window: { value: hex(random, 64), quality: 70 } })),
    };
    const rempart = await Rempart.open(resolveConfig({ dataDir: source, secretCost: '10' }));
    try {
      await rempart.cases.register([], [video]);
    } finally {
      await rempart.close();
    }

    const exported = await runCli(['export', '--data-dir', source]);
    expect(exported.code).toBe(0);
    const rows = exported.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(12);
    expect(new Set(rows.map((r) => r.item)).size).toBe(1);
    expect(rows.find((r) => r.role === 'file')).toMatchObject({ algorithm: 'video-md5', value: video.md5 });
    expect(rows.filter((r) => r.role === 'frame').map((r) => r.detail.t)).toEqual([0, 1, 2, 3, 4]);
    const windows = rows.filter((r) => r.role === 'window');
    expect(windows.map((r) => r.detail.t)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(windows.map((r) => r.value)).toEqual(video.frames.map((f) => f.window.value));
    expect(windows[0].detail.box).toEqual([0.05, 0.05, 0.95, 0.95]);

    const imported = await runCli(['import', '-', '--data-dir', target], { input: exported.stdout });
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout).hashCount).toBe(12);
    const again = (await runCli(['export', '--data-dir', target])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(again.map((r) => r.item)).size).toBe(1);
    expect(again.map((r) => `${r.role}:${r.algorithm}:${r.value}`).sort()).toEqual(rows.map((r) => `${r.role}:${r.algorithm}:${r.value}`).sort());
  });
});
