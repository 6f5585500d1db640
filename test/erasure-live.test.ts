import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { bearer, request } from './helpers/server.js';
import { addPlatformByCli, killHard, REPO_ROOT, spawnServer, type ServerProcess } from './helpers/process.js';
import { hexHashValues } from './helpers/codes.js';

/** Which of the database's files hold these bytes right now, read raw from disk. */
function filesHolding(dataDir: string, hex: string): string[] {
  const needle = Buffer.from(hex, 'hex');
  return fs
    .readdirSync(dataDir)
    .filter((name) => name.startsWith('rempart.sqlite'))
    .filter((name) => fs.readFileSync(path.join(dataDir, name)).includes(needle));
}

/**
 * Another process reading an older snapshot, as `rempart export` or a backup tool does: it
 * pins WAL frames that still hold the values until released. A process of its own, not a
 * connection in this one: POSIX drops every lock a process holds on a file as soon as it
 * closes any descriptor of that file, and filesHolding() opens and closes them all.
 */
async function pinSnapshot(dataDir: string): Promise<() => Promise<void>> {
  const script = `import Database from 'better-sqlite3';
    const reader = new Database(process.argv[1], { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM hashes').get();
    process.stdout.write('pinned\\n');
    process.stdin.once('data', () => { reader.exec('COMMIT'); reader.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, path.join(dataDir, 'rempart.sqlite')], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  readers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the reader exited with ${code} before pinning a snapshot`)));
  });
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin!.write('release\n');
    await exited;
  };
}
const readers: ChildProcess[] = [];

