import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { killHard, spawnServer } from './helpers/process.js';

const VICTIM_ADDRESS = '203.0.113.77';
const PLATFORM_ADDRESS = '198.51.100.9';

/** Issue 10 item 10: the log never ties a victim's address to her case. */
describe('request logs', () => {
  async function session(logClientAddresses?: string) {
    const server = await startTestServer({ config: { trustProxyHops: '1', ...(logClientAddresses ? { logClientAddresses } : {}) } });
    try {
      const key = await server.createPlatformKey();
      const victim = { 'x-forwarded-for': VICTIM_ADDRESS };
      const value = 'a'.repeat(64);
      const created = await request(`${server.url}/v1/cases`, { headers: victim, body: { hashes: [{ algorithm: 'blockhash', value }] } });
      const { caseNumber, caseSecret } = created.body;
      await request(`${server.url}/v1/cases/${caseNumber}?lang=fr`, { headers: { ...victim, ...bearer(caseSecret) } });
      await request(`${server.url}/v1/cases/${caseNumber.toLowerCase()}`, { headers: { ...victim, ...bearer('WRONG') } });
      await request(`${server.url}/v1/cases/${caseNumber}/oops`, { headers: victim });
      const matched = await request(`${server.url}/v1/match`, {
        headers: { 'x-forwarded-for': PLATFORM_ADDRESS, ...bearer(key) },
        body: { hashes: [{ algorithm: 'blockhash', value }] },
      });
      expect(matched.status).toBe(200);
      await request(`${server.url}/v1/cases/${caseNumber}`, { method: 'DELETE', headers: { ...victim, ...bearer(caseSecret) } });
      return { logs: server.logs(), caseNumber, caseSecret, key, value };
    } finally {
      await server.close();
    }
  }

  it('hold route patterns and statuses, never case numbers, secrets, keys or victims’ addresses', async () => {
    const { logs, caseNumber, caseSecret, key, value } = await session();
    const lines = logs.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests.map((r) => `${r.method} ${r.route} ${r.status}`)).toEqual([
      'POST /v1/cases 201',
      'GET /v1/cases/:caseNumber 200',
      'GET /v1/cases/:caseNumber 401',
      'GET (no route) 404',
      'POST /v1/match 200',
      'DELETE /v1/cases/:caseNumber 200',
    ]);
    for (const secret of [caseNumber, caseNumber.slice(4), caseNumber.toLowerCase(), caseSecret, key, key.slice(3, 15), value, VICTIM_ADDRESS, 'lang=fr']) {
      expect(logs, secret).not.toContain(secret);
    }
    // An authenticated platform's address is kept by default (abuse and support need it).
    expect(requests.find((r) => r.route === '/v1/match')).toMatchObject({ client: PLATFORM_ADDRESS, platform: expect.any(String) });
    expect(requests.filter((r) => 'client' in r)).toHaveLength(1);
  });

  it('hold every address only when the operator asks for it, and none when told', async () => {
    const all = await session('all');
    expect(all.logs).toContain(VICTIM_ADDRESS);
    expect(all.logs).not.toContain(all.caseNumber);
    const none = await session('none');
    expect(none.logs).not.toContain(VICTIM_ADDRESS);
    expect(none.logs).not.toContain(PLATFORM_ADDRESS);
  });
});

/** Issue 10 item 11: /metrics lives on the operators' listener, never on the public port. */
describe('metrics on the operator listener', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('are not served on the public port', async () => {
    const response = await request(`${server.url}/metrics`);
    expect(response.status).toBe(404);
    expect(JSON.stringify(response.body)).not.toContain('rempart_');
  });

  it('are served on the operators\' listener, on the loopback address, without the console\'s login', async () => {
    expect(new URL(server.metricsUrl).hostname).toBe('127.0.0.1');
    expect(new URL(server.metricsUrl).port).not.toBe(new URL(server.url).port);
    await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value: 'a'.repeat(64) }] } });
    const response = await fetch(`${server.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^rempart_cases_registered_total\{by="victim"\} 1$/m);
    expect(text).toMatch(/route="\/v1\/cases",status="201"/);
    // The operators' listener serves none of the public API.
    expect((await fetch(`${server.metricsUrl}/v1/algorithms`)).status).toBe(404);
  });

  it('are nowhere when the operators\' listener is off (REMPART_OPERATOR_PORT=off)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-metrics-'));
    const running = await spawnServer(dataDir, { REMPART_OPERATOR_PORT: 'off' });
    try {
      expect(running.metricsUrl).toBeUndefined();
      expect((await request(`${running.url}/metrics`)).status).toBe(404);
    } finally {
      await killHard(running.child);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
