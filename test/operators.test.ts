/**
 * Operators' accounts on a real SQLite store with a controlled clock: idle and absolute
 * session expiry, lockout after repeated failures, one use per TOTP code, disabled accounts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataCipher } from '../src/service/data-key.js';
import { OperatorService } from '../src/service/takedown/operators.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { totpCode } from './helpers/console-client.js';
import { closeAfterTest, codeOf, operator, tempDir } from './store-helpers.js';

const PASSWORD = 'a sufficiently long one';

async function setUp() {
  let now = Date.UTC(2026, 0, 1, 9, 0, 0);
  const clock = () => new Date(now);
  const store = closeAfterTest(openSqliteStore({ path: path.join(tempDir(), 'rempart.sqlite'), now: clock }));
  const service = new OperatorService(store, new DataCipher([DataCipher.newKey()]), 'p'.repeat(32), { passwordCost: 10, idleMinutes: 30, absoluteHours: 12 }, clock);
  const { totpSecret } = await service.add('alice', PASSWORD, operator);
  return {
    store,
    service,
    code: () => totpCode(totpSecret, now),
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('operator sessions', () => {
  it('end after 30 idle minutes, and after 12 hours however active', async () => {
    const { service, code, advance } = await setUp();
    const { token } = await service.login('alice', PASSWORD, code(), '127.0.0.1');
    advance(29 * 60_000);
    expect((await service.authenticate(token)).name).toBe('alice');
    advance(31 * 60_000);
    expect(await codeOf(service.authenticate(token))).toBe('UNAUTHORIZED');

    advance(60_000);
    const second = await service.login('alice', PASSWORD, code(), '127.0.0.1');
    for (let i = 0; i < 24; i++) {
      advance(29 * 60_000);
      expect((await service.authenticate(second.token)).name).toBe('alice');
    }
    advance(29 * 60_000); // 12 h 30 min after login
    expect(await codeOf(service.authenticate(second.token))).toBe('UNAUTHORIZED');
  });

  it('refuses a code used twice, locks after five failures, and ends sessions of a disabled account', async () => {
    const { service, code, advance } = await setUp();
    const first = await service.login('alice', PASSWORD, code(), '127.0.0.1');
    expect(await codeOf(service.login('alice', PASSWORD, code(), '127.0.0.1'))).toBe('UNAUTHORIZED');
    advance(30_000);
    for (let i = 0; i < 5; i++) expect(await codeOf(service.login('alice', 'wrong password!', code(), '127.0.0.1'))).toBe('UNAUTHORIZED');
    expect(await codeOf(service.login('alice', PASSWORD, code(), '127.0.0.1'))).toBe('RATE_LIMITED');
    advance(16 * 60_000);
    const again = await service.login('alice', PASSWORD, code(), '127.0.0.1');
    expect((await service.authenticate(again.token)).name).toBe('alice');
    await service.disable('alice', operator);
    expect(await codeOf(service.authenticate(again.token))).toBe('UNAUTHORIZED');
    expect(await codeOf(service.authenticate(first.token))).toBe('UNAUTHORIZED');
    expect(await codeOf(service.login('nobody', PASSWORD, code(), '127.0.0.1'))).toBe('UNAUTHORIZED');
  });
});
