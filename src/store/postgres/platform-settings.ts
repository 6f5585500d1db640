/** PostgreSQL side of the platform settings role (see ../platform-settings.ts). */
import type pg from 'pg';
import type { PlatformSettingsStore } from '../platform-settings.js';
import type { Actor } from '../types.js';
import { type Queryable, inTransaction, queries } from './connection.js';

export interface PostgresPlatformSettingsContext {
  now: () => Date;
  audit: (client: Queryable, actor: Actor, action: string, target?: string | null, detail?: Record<string, unknown> | null) => Promise<void>;
}

async function read(client: Queryable, platformId: number): Promise<Record<string, number>> {
  const { rows } = await client.query<{ algorithm: string; threshold: number }>(
    'SELECT algorithm, threshold FROM platform_thresholds WHERE platform_id = $1 ORDER BY algorithm',
    [platformId],
  );
  return Object.fromEntries(rows.map((r) => [r.algorithm, r.threshold]));
}

export function postgresPlatformSettingsRole(pool: pg.Pool, context: PostgresPlatformSettingsContext): PlatformSettingsStore {
  // Direct queries report a lost database as DATABASE_UNAVAILABLE (503), as the store's own do.
  const db = queries(pool);
  return {
    platformThresholds: (platformId) => read(db, platformId),
    async setPlatformThresholds(platformId, changes, actor) {
      return inTransaction(pool, async (client) => {
        const at = context.now();
        for (const [algorithm, threshold] of Object.entries(changes)) {
          if (threshold === null) {
            await client.query('DELETE FROM platform_thresholds WHERE platform_id = $1 AND algorithm = $2', [platformId, algorithm]);
          } else {
            await client.query(
              `INSERT INTO platform_thresholds (platform_id, algorithm, threshold, set_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (platform_id, algorithm) DO UPDATE SET threshold = excluded.threshold, set_at = excluded.set_at`,
              [platformId, algorithm, threshold, at],
            );
          }
        }
        const name = await client.query<{ name: string }>('SELECT name FROM platforms WHERE id = $1', [platformId]);
        await context.audit(client, actor, 'platform.thresholds', name.rows[0]?.name ?? String(platformId), { changes });
        return read(client, platformId);
      });
    },
  };
}
