import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MatchRecorder } from '../src/service/match-recorder.js';
import type { MatchesEvent } from '../src/service/events.js';
import { bearer, request, startTestServer, type TestServer } from './helpers/server.js';
import { openTestStore, hashBytes, register, victim, platformActor } from './store-helpers.js';

/** Issue 10 item 20: services announce events; any number of observers subscribe. */
describe('engine events and their observers', () => {
  let server: TestServer;
  let apiKey: string;
  const value = 'a'.repeat(64);

  beforeAll(async () => {
    server = await startTestServer();
    apiKey = await server.createPlatformKey();
  });
  afterAll(() => server.close());

  it('reach every observer, and a failing observer fails no request', async () => {
    const { events } = server.server.rempart;
    const seen: MatchesEvent[] = [];
    const registered: number[] = [];
    const failing = () => {
      throw new Error('observer bug');
    };
    events.on('matches', failing);
    events.on('matches', (e) => seen.push(e));
    events.on('case.registered', failing);
    events.on('case.registered', (e) => registered.push(e.hashCount));
    try {
      const created = await request(`${server.url}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value }] } });
      expect(created.status).toBe(201);
      expect(registered).toEqual([1]);

      const matched = await request(`${server.url}/v1/match`, { headers: bearer(apiKey), body: { hashes: [{ algorithm: 'blockhash', value }] } });
      expect(matched.status).toBe(200);
      expect(matched.body.results[0].matches).toHaveLength(1);
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ byAlgorithm: { blockhash: 1 }, hashIds: [expect.any(Number)] });

      // The match counter is an observer too: it still counted, next to the failing one.
      const status = await request(`${server.url}/v1/cases/${created.body.caseNumber}`, { headers: bearer(created.body.caseSecret) });
      expect(status.body.matchCount).toBe(1);
    } finally {
      events.removeAllListeners('matches');
      events.removeAllListeners('case.registered');
      server.server.rempart.matchRecorder.observe(events); // put the engine's own observer back
    }
  });
});

describe('routes talk to services', () => {
  it('no module of src/api reaches through the engine to its store, pool or index', () => {
    const dir = path.resolve(import.meta.dirname, '../src/api');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      expect(text, file).not.toMatch(/\brempart\.(store|pool|matcher|matchRecorder)\b/);
      expect(text, file).not.toMatch(/\.onMatches\s*=/);
    }
  });
});

describe('MatchRecorder (issue 10 item 5)', () => {
  it('takes one request with hundreds of thousands of matched ids', async () => {
    const { store } = openTestStore();
    const created = await register(store, { number: 'RMP-TEST-0001', secretHash: 'x', hashes: [{ algorithm: 'blockhash', bytes: hashBytes(1) }] }, victim);
    const recorder = new MatchRecorder(store, 60_000);
    const id = created.hashes[0]!.id;
    // `ids.push(...hashIds)` overflowed the call stack from about 120k ids.
    expect(() => recorder.record(platformActor.id, new Array(300_000).fill(id))).not.toThrow();
    expect(() => recorder.record(platformActor.id, new Array(300_000).fill(id))).not.toThrow();
    await recorder.close();
    expect((await store.getCaseByNumber('RMP-TEST-0001'))!.matchCount).toBe(600_000);
  });
});
