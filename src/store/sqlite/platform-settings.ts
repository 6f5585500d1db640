/** SQLite side of the platform settings role (see ../platform-settings.ts). */
import type Database from 'better-sqlite3';
import type { PlatformSettingsStore } from '../platform-settings.js';
import type { Actor } from '../types.js';

export interface SqlitePlatformSettingsContext {
  iso: () => string;
  audit: (actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null) => void;
}

export function sqlitePlatformSettingsRole(db: Database.Database, context: SqlitePlatformSettingsContext): PlatformSettingsStore {
  const sql = {
    thresholds: db.prepare<[number], { algorithm: string; threshold: number }>(
      'SELECT algorithm, threshold FROM platform_thresholds WHERE platform_id = ? ORDER BY algorithm',
    ),
    set: db.prepare(
      `INSERT INTO platform_thresholds (platform_id, algorithm, threshold, set_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (platform_id, algorithm) DO UPDATE SET threshold = excluded.threshold, set_at = excluded.set_at`,
    ),
    clear: db.prepare('DELETE FROM platform_thresholds WHERE platform_id = ? AND algorithm = ?'),
    name: db.prepare<[number], { name: string }>('SELECT name FROM platforms WHERE id = ?'),
  };
  const read = (platformId: number) => Object.fromEntries(sql.thresholds.all(platformId).map((r) => [r.algorithm, r.threshold]));

  const setTx = db.transaction((platformId: number, changes: Readonly<Record<string, number | null>>, actor: Actor) => {
    const at = context.iso();
    for (const [algorithm, threshold] of Object.entries(changes)) {
      if (threshold === null) sql.clear.run(platformId, algorithm);
      else sql.set.run(platformId, algorithm, threshold, at);
    }
    context.audit(actor, 'platform.thresholds', sql.name.get(platformId)?.name ?? String(platformId), { changes });
    return read(platformId);
  });

  return {
    async platformThresholds(platformId) {
      return read(platformId);
    },
    async setPlatformThresholds(platformId, changes, actor) {
      return setTx(platformId, changes, actor);
    },
  };
}
