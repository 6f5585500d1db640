import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const PEPPER_FILE = 'pepper';

/**
 * The pepper mixed into every stored secret and key hash. Taken from configuration when
 * given (e.g. a secrets manager), else kept beside the database in a 0600 file created on
 * first start: a stolen database alone then cannot be used to test guesses offline.
 */
export function loadOrCreatePepper(dataDir: string, configured?: string): string {
  if (configured !== undefined) {
    if (configured.length < 32) throw new Error('REMPART_PEPPER must be at least 32 characters');
    return configured;
  }
  const file = path.join(dataDir, PEPPER_FILE);
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const pepper = randomBytes(32).toString('base64url');
  try {
    fs.writeFileSync(file, `${pepper}\n`, { mode: 0o600, flag: 'wx' });
    return pepper;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw error;
  }
}
