/**
 * What platforms receive of an item registered with a matching profile's derived hashes:
 * the native sync feed and the export carry each hash's item, role and box (detail.box; so a platform
 * can group them and match derived hashes under the profile's rules); the StopNCII feed,
 * whose clients match every hash alone at their bank threshold, carries the whole-picture
 * hash only. An export read back by `rempart import` keeps the items and roles.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexHashValues } from './helpers/codes.js';
import { runCli } from './helpers/process.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { StopNciiClient } from './helpers/stopncii-client.js';

interface ExportLine {
  id: string;
  item: string;
  role: string;
  detail: { box?: number[] } | null;
  algorithm: string;
  value: string;
  quality: number | null;
}

const parseLines = (text: string): ExportLine[] =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ExportLine);

describe('sync feed, StopNCII feed and export of items with derived hashes', () => {
  let server: TestServer;
  let key: string;
  let closed = false;
  const [full, window, region, other, unknownRole] = hexHashValues(101, 5) as [string, string, string, string, string];
  const windowBox = [0.04, 0.04, 0.96, 0.96];
  const regionBox = [0.1, 0.2, 0.55, 0.7];
  // An upright region: boxed along the content's own orientation, turned by 3.5° (degrees).
  const uprightBox = [0.3, 0.25, 0.7, 0.75];
  const uprightAngle = 3.5;
  const [upright] = hexHashValues(131, 1) as [string];

  beforeAll(async () => {
    server = await startTestServer();
    key = await server.createPlatformKey('feeds-reader');
    const created = await request(`${server.url}/v1/cases`, {
      body: {
        items: [
          {
            kind: 'image',
            hashes: [
              { algorithm: 'pdq', value: full, quality: 90, role: 'full' },
              { algorithm: 'pdq', value: window, quality: 80, role: 'window', box: windowBox },
              { algorithm: 'pdq', value: region, quality: 70, role: 'region', box: regionBox },
              { algorithm: 'pdq', value: upright, quality: 70, role: 'region', box: uprightBox, angle: uprightAngle },
            ],
          },
          { hashes: [{ algorithm: 'pdq', value: other, quality: 90 }] },
        ],
      },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    if (!closed) await server.close();
  });

  it('/v1/sync gives each hash its item, role and box (detail.box)', async () => {
    const sync = await request(`${server.url}/v1/sync?after=0`, { headers: bearer(key) });
    expect(sync.status).toBe(200);
    const adds = sync.body.changes.filter((c: { op: string }) => c.op === 'add');
    const byValue = new Map(adds.map((c: { value: string }) => [c.value, c]));
    expect(byValue.get(full)).toMatchObject({ role: 'full', item: expect.stringMatching(/^i_/), quality: 90 });
    expect((byValue.get(full) as { detail: unknown }).detail).toBeNull();
    expect(byValue.get(window)).toMatchObject({ role: 'window', detail: { box: windowBox }, item: (byValue.get(full) as { item: string }).item });
    expect(byValue.get(region)).toMatchObject({ role: 'region', detail: { box: regionBox }, item: (byValue.get(full) as { item: string }).item });
    expect((byValue.get(region) as { detail: object }).detail).not.toHaveProperty('angle');
    expect(byValue.get(upright)).toMatchObject({ role: 'region', detail: { box: uprightBox, angle: uprightAngle }, item: (byValue.get(full) as { item: string }).item });
    // The second image is an item of its own.
    expect(byValue.get(other)).toMatchObject({ role: 'full' });
    expect((byValue.get(other) as { item: string }).item).not.toBe((byValue.get(full) as { item: string }).item);
  });

  it('refuses a box turned by more than 45° or by a non-number, naming the field', async () => {
    for (const angle of [90, 'steep']) {
      const refused = await request(`${server.url}/v1/cases`, {
        body: { items: [{ hashes: [{ algorithm: 'pdq', value: unknownRole, quality: 90, role: 'region', box: uprightBox, angle }] }] },
      });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toMatch(/angle/);
    }
  });

  it('the StopNCII feed carries the whole-picture hashes only', async () => {
    const page = await new StopNciiClient(`${server.url}/stopncii/v1`, key).fetchHashes({ startTimestamp: 10, pageSize: 800 });
    const values = page.hashRecords.map((r) => r.hashValue).sort();
    expect(values).toEqual([full, other].sort());
  });

  it('rempart export carries item, role and box; rempart import of it keeps the items and roles', async () => {
    await server.close();
    closed = true;
    const exported = await runCli(['export', '--data-dir', server.dataDir]);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const lines = parseLines(exported.stdout);
    expect(lines).toHaveLength(5);
    const line = (value: string) => lines.find((l) => l.value === value)!;
    expect(line(window)).toMatchObject({ role: 'window', detail: { box: windowBox }, item: line(full).item });
    expect(line(region)).toMatchObject({ role: 'region', detail: { box: regionBox }, item: line(full).item });
    expect(line(upright)).toMatchObject({ role: 'region', detail: { box: uprightBox, angle: uprightAngle }, item: line(full).item });
    expect(line(other).item).not.toBe(line(full).item);

    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-import-'));
    const imported = await runCli(['import', '-', '--data-dir', elsewhere], { input: exported.stdout });
    expect(imported.stderr).not.toMatch(/rempart:/);
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout).hashCount).toBe(5);
    const again = parseLines((await runCli(['export', '--data-dir', elsewhere])).stdout);
    const copy = (value: string) => again.find((l) => l.value === value)!;
    expect(copy(window)).toMatchObject({ role: 'window', detail: { box: windowBox }, item: copy(full).item });
    expect(copy(region)).toMatchObject({ role: 'region', detail: { box: regionBox }, item: copy(full).item });
    expect(copy(upright)).toMatchObject({ role: 'region', detail: { box: uprightBox, angle: uprightAngle }, item: copy(full).item });
    expect(copy(full).role).toBe('full');
    expect(copy(other).item).not.toBe(copy(full).item);
    // New ids in the new bank: refs are never carried over.
    expect(copy(full).item).not.toBe(line(full).item);

    // A role the service does not know is refused whole, naming it.
    const bad = await runCli(['import', '-', '--data-dir', elsewhere], {
      input: `${JSON.stringify({ item: 'x', role: 'sideways', algorithm: 'pdq', value: unknownRole, quality: 90 })}\n`,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/role must be one of full, trimmed, window, region, got "sideways"/);
  });
});
