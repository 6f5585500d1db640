import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { resolveConfig, type Config, type RawConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/api/server.js';

export interface TestServer {
  url: string;
  /** The operators' listener (console, GET /metrics), on its own random port. */
  metricsUrl: string;
  dataDir: string;
  server: RunningServer;
  /** Everything the server logged, as text (pino JSON lines). */
  logs(): string;
  /** Adds a platform through the same service the CLI uses; returns its API key. */
  createPlatformKey(name?: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  dataDir?: string;
  config?: RawConfig;
  /** Register extra fastify plugins before listening (e.g. the web page). */
}

let platformCounter = 0;

/** A real server on 127.0.0.1 with a random port and its own SQLite data dir. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-test-'));
  const config: Config = resolveConfig(
    // Rate limits off unless a test sets them: suites send many requests from 127.0.0.1.
    { dataDir, host: '127.0.0.1', port: '0', hashThreads: '2', secretCost: '10', logLevel: 'info', rateLimitPerMinute: '0', operatorPort: '0' },
    options.config ?? {},
  );
  let logText = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logText += String(chunk);
      done();
    },
  });
  const server = await startServer(config, { level: config.logLevel, stream });
  return {
    url: server.url,
    metricsUrl: server.metricsUrl!,
    dataDir,
    server,
    logs: () => logText,
    async createPlatformKey(name = `platform-${++platformCounter}-${process.pid}`) {
      return (await server.rempart.platforms.add(name, { kind: 'operator', id: 'test' })).apiKey;
    },
    close: () => server.close(),
  };
}

/** fetch + JSON, keeping the status. */
export async function request(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; raw?: Uint8Array; contentType?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: BodyInit | undefined;
  if (init.raw !== undefined) {
    body = new Uint8Array(init.raw); // a copy on its own ArrayBuffer, as fetch wants
    headers['content-type'] = init.contentType ?? 'application/octet-stream';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