/** Matches and case reads in a loop until stopped: the server stays busy while it erases. */
function keepBusy(url: string, apiKey: string, values: string[], kept: { caseNumber: string; caseSecret: string }) {
  let running = true;
  const statuses: number[] = [];
  const loop = (async () => {
    while (running) {
      const match = await request(`${url}/v1/match`, {
        headers: bearer(apiKey),
        body: { hashes: values.map((value) => ({ algorithm: 'blockhash', value })) },
      });
      const read = await request(`${url}/v1/cases/${kept.caseNumber}`, { headers: bearer(kept.caseSecret) });
      statuses.push(match.status, read.status);
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
    return statuses;
  };
  stopLoads.push(() => stop().catch(() => []));
  return stop;
}
const stopLoads: (() => Promise<unknown>)[] = [];

async function eventually(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(50);
}

/**
 * Erasure on a running server: after DELETE over HTTP, the withdrawn values must be gone
 * from the raw database and WAL bytes of the live process, not only once it has closed,
 * even when another connection was reading an older snapshot at the time.
 */
describe('erasure on a live server', () => {
  let running: ServerProcess | undefined;
  let dataDir: string;
  let apiKey: string;

  afterEach(async () => {
    await Promise.all(stopLoads.splice(0).map((stop) => stop()));
    for (const reader of readers.splice(0)) if (reader.exitCode === null) reader.kill('SIGKILL');
    if (running && running.child.exitCode === null) await killHard(running.child);
    running = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function startWithCases() {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-erasure-'));
    apiKey = await addPlatformByCli(dataDir, 'eraser-check');
    running = await spawnServer(dataDir);
    const withdrawnValues = hexHashValues(1, 40);
    const keptValues = hexHashValues(2, 5);
    const register = (values: string[]) =>
      request(`${running!.url}/v1/cases`, { body: { hashes: values.map((value) => ({ algorithm: 'blockhash', value })) } });
    const gone = await register(withdrawnValues);
    const kept = await register(keptValues);
    expect([gone.status, kept.status]).toEqual([201, 201]);
    // Control: the raw search does see values that are on disk.
    expect(filesHolding(dataDir, withdrawnValues[0]!)).not.toEqual([]);
    return { url: running.url, gone: gone.body, kept: kept.body, withdrawnValues, keptValues };
  }

  it('erases the values from the database and WAL bytes before DELETE answers, despite a reader', async () => {
    const { url, gone, kept, withdrawnValues, keptValues } = await startWithCases();
    const stopLoad = keepBusy(url, apiKey, [...withdrawnValues.slice(0, 3), ...keptValues], kept);
    const release = await pinSnapshot(dataDir);
    // The reader finishes shortly after the withdrawal has committed.
    const released = sleep(300).then(release);

    const del = await request(`${url}/v1/cases/${gone.caseNumber}`, { method: 'DELETE', headers: bearer(gone.caseSecret) });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ status: 'withdrawn', removedHashes: withdrawnValues.length });
    await released;
    // The bytes as they are the moment DELETE has answered, while the server keeps working.
    const leaks = withdrawnValues.flatMap((value) => filesHolding(dataDir, value));
    await sleep(300);
    const statuses = await stopLoad();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);

    expect(leaks).toEqual([]);
    expect(withdrawnValues.flatMap((value) => filesHolding(dataDir, value))).toEqual([]);
    expect(filesHolding(dataDir, keptValues[0]!)).not.toEqual([]);
    expect(running!.output()).not.toContain('erasure pending');
  });

  it('reports an erasure a reader holds up past the withdrawal, and completes it once the reader is gone', async () => {
    const { url, gone, kept, withdrawnValues, keptValues } = await startWithCases();
    const stopLoad = keepBusy(url, apiKey, keptValues, kept);
    const release = await pinSnapshot(dataDir);

    const del = await request(`${url}/v1/cases/${gone.caseNumber}`, { method: 'DELETE', headers: bearer(gone.caseSecret) });
    expect(del.status).toBe(200);
    // The withdrawal itself is done: nothing matches any more.
    const match = await request(`${url}/v1/match`, {
      headers: bearer(apiKey),
      body: { hashes: withdrawnValues.slice(0, 5).map((value) => ({ algorithm: 'blockhash', value })) },
    });
    expect(match.body.results.every((r: { matches: unknown[] }) => r.matches.length === 0)).toBe(true);
    // While the reader pins the old snapshot the values cannot leave the WAL: that is reported, not hidden.
    expect(filesHolding(dataDir, withdrawnValues[0]!)).toContain('rempart.sqlite-wal');
    await eventually(() => running!.output().includes('erasure pending'));
    expect(running!.output()).toContain('erasure pending');
    expect((await request(`${running!.metricsUrl}/metrics`)).body).toMatch(/^rempart_erasure_pending 1$/m);

    await release();
    await eventually(() => withdrawnValues.every((value) => filesHolding(dataDir, value).length === 0));
    const statuses = await stopLoad();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(withdrawnValues.flatMap((value) => filesHolding(dataDir, value))).toEqual([]);
    expect(filesHolding(dataDir, keptValues[0]!)).not.toEqual([]);
    await eventually(() => running!.output().includes('erasure complete'));
    expect(running!.output()).toContain('erasure complete');
    expect((await request(`${running!.metricsUrl}/metrics`)).body).toMatch(/^rempart_erasure_pending 0$/m);
  });

  it('finishes an erasure that a kill -9 interrupted when the store next opens', async () => {
    const { url, gone, withdrawnValues } = await startWithCases();
    const release = await pinSnapshot(dataDir);
    const del = await request(`${url}/v1/cases/${gone.caseNumber}`, { method: 'DELETE', headers: bearer(gone.caseSecret) });
    expect(del.status).toBe(200);
    await killHard(running!.child);
    expect(filesHolding(dataDir, withdrawnValues[0]!)).toContain('rempart.sqlite-wal');

    // The reader outlives the killed server and is still there when the next one starts.
    running = await spawnServer(dataDir);
    await release();
    await eventually(() => withdrawnValues.every((value) => filesHolding(dataDir, value).length === 0));
    expect(withdrawnValues.flatMap((value) => filesHolding(dataDir, value))).toEqual([]);
  });
});
