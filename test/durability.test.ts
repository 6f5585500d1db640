import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, request } from './helpers/server.js';
import { killHard, runCli, spawnServer, type ServerProcess } from './helpers/process.js';

const hex = (i: number) => i.toString(16).padStart(2, '0').repeat(32);

/** What the API acknowledged must survive `kill -9` of the real server process. */
describe('durability', () => {
  let running: ServerProcess | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) await killHard(running.child);
    running = undefined;
  });

  it('keeps every acknowledged registration and withdrawal across kill -9', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-kill-'));
    const add = await runCli(['platform', 'add', 'durable', '--json', '--data-dir', dataDir]);
    expect(add.code).toBe(0);
    const apiKey = JSON.parse(add.stdout).apiKey as string;

    running = await spawnServer(dataDir);
    // Fire registrations concurrently and kill the server the moment the last is acknowledged.
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request(`${running!.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: hex(i + 1) }] } }),
      ),
    );
    expect(created.every((r) => r.status === 201)).toBe(true);
    const withdrawn = created[0]!.body;
    const del = await request(`${running.url}/v1/cases/${withdrawn.caseNumber}`, { method: 'DELETE', headers: bearer(withdrawn.caseSecret) });
    expect(del.status).toBe(200);
    await killHard(running.child);

    running = await spawnServer(dataDir);
    for (const [i, r] of created.entries()) {
      const status = await request(`${running.url}/v1/cases/${r.body.caseNumber}`, { headers: bearer(r.body.caseSecret) });
      expect(status.status).toBe(200);
      expect(status.body.status).toBe(i === 0 ? 'withdrawn' : 'active');
    }
    // The index was rebuilt from the store: every active hash matches, the withdrawn one does not.
    const match = await request(`${running.url}/v1/match`, {
      headers: bearer(apiKey),
      body: { hashes: created.map((_, i) => ({ algorithm: 'blockhash', value: hex(i + 1) })) },
    });
    expect(match.status).toBe(200);
    const distances = match.body.results.map((r: { matches: { distance: number }[] }) => r.matches.map((m) => m.distance));
    expect(distances[0]).toEqual([]);
    for (const d of distances.slice(1)) expect(d).toContain(0);
  });
});
