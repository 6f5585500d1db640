import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';

export const PEPPER_FILE = 'pepper';

/** Shorter peppers are refused wherever they come from (32 random bytes are made here). */
export const MIN_PEPPER_LENGTH = 32;

/**
 * The pepper mixed into every stored secret and key hash. Taken from configuration when
 * given (e.g. a secrets manager), else kept beside the database in a 0600 file created on
 * first start: a stolen database alone then cannot be used to test guesses offline. A
 * pepper file that other users can read, or a short pepper, stops the start with a
 * message saying what to do.
 */
export function loadOrCreatePepper(dataDir: string, configured?: string): string {
  if (configured !== undefined) {
    if (configured.length < MIN_PEPPER_LENGTH) {
      throw new ConfigError(`REMPART_PEPPER must be at least ${MIN_PEPPER_LENGTH} characters, got ${configured.length}`);
    }
    return configured;
  }
  const file = path.join(dataDir, PEPPER_FILE);
  const existing = readPepperFile(file);
  if (existing !== undefined) return existing;
  fs.mkdirSync(dataDir, { recursive: true });
  const pepper = randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, `${pepper}\n`, { mode: 0o600, flag: 'wx' });
    return pepper;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readPepperFile(file)!;
    throw error;
  }
}

function readPepperFile(file: string): string | undefined {
  let handle: number;
  try {
    handle = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const mode = fs.fstatSync(handle).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new ConfigError(
        `the pepper file ${file} can be read by other users (mode ${mode.toString(8).padStart(4, '0')}): run "chmod 600 ${file}"`,
      );
    }
    const pepper = fs.readFileSync(handle, 'utf8').trim();
    if (pepper.length < MIN_PEPPER_LENGTH) {
      throw new ConfigError(`the pepper in ${file} is shorter than ${MIN_PEPPER_LENGTH} characters`);
    }
    return pepper;
  } finally {
    fs.closeSync(handle);
  }
}
