import { RempartError } from '../errors.js';
import type { Actor, PlatformRecord, PlatformStore, PlatformWithKey } from '../store/types.js';
import { Credentials } from './credentials.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
/**
 * How long a platform's key row, once read, is trusted without reading it again. Every
 * platform request is authenticated: on PostgreSQL a read per request would cost a round
 * trip on the hot path. A revocation or rotation by this process takes effect at once; by
 * another process (another replica, the CLI), within this delay.
 */
export const PLATFORM_KEY_CACHE_MS = 2_000;
const PLATFORM_KEY_CACHE_ENTRIES = 10_000;

/** Platform accounts and their API keys (operators manage them from the CLI). */
export class PlatformService {
  /** Key rows by key id, read at most PLATFORM_KEY_CACHE_MS ago (existing keys only). */
  private readonly keyRows = new Map<string, { row: PlatformWithKey; readAt: number }>();

  constructor(
    private readonly store: PlatformStore,
    private readonly credentials: Credentials,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Creates a platform; the returned key is shown once and never stored. */
  async add(name: string, actor: Actor): Promise<{ platform: PlatformRecord; apiKey: string }> {
    if (!NAME.test(name)) {
      throw new RempartError('BAD_REQUEST', 'platform name must be 1-64 letters, digits, spaces, dots, dashes or underscores');
    }
    const { key, keyId, keyHash } = this.credentials.newApiKey();
    const platform = await this.store.addPlatform({ name, keyId, keyHash }, actor);
    this.keyRows.clear();
    return { platform, apiKey: key };
  }

  /** Issues a new key to an active platform; its old key stops working at once. */
  async rotateKey(name: string, actor: Actor): Promise<{ platform: PlatformRecord; apiKey: string }> {
    const { key, keyId, keyHash } = this.credentials.newApiKey();
    const platform = await this.store.rotatePlatformKey(name, { keyId, keyHash }, actor);
    this.keyRows.clear();
    if (!platform) {
      const revoked = (await this.store.listPlatforms()).some((p) => p.name === name);
      throw new RempartError(
        'NOT_FOUND',
        revoked ? `platform "${name}" was revoked; a revoked platform keeps its name: add it under another name` : `no active platform named "${name}"`,
      );
    }
    return { platform, apiKey: key };
  }

  list(): Promise<PlatformRecord[]> {
    return this.store.listPlatforms();
  }

  async revoke(name: string, actor: Actor): Promise<boolean> {
    const revoked = await this.store.revokePlatform(name, actor);
    this.keyRows.clear();
    return revoked;
  }

  /** Resolves an `Authorization` header to an active platform, or throws UNAUTHORIZED. */
  async authenticate(authorization: string | undefined): Promise<PlatformRecord> {
    const token = bearerToken(authorization);
    if (token === undefined) {
      throw new RempartError('UNAUTHORIZED', 'this endpoint needs a platform API key: Authorization: Bearer rk_…');
    }
    return this.authenticateKey(token);
  }

  /** Resolves a bare API key (`rk_…`, e.g. from StopNCII's `x-functions-key` header), or throws UNAUTHORIZED. */
  async authenticateKey(token: string): Promise<PlatformRecord> {
    const parts = Credentials.parseApiKey(token);
    const platform = parts && (await this.keyRow(parts.keyId));
    if (!parts || !platform || !this.credentials.verifyApiSecret(parts.secret, platform.keyHash)) {
      throw new RempartError('UNAUTHORIZED', 'API key is not valid');
    }
    if (platform.revokedAt !== null) throw new RempartError('UNAUTHORIZED', 'API key has been revoked');
    const { keyHash: _hidden, ...record } = platform;
    return record;
  }

  /** The platform holding this key id, from the cache while it is fresh. */
  private async keyRow(keyId: string): Promise<PlatformWithKey | undefined> {
    const now = this.clock();
    const cached = this.keyRows.get(keyId);
    if (cached && now - cached.readAt < PLATFORM_KEY_CACHE_MS) return cached.row;
    const row = await this.store.getPlatformByKeyId(keyId);
    if (row === undefined) {
      this.keyRows.delete(keyId);
      return undefined;
    }
    if (this.keyRows.size >= PLATFORM_KEY_CACHE_ENTRIES) this.keyRows.clear();
    this.keyRows.set(keyId, { row, readAt: now });
    return row;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1] : undefined;
}
