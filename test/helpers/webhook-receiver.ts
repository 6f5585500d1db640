/**
 * A real HTTP webhook receiver for tests: verifies every request's signature with the
 * platform's secret (as a platform would), records what it got, and answers with the
 * status the test scripts (500 for the first N requests, say).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';

export interface ReceivedWebhook {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
  signatureValid: boolean;
  answered: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The secret signatures are checked with (set once the operator has created it). */
  secret: string;
  /** Status to answer for the next requests, in order; 200 once they run out. */
  script: number[];
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let waiters: Array<() => boolean> = [];
  const receiver: WebhookReceiver = {
    url: '',
    received,
    secret: '',
    script: [],
    waitFor(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received.slice());
            return true;
          }
          return false;
        };
        const timer = setTimeout(
          () => reject(new Error(`webhook receiver got ${received.length} requests, expected ${count}`)),
          timeoutMs,
        );
        if (!check()) waiters.push(check);
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const signatureValid = verifyWebhookSignature(
        receiver.secret,
        request.headers['x-rempart-timestamp'] as string | undefined,
        body,
        request.headers['x-rempart-signature'] as string | undefined,
      );
      const answered = signatureValid ? (receiver.script.shift() ?? 200) : 401;
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* recorded as text */
      }
      received.push({ at: Date.now(), headers: request.headers, body, json, signatureValid, answered });
      response.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'ok' : 'no');
      waiters = waiters.filter((waiter) => !waiter());
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/rempart`;
  return receiver;
}
