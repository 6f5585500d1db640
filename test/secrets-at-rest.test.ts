/**
 * The README's promises about secrets at rest: the pepper is at least 32 characters
 * wherever it comes from, its file is created readable by its owner only (and a file
 * others can read is refused), and case secrets are stored with scrypt at cost 2^15 by
 * default (REMPART_SECRET_COST, 10..20).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, type RawConfig } from '../src/config.js';
import { hashImageBytes } from '../src/pipeline/hash-image.js';
import { DEFAULT_LIMITS } from '../src/pipeline/limits.js';
import { Rempart } from '../src/service/rempart.js';
import { PEPPER_FILE } from '../src/service/pepper.js';
import { scene } from './helpers/photos.js';
import { runCli } from './helpers/process.js';

function dataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rempart-secrets-'));
}

async function open(raw: RawConfig): Promise<Rempart> {
  return Rempart.open(resolveConfig({ hashThreads: '1', ...raw }));
}

async function openError(raw: RawConfig): Promise<unknown> {
  return open(raw).then(
    async (rempart) => {
      await rempart.close();
      return undefined;
    },
    (error: unknown) => error,
  );
}

describe('the pepper', () => {
  it('from REMPART_PEPPER must be at least 32 characters', async () => {
    const short = await openError({ dataDir: dataDir(), pepper: 'x'.repeat(31) });
    expect(short).toBeInstanceOf(ConfigError);
    expect((short as Error).message).toBe('REMPART_PEPPER must be at least 32 characters, got 31');
    expect(await openError({ dataDir: dataDir(), pepper: 'x'.repeat(32) })).toBeUndefined();
  });

  it('is refused in one line by the CLI when too short', async () => {
    const result = await runCli(['platform', 'list', '--data-dir', dataDir()], { env: { REMPART_PEPPER: 'too short' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rempart: configuration: REMPART_PEPPER must be at least 32 characters, got 9\n');
  });

  it('is created on first start in a file only its owner can read, and used again', async () => {
    const dir = dataDir();
    await (await open({ dataDir: dir })).close();
    const file = path.join(dir, PEPPER_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const pepper = fs.readFileSync(file, 'utf8').trim();
    expect(pepper.length).toBeGreaterThanOrEqual(32);
    await (await open({ dataDir: dir })).close();
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(pepper);
  });

  it('refuses a pepper file that other users can read, saying how to fix it', async () => {
    const dir = dataDir();
    await (await open({ dataDir: dir })).close();
    const file = path.join(dir, PEPPER_FILE);
    fs.chmodSync(file, 0o644);
    const error = await openError({ dataDir: dir });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`the pepper file ${file} can be read by other users (mode 0644): run "chmod 600 ${file}"`);
    fs.chmodSync(file, 0o600);
    expect(await openError({ dataDir: dir })).toBeUndefined();
  });

  it('refuses a pepper file shorter than 32 characters', async () => {
    const dir = dataDir();
    fs.writeFileSync(path.join(dir, PEPPER_FILE), 'short pepper\n', { mode: 0o600 });
    const error = await openError({ dataDir: dir });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/shorter than 32 characters/);
  });
});

describe('case secrets at rest', () => {
  async function storedSecretHash(raw: RawConfig): Promise<{ stored: string; verified: boolean }> {
    const dir = dataDir();
    const rempart = await open({ dataDir: dir, ...raw });
    try {
      const image = await hashImageBytes(new Uint8Array(await scene(21)), { algorithms: ['pdq'], dihedral: false }, DEFAULT_LIMITS);
      const created = await rempart.cases.register(image.hashes.map(({ algorithm, value, quality }) => ({ algorithm, value, quality })));
      const status = await rempart.cases.status(created.caseNumber, created.caseSecret.toLowerCase());
      const db = new Database(path.join(dir, 'rempart.sqlite'), { readonly: true });
      try {
        const stored = db.prepare('SELECT secret_hash FROM cases').pluck().get() as string;
        return { stored, verified: status.caseNumber === created.caseNumber };
      } finally {
        db.close();
      }
    } finally {
      await rempart.close();
    }
  }

  it('are stored as scrypt at cost 2^15 by default, salted, and still verify', async () => {
    expect(resolveConfig({ dataDir: dataDir() }).secretCost).toBe(15);
    const { stored, verified } = await storedSecretHash({});
    expect(stored).toMatch(/^scrypt\$15\$[\w-]{22}\$[\w-]{43}$/);
    expect(verified).toBe(true);
  });

  it('follow REMPART_SECRET_COST, within 10..20', async () => {
    expect((await storedSecretHash({ secretCost: '11' })).stored).toMatch(/^scrypt\$11\$/);
    for (const cost of ['9', '21', 'fast']) expect(() => resolveConfig({ dataDir: dataDir(), secretCost: cost })).toThrow(ConfigError);
  });
});
