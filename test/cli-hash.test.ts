/**
 * `rempart hash` on a folder's worth of files: any number of files with a bounded number
 * in flight (never OVERLOADED), and folders expanded to their image files, recursively,
 * in a deterministic order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encode, scene } from './helpers/images.js';
import { runCli } from './helpers/process.js';

interface HashLine {
  file: string;
  hashes: { algorithm: string; value: string }[];
}

const COUNT = 100;
let dir: string;
/** Every image written, in the order `hash DIR` must print them. */
let expectedOrder: string[];

function lines(stdout: string): HashLine[] {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as HashLine);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-cli-hash-'));
  const photos = path.join(dir, 'photos');
  // Nested folders and mixed case, so the order is more than one readdir's.
  const places = ['B', 'a', path.join('a', 'deeper'), 'c'];
  expectedOrder = [];
  for (let i = 0; i < COUNT; i++) {
    const place = path.join(photos, places[i % places.length]!);
    fs.mkdirSync(place, { recursive: true });
    const file = path.join(place, `img-${String(i).padStart(3, '0')}.${i % 3 === 0 ? 'PNG' : 'png'}`);
    fs.writeFileSync(file, await encode.png(scene(64, 48, i + 1)));
    expectedOrder.push(file);
  }
  fs.writeFileSync(path.join(photos, 'a', 'notes.txt'), 'not an image');
  fs.writeFileSync(path.join(photos, 'README'), 'not an image either');
  // Code-unit order at each level: "B" < "a" < "c"; inside "a", "deeper/" < "img-…".
  expectedOrder.sort((x, y) => {
    const [a, b] = [path.relative(photos, x).split(path.sep), path.relative(photos, y).split(path.sep)];
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    }
    return a.length - b.length;
  });
});

describe('rempart hash', () => {
  it(`hashes ${COUNT} files named on the command line, in that order, with one thread and never OVERLOADED`, async () => {
    const files = [...expectedOrder].reverse();
    const result = await runCli(['hash', '--threads', '1', ...files]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((l) => l.file)).toEqual(files);
  });

  it('hashes every image file below a folder, recursively, in name order, skipping other files', async () => {
    const result = await runCli(['hash', '--threads', '2', path.join(dir, 'photos')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const printed = lines(result.stdout);
    expect(printed.map((l) => l.file)).toEqual(expectedOrder);
    for (const line of printed) expect(line.hashes.map((h) => h.algorithm).sort()).toEqual(['blockhash', 'pdq']);
    // The same hashes as naming each file.
    const one = await runCli(['hash', expectedOrder[5]!]);
    expect(lines(one.stdout)[0]).toEqual(printed[5]);
  });

  it('reports a missing path and an empty folder on stderr with exit code 1', async () => {
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    const missing = await runCli(['hash', path.join(dir, 'nope.jpg')]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr.trim())).toMatchObject({ file: path.join(dir, 'nope.jpg'), error: { code: 'ENOENT' } });
    const none = await runCli(['hash', empty]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(`no image files in ${empty}`);
  });
});
