/**
 * The hotline's analysts: accounts with a slow password hash (scrypt, peppered) and a TOTP
 * second factor, sessions that expire (idle and absolute), lockout after repeated failures.
 * Every login, failure and logout is in the audit log. Tokens are random 256-bit values;
 * the store keeps only their SHA-256.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import * as OTPAuth from 'otpauth';
import { RempartError } from '../../errors.js';
import type { OperatorRecord, OperatorStore } from '../../store/takedown.js';
import type { Actor, AuditStore } from '../../store/types.js';
import type { DataCipher } from '../data-key.js';

const scryptAsync = promisify(scrypt) as (
  password: Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export interface OperatorPolicy {
  /** scrypt cost (log2 N) for passwords. */
  passwordCost: number;
  /** A session unused this long ends. */
  idleMinutes: number;
  /** A session ends this long after login, however active. */
  absoluteHours: number;
  /** Consecutive failures before the account locks, and for how long. */
  maxFailures: number;
  lockMinutes: number;
}

export const DEFAULT_OPERATOR_POLICY: OperatorPolicy = {
  passwordCost: 16,
  idleMinutes: 30,
  absoluteHours: 12,
  maxFailures: 5,
  lockMinutes: 15,
};

export const MIN_PASSWORD_LENGTH = 12;
const NAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;
const LOGIN_FAILED = 'name, password or code is wrong';

export interface OperatorSessionView {
  operator: string;
  csrfToken: string;
  expiresAt: string;
}

export interface AuthenticatedOperator {
  id: number;
  name: string;
  csrfToken: string;
  actor: Actor;
}

export class OperatorService {
  private readonly policy: OperatorPolicy;
  private decoy: Promise<string> | undefined;

  constructor(
    private readonly store: OperatorStore & Pick<AuditStore, 'audit'>,
    private readonly cipher: DataCipher,
    private readonly pepper: string,
    policy: Partial<OperatorPolicy> = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.policy = { ...DEFAULT_OPERATOR_POLICY, ...policy };
  }

  /** Creates an account; returns the TOTP secret (base32) and its otpauth:// URI, shown once. */
  async add(name: string, password: string, actor: Actor): Promise<{ name: string; totpSecret: string; totpUri: string }> {
    if (!NAME.test(name)) throw new RempartError('BAD_REQUEST', 'operator name must be 2-32 lowercase letters, digits, dots, dashes or underscores');
    checkPassword(password);
    const secret = new OTPAuth.Secret({ size: 20 });
    const record = await this.store.createOperator({
      name,
      passwordHash: await this.hashPassword(password),
      totpSealed: 'pending',
      at: this.now().toISOString(),
    });
    await this.store.updateOperator(record.id, { totpSealed: this.cipher.seal(secret.base32, totpContext(record.id)) });
    await this.store.audit(actor, 'operator.add', name, null);
    return { name, totpSecret: secret.base32, totpUri: totpFor(name, secret).toString() };
  }

  async list(): Promise<Array<Pick<OperatorRecord, 'name' | 'createdAt' | 'disabledAt' | 'lockedUntil'>>> {
    return (await this.store.listOperators()).map(({ name, createdAt, disabledAt, lockedUntil }) => ({ name, createdAt, disabledAt, lockedUntil }));
  }

  async setPassword(name: string, password: string, actor: Actor): Promise<void> {
    const record = await this.named(name);
    checkPassword(password);
    await this.store.updateOperator(record.id, { passwordHash: await this.hashPassword(password), failedLogins: 0, lockedUntil: null });
    await this.store.deleteOperatorSessions(record.id);
    await this.store.audit(actor, 'operator.password', name, null);
  }

  async resetTotp(name: string, actor: Actor): Promise<{ totpSecret: string; totpUri: string }> {
    const record = await this.named(name);
    const secret = new OTPAuth.Secret({ size: 20 });
    await this.store.updateOperator(record.id, { totpSealed: this.cipher.seal(secret.base32, totpContext(record.id)), totpLastStep: 0 });
    await this.store.deleteOperatorSessions(record.id);
    await this.store.audit(actor, 'operator.reset_totp', name, null);
    return { totpSecret: secret.base32, totpUri: totpFor(name, secret).toString() };
  }

  async disable(name: string, actor: Actor): Promise<void> {
    const record = await this.named(name);
    await this.store.updateOperator(record.id, { disabledAt: this.now().toISOString() });
    await this.store.deleteOperatorSessions(record.id);
    await this.store.audit(actor, 'operator.disable', name, null);
  }

