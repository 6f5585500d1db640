import { RempartError } from '../errors.js';
import type { Actor, PlatformRecord, PlatformStore } from '../store/types.js';
import { Credentials } from './credentials.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;

/** Platform accounts and their API keys (operators manage them from the CLI). */
export class PlatformService {
  constructor(
    private readonly store: PlatformStore,
    private readonly credentials: Credentials,
  ) {}

  /** Creates a platform; the returned key is shown once and never stored. */
  async add(name: string, actor: Actor): Promise<{ platform: PlatformRecord; apiKey: string }> {
    if (!NAME.test(name)) {
      throw new RempartError('BAD_REQUEST', 'platform name must be 1-64 letters, digits, spaces, dots, dashes or underscores');
    }
    const { key, keyId, keyHash } = this.credentials.newApiKey();
    const platform = await this.store.addPlatform({ name, keyId, keyHash }, actor);
    return { platform, apiKey: key };
  }

  /** Issues a new key to an active platform; its old key stops working at once. */
  async rotateKey(name: string, actor: Actor): Promise<{ platform: PlatformRecord; apiKey: string }> {
    const { key, keyId, keyHash } = this.credentials.newApiKey();
    const platform = await this.store.rotatePlatformKey(name, { keyId, keyHash }, actor);
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

  revoke(name: string, actor: Actor): Promise<boolean> {
    return this.store.revokePlatform(name, actor);
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
    const platform = parts && (await this.store.getPlatformByKeyId(parts.keyId));
    if (!parts || !platform || !this.credentials.verifyApiSecret(parts.secret, platform.keyHash)) {
      throw new RempartError('UNAUTHORIZED', 'API key is not valid');
    }
    if (platform.revokedAt !== null) throw new RempartError('UNAUTHORIZED', 'API key has been revoked');
    const { keyHash: _hidden, ...record } = platform;
    return record;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = authorization === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1] : undefined;
}
