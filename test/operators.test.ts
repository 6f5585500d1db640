/**
 * Operators' accounts on a real store (SQLite and PostgreSQL) with a controlled clock: idle
 * and absolute session expiry, lockout after repeated failures, one use per TOTP code, even
 * for logins racing each other, disabled accounts.
 */
import { describe, expect, it } from 'vitest';
import { DataCipher } from '../src/service/data-key.js';
import { OperatorService } from '../src/service/takedown/operators.js';
import { totpCode } from './helpers/console-client.js';
import { STORE_BACKENDS, type StoreUnderTest } from './helpers/store-backends.js';
import { codeOf, operator } from './store-helpers.js';

const PASSWORD = 'a sufficiently long one';

async function setUp(backend: StoreUnderTest) {
  let now = Date.UTC(2026, 0, 1, 9, 0, 0);
  const clock = () => new Date(now);
  const { store, openAnother } = await backend.open({ now: clock });
  const cipher = new DataCipher([DataCipher.newKey()]);
  const service = new OperatorService(store, cipher, 'p'.repeat(32), { passwordCost: 10, idleMinutes: 30, absoluteHours: 12 }, clock);
  const { totpSecret } = await service.add('alice', PASSWORD, operator);
  return {
    store,
    openAnother,
    cipher,
    clock,
    service,
    code: () => totpCode(totpSecret, now),
    advance(ms: number) {
      now += ms;
    },
  };
}

describe.each(STORE_BACKENDS)('operators on $backend', (backend) => {
  it('end after 30 idle minutes, and after 12 hours however active', async () => {
    const { service, code, advance } = await setUp(backend);
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
    const { service, code, advance } = await setUp(backend);
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

  it('accept a code once even when logins race, on one replica or two, and count every parallel failure', async () => {
    const { service, store, openAnother, cipher, clock, code } = await setUp(backend);
    // A second replica: its own store connection and service, same database and keys.
    const other = await openAnother({ now: clock });
    const replica = new OperatorService(other, cipher, 'p'.repeat(32), { passwordCost: 10, idleMinutes: 30, absoluteHours: 12 }, clock);
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? replica : service).login('alice', PASSWORD, code(), '127.0.0.1')),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);

    // Ten wrong passwords at once: all counted, so the account locks (five in a row).
    await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? replica : service).login('alice', 'wrong password!', code(), '127.0.0.1')));
    expect((await store.getOperatorByName('alice'))!.lockedUntil).not.toBeNull();
    expect(await codeOf(service.login('alice', PASSWORD, code(), '127.0.0.1'))).toBe('RATE_LIMITED');
  });
});