  /** Password and TOTP code in, a session token out (for an HttpOnly cookie). */
  async login(name: string, password: string, code: string, from: string): Promise<{ token: string; session: OperatorSessionView }> {
    const at = this.now();
    const record = await this.store.getOperatorByName(name);
    const passwordOk = await this.verifyPassword(password, record?.passwordHash ?? (await this.decoyHash()));
    const failure = async (reason: string) => {
      if (record) {
        await this.store.recordLoginFailure(record.id, this.policy.maxFailures, new Date(at.getTime() + this.policy.lockMinutes * 60_000).toISOString());
      }
      await this.store.audit({ kind: 'operator', id: record?.name ?? '(unknown)' }, 'operator.login_failed', name.slice(0, 64), { reason, from });
      return new RempartError('UNAUTHORIZED', LOGIN_FAILED);
    };
    if (!record || !passwordOk) throw await failure(record ? 'password' : 'unknown name');
    if (record.disabledAt !== null) throw await failure('disabled');
    if (record.lockedUntil !== null && record.lockedUntil > at.toISOString()) {
      await this.store.audit({ kind: 'operator', id: record.name }, 'operator.login_failed', record.name, { reason: 'locked', from });
      throw new RempartError('RATE_LIMITED', `too many failed attempts: this account is locked until ${record.lockedUntil}`);
    }
    const secret = OTPAuth.Secret.fromBase32(this.cipher.open(record.totpSealed, totpContext(record.id)));
    const delta = totpFor(record.name, secret).validate({ token: code.replace(/\s/g, ''), timestamp: at.getTime(), window: 1 });
    const step = Math.floor(at.getTime() / 30_000) + (delta ?? 0);
    // A code is good once: a replayed (or shoulder-surfed) code is refused.
    if (delta === null) throw await failure('code');
    // Claimed in the store, not just compared here: a parallel login with the same code loses.
    if (step <= record.totpLastStep || !(await this.store.acceptTotpStep(record.id, step))) throw await failure('code reused');

    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(at.getTime() + this.policy.absoluteHours * 3_600_000).toISOString();
    await this.store.createSession({
      tokenHash: hashToken(token),
      operatorId: record.id,
      csrfToken,
      createdAt: at.toISOString(),
      lastSeenAt: at.toISOString(),
      expiresAt,
    });
    await this.store.audit({ kind: 'operator', id: record.name }, 'operator.login', record.name, { from });
    return { token, session: { operator: record.name, csrfToken, expiresAt } };
  }

  /** The operator behind a session token, or UNAUTHORIZED (expired, idle, logged out, disabled). */
  async authenticate(token: string | undefined): Promise<AuthenticatedOperator> {
    if (!token) throw new RempartError('UNAUTHORIZED', 'log in first');
    const at = this.now();
    const session = await this.store.getSession(hashToken(token));
    const idleLimit = new Date(at.getTime() - this.policy.idleMinutes * 60_000).toISOString();
    if (!session || session.expiresAt <= at.toISOString() || session.lastSeenAt <= idleLimit) {
      if (session) await this.store.deleteSession(session.tokenHash);
      throw new RempartError('UNAUTHORIZED', 'your session has ended: log in again');
    }
    const operator = await this.store.getOperatorById(session.operatorId);
    if (!operator || operator.disabledAt !== null) {
      await this.store.deleteSession(session.tokenHash);
      throw new RempartError('UNAUTHORIZED', 'this account is disabled');
    }
    await this.store.touchSession(session.tokenHash, at.toISOString());
    return { id: operator.id, name: operator.name, csrfToken: session.csrfToken, actor: { kind: 'operator', id: operator.name } };
  }

  async session(token: string): Promise<OperatorSessionView> {
    const operator = await this.authenticate(token);
    const session = (await this.store.getSession(hashToken(token)))!;
    return { operator: operator.name, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  }

  async logout(token: string | undefined): Promise<void> {
    if (!token) return;
    const session = await this.store.getSession(hashToken(token));
    if (!session) return;
    await this.store.deleteSession(session.tokenHash);
    const operator = await this.store.getOperatorById(session.operatorId);
    await this.store.audit({ kind: 'operator', id: operator?.name ?? String(session.operatorId) }, 'operator.logout', operator?.name ?? null, null);
  }

  async purgeExpiredSessions(): Promise<number> {
    const at = this.now();
    return this.store.deleteExpiredSessions(at.toISOString(), new Date(at.getTime() - this.policy.idleMinutes * 60_000).toISOString());
  }

  private async named(name: string): Promise<OperatorRecord> {
    const record = await this.store.getOperatorByName(name);
    if (!record) throw new RempartError('NOT_FOUND', `no operator named "${name}"`);
    return record;
  }

  private decoyHash(): Promise<string> {
    this.decoy ??= this.hashPassword(randomBytes(16).toString('hex'));
    return this.decoy;
  }

  private async hashPassword(password: string): Promise<string> {
    const salt = randomBytes(16);
    const hash = await this.scrypt(password, salt, this.policy.passwordCost);
    return `scrypt$${this.policy.passwordCost}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
  }

  private async verifyPassword(password: string, stored: string): Promise<boolean> {
    const [scheme, cost, salt, hash] = stored.split('$');
    if (scheme !== 'scrypt' || !cost || !salt || !hash) return false;
    const expected = Buffer.from(hash, 'base64url');
    const actual = await this.scrypt(password, Buffer.from(salt, 'base64url'), Number(cost));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  private scrypt(password: string, salt: Buffer, cost: number): Promise<Buffer> {
    const N = 2 ** cost;
    const peppered = createHash('sha256').update(this.pepper).update('\0operator-password\0').update(password, 'utf8').digest();
    return scryptAsync(peppered, salt, 32, { N, r: 8, p: 1, maxmem: 256 * N * 8 });
  }
}

function checkPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new RempartError('BAD_REQUEST', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.length > 1024) throw new RempartError('BAD_REQUEST', 'password is longer than 1,024 characters');
}

function totpFor(name: string, secret: OTPAuth.Secret): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: 'Rempart', label: name, algorithm: 'SHA1', digits: 6, period: 30, secret });
}

function totpContext(operatorId: number): string {
  return `operator:${operatorId}:totp`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
