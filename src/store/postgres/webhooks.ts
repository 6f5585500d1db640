/**
 * The WebhookStore role on PostgreSQL (tables from the `takedown and webhooks` migration).
 * Same contract as ../sqlite/webhooks.ts. Several replicas run the delivery loop on one
 * database: claiming is one statement that leases the due rows it locks, skipping rows
 * another replica is claiming at that instant (FOR UPDATE SKIP LOCKED), so a delivery is
 * sent by one replica at a time and no replica waits for another.
 */
import type pg from 'pg';
import { type PostgresColumnTypes, postgresColumns } from '../columns.js';
import {
  type AttemptRow as AttemptRowOf,
  DELIVERY_COLUMNS as DELIVERY_COLUMN_LIST,
  type DeliveryRow as DeliveryRowOf,
  type EndpointRow as EndpointRowOf,
  webhookRowMappers,
} from '../webhook-rows.js';
import type { WebhookStore } from '../webhooks.js';
import { inTransaction } from './connection.js';

type EndpointRow = EndpointRowOf<PostgresColumnTypes>;
type DeliveryRow = DeliveryRowOf<PostgresColumnTypes>;
type AttemptRow = AttemptRowOf<PostgresColumnTypes>;
const { endpoint: toEndpoint, delivery: toDelivery, attempt: toAttempt } = webhookRowMappers(postgresColumns);
const DELIVERY_COLUMNS = DELIVERY_COLUMN_LIST.join(', ');

export function postgresWebhookRole(pool: pg.Pool, now: () => Date): WebhookStore {
  return {
    async setWebhookEndpoint(platformId, url, secretSealed) {
      const at = now().toISOString();
      const { rows } = await pool.query<EndpointRow>(
        `INSERT INTO webhook_endpoints (platform_id, url, secret_sealed, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (platform_id) DO UPDATE SET url = excluded.url, secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at
         RETURNING *`,
        [platformId, url, secretSealed, at],
      );
      return toEndpoint(rows[0]!);
    },
    async getWebhookEndpoint(platformId) {
      const { rows } = await pool.query<EndpointRow>('SELECT * FROM webhook_endpoints WHERE platform_id = $1', [platformId]);
      return rows[0] && toEndpoint(rows[0]);
    },
    async removeWebhookEndpoint(platformId) {
      const result = await pool.query('DELETE FROM webhook_endpoints WHERE platform_id = $1', [platformId]);
      return (result.rowCount ?? 0) > 0;
    },
    async enqueueDelivery(input) {
      const { rows } = await pool.query<DeliveryRow>(
        `INSERT INTO webhook_deliveries (ref, platform_id, event_type, body, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING ${DELIVERY_COLUMNS}`,
        [input.ref, input.platformId, input.eventType, input.body, input.at],
      );
      return toDelivery(rows[0]!);
    },
    async claimDueDeliveries(at, leaseUntil, limit) {
      // A materialized CTE, not `id IN (subquery)`: the planner may run such a subquery
      // more than once, each run locking another LIMIT rows. The UPDATE checks the lease
      // again: a row leased by another replica since this statement's snapshot is not
      // taken twice.
      const { rows } = await pool.query<DeliveryRow>(
        `WITH due AS MATERIALIZED (
           SELECT id FROM webhook_deliveries
            WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
            ORDER BY next_attempt_at, id LIMIT $3
            FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d SET lease_until = $2 FROM due
          WHERE d.id = due.id AND d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until <= $1)
          RETURNING ${DELIVERY_COLUMN_LIST.map((c) => `d.${c}`).join(', ')}`,
        [at, leaseUntil, limit],
      );
      return rows.sort((a, b) => a.next_attempt_at.getTime() - b.next_attempt_at.getTime() || a.id - b.id).map(toDelivery);
    },
    async recordAttempt(deliveryId, attempt, outcome) {
      await inTransaction(pool, async (client) => {
        await client.query('INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5)', [
          deliveryId,
          attempt.at,
          attempt.statusCode,
          attempt.error,
          Math.round(attempt.durationMs),
        ]);
        const error = attempt.error ?? (attempt.statusCode === null ? null : `HTTP ${attempt.statusCode}`);
        if (outcome.status === 'delivered') {
          await client.query(
            `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, lease_until = NULL, last_error = NULL
              WHERE id = $2`,
            [attempt.at, deliveryId],
          );
        } else if (outcome.status === 'pending') {
          await client.query(
            'UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3',
            [outcome.nextAttemptAt, error, deliveryId],
          );
        } else {
          await client.query(
            `UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, lease_until = NULL, last_error = $1 WHERE id = $2`,
            [error, deliveryId],
          );
        }
      });
    },
    async nextDueAt() {
      const { rows } = await pool.query<{ at: Date | null }>(
        `SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`,
      );
      return rows[0]?.at?.toISOString() ?? undefined;
    },
    async getDelivery(ref) {
      const { rows } = await pool.query<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ref = $1`, [ref]);
      return rows[0] && toDelivery(rows[0]);
    },
    async listDeliveries(options = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (options.platformId !== undefined) {
        params.push(options.platformId);
        where.push(`platform_id = $${params.length}`);
      }
      if (options.status !== undefined) {
        params.push(options.status);
        where.push(`status = $${params.length}`);
      }
      params.push(options.limit ?? 100);
      const { rows } = await pool.query<DeliveryRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toDelivery);
    },
    async listAttempts(deliveryId) {
      const { rows } = await pool.query<AttemptRow>('SELECT * FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id', [deliveryId]);
      return rows.map(toAttempt);
    },
    async requeueDelivery(ref, at) {
      const result = await pool.query(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, lease_until = NULL WHERE ref = $2 AND status = 'failed'`,
        [at, ref],
      );
      return (result.rowCount ?? 0) > 0;
    },
  };
}
