import { describe, expect, it } from 'vitest';
import { Credentials } from '../src/service/credentials.js';
import { PLATFORM_KEY_CACHE_MS, PlatformService } from '../src/service/platforms.js';
import { STORE_BACKENDS } from './helpers/store-backends.js';
import { codeOf, operator } from './store-helpers.js';

const PEPPER = 'a-pepper-of-at-least-thirty-two-characters';

/** Two replicas' platform services on one database, each with its own clock-driven cache. */
describe.each(STORE_BACKENDS)('platform keys across processes: $backend', (backend) => {
  it('a key revoked or rotated by one process stops working on another within the cache delay, at once on its own', async () => {
    const handle = await backend.open();
    const clock = { now: 1_000_000 };
    const a = new PlatformService(handle.store, new Credentials(PEPPER, 10), () => clock.now);
    const b = new PlatformService(await handle.openAnother(), new Credentials(PEPPER, 10), () => clock.now);
    const { apiKey } = await a.add('shared', operator);
    expect((await b.authenticateKey(apiKey)).name).toBe('shared'); // read from the store once, then cached

    await a.revoke('shared', operator);
    expect(await codeOf(a.authenticateKey(apiKey))).toBe('UNAUTHORIZED'); // the revoking process: at once
    clock.now += PLATFORM_KEY_CACHE_MS - 1;
    expect((await b.authenticateKey(apiKey)).name).toBe('shared'); // the other: still cached
    clock.now += 1;
    await expect(b.authenticateKey(apiKey)).rejects.toThrow(/revoked/);

    const other = await b.add('other', operator);
    expect((await a.authenticateKey(other.apiKey)).name).toBe('other');
    const rotated = await b.rotateKey('other', operator);
    expect(await codeOf(b.authenticateKey(other.apiKey))).toBe('UNAUTHORIZED');
    expect((await a.authenticateKey(rotated.apiKey)).name).toBe('other'); // a new key id: read, not cached
    clock.now += PLATFORM_KEY_CACHE_MS;
    expect(await codeOf(a.authenticateKey(other.apiKey))).toBe('UNAUTHORIZED');
    // Unknown key ids are never cached: a key added later works at once everywhere.
    expect(await codeOf(a.authenticateKey(`rk_${'0'.repeat(12)}_${'A'.repeat(43)}`))).toBe('UNAUTHORIZED');
  });
});
