import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, request } from './helpers/server.js';
import { killHard, runCli, spawnServer, type ServerProcess } from './helpers/process.js';

const VALUE = '5a'.repeat(32);

/** The index follows the store: what `rempart import` writes is matched by a running server. */
describe('index follows the store', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    if (server) await killHard(server.child);
  });

  it('matches hashes imported by another process while the server runs', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-follow-'));
    const key = JSON.parse((await runCli(['platform', 'add', 'follower', '--json', '--data-dir', dataDir])).stdout).apiKey;
    server = await spawnServer(dataDir);
    const match = () =>
      request(`${server!.url}/v1/match`, { headers: bearer(key), body: { hashes: [{ algorithm: 'blockhash', value: VALUE }] } });
    expect((await match()).body.results[0].matches).toEqual([]);

    const imported = await runCli(['import', '-', '--data-dir', dataDir], { input: `{"algorithm":"blockhash","value":"${VALUE}"}\n` });
    expect(imported.code).toBe(0);

    let matches: unknown[] = [];
    for (let attempt = 0; attempt < 50 && matches.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      matches = (await match()).body.results[0].matches;
    }
    expect(matches).toEqual([{ id: expect.stringMatching(/^h_/), algorithm: 'blockhash', distance: 0 }]);
  });
});
