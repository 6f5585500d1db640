/** An analyst's HTTP session with the console API: login with a real TOTP code, cookie, CSRF token. */
import * as OTPAuth from 'otpauth';

export function totpCode(secret: string, at = Date.now()): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}

export interface ConsoleClient {
  call(method: string, path: string, body?: unknown, options?: { csrf?: boolean }): Promise<{ status: number; body: any; headers: Headers }>;
  cookie: string;
  csrf: string;
}

export async function consoleLogin(baseUrl: string, name: string, password: string, code: string): Promise<ConsoleClient> {
  const response = await fetch(`${baseUrl}/console/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password, code }),
  });
  const body = (await response.json()) as { csrfToken: string; message?: string };
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${body.message}`);
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  const client: ConsoleClient = {
    cookie,
    csrf: body.csrfToken,
    async call(method, path, payload, options = {}) {
      const headers: Record<string, string> = { cookie: client.cookie };
      if (payload !== undefined) headers['content-type'] = 'application/json';
      if (method !== 'GET' && options.csrf !== false) headers['x-csrf-token'] = client.csrf;
      const res = await fetch(`${baseUrl}/console/api/${path}`, { method, headers, body: payload === undefined ? undefined : JSON.stringify(payload) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* CSV or text */
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
  return client;
}
