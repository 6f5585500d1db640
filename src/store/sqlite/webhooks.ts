/** The WebhookStore role on SQLite (tables from migration `webhooks`, below). */
import type Database from 'better-sqlite3';
import { type SqliteColumnTypes, sqliteColumns } from '../columns.js';
import {
  type AttemptRow as AttemptRowOf,
  DELIVERY_COLUMNS as DELIVERY_COLUMN_LIST,
  type DeliveryRow as DeliveryRowOf,
  type EndpointRow as EndpointRowOf,
  webhookRowMappers,
} from '../webhook-rows.js';
import type { WebhookAttempt, WebhookStore } from '../webhooks.js';

export const WEBHOOKS_MIGRATION_SQL = `
  CREATE TABLE webhook_endpoints (
    platform_id   INTEGER PRIMARY KEY REFERENCES platforms (id),
    url           TEXT NOT NULL CHECK (url LIKE 'http://%' OR url LIKE 'https://%'),
    secret_sealed TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
  ) STRICT;

  CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ref             TEXT NOT NULL UNIQUE,
    platform_id     INTEGER NOT NULL REFERENCES platforms (id),
    event_type      TEXT NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
    body            TEXT NOT NULL CHECK (json_valid(body)),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    last_error      TEXT
  ) STRICT;
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
  CREATE INDEX webhook_deliveries_platform ON webhook_deliveries (platform_id, id);

  CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    at          TEXT NOT NULL,
    status_code INTEGER,
    error       TEXT,
    duration_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
`;

type EndpointRow = EndpointRowOf<SqliteColumnTypes>;
type DeliveryRow = DeliveryRowOf<SqliteColumnTypes>;
type AttemptRow = AttemptRowOf<SqliteColumnTypes>;
const { endpoint: toEndpoint, delivery: toDelivery, attempt: toAttempt } = webhookRowMappers(sqliteColumns);
const DELIVERY_COLUMNS = DELIVERY_COLUMN_LIST.join(', ');

export function sqliteWebhookStore(
  db: Database.Database,
  now: () => Date,
): WebhookStore {
  const sql = {
    upsertEndpoint: db.prepare(
      `INSERT INTO webhook_endpoints (platform_id, url, secret_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (platform_id) DO UPDATE SET url = excluded.url, secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at`,
    ),
    endpoint: db.prepare<[number], EndpointRow>('SELECT * FROM webhook_endpoints WHERE platform_id = ?'),
    deleteEndpoint: db.prepare('DELETE FROM webhook_endpoints WHERE platform_id = ?'),
    insertDelivery: db.prepare(
      `INSERT INTO webhook_deliveries (ref, platform_id, event_type, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    deliveryById: db.prepare<[number], DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = ?`),
    deliveryByRef: db.prepare<[string], DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries WHERE ref = ?`),
    due: db.prepare<[string, string, number], DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
        ORDER BY next_attempt_at, id LIMIT ?`,
    ),
    lease: db.prepare('UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?'),
    insertAttempt: db.prepare(
      'INSERT INTO webhook_attempts (delivery_id, at, status_code, error, duration_ms) VALUES (?, ?, ?, ?, ?)',
    ),
    delivered: db.prepare(
      `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, lease_until = NULL, last_error = NULL WHERE id = ?`,
    ),
    retryLater: db.prepare(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE id = ?`,
    ),
    failed: db.prepare(
      `UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, lease_until = NULL, last_error = ? WHERE id = ?`,
    ),
    nextDue: db.prepare<[], { at: string | null }>(
      `SELECT min(next_attempt_at) AS at FROM webhook_deliveries WHERE status = 'pending'`,
    ),
    attempts: db.prepare<[number], AttemptRow>('SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY id'),
    requeue: db.prepare(
      `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, lease_until = NULL WHERE ref = ? AND status = 'failed'`,
    ),
  };

  const claim = db.transaction((at: string, leaseUntil: string, limit: number) => {
    const rows = sql.due.all(at, at, limit);
    for (const row of rows) sql.lease.run(leaseUntil, row.id);
    return rows.map(toDelivery);
  });

  const record = db.transaction(
    (deliveryId: number, attempt: Omit<WebhookAttempt, 'id' | 'deliveryId'>, outcome: Parameters<WebhookStore['recordAttempt']>[2]) => {
      sql.insertAttempt.run(deliveryId, attempt.at, attempt.statusCode, attempt.error, Math.round(attempt.durationMs));
      const error = attempt.error ?? (attempt.statusCode === null ? null : `HTTP ${attempt.statusCode}`);
      if (outcome.status === 'delivered') sql.delivered.run(attempt.at, deliveryId);
      else if (outcome.status === 'pending') sql.retryLater.run(outcome.nextAttemptAt, error, deliveryId);
      else sql.failed.run(error, deliveryId);
    },
  );


  return {
    async setWebhookEndpoint(platformId, url, secretSealed) {
      const at = now().toISOString();
      sql.upsertEndpoint.run(platformId, url, secretSealed, at, at);
      return toEndpoint(sql.endpoint.get(platformId)!);
    },
    async getWebhookEndpoint(platformId) {
      const row = sql.endpoint.get(platformId);
      return row && toEndpoint(row);
    },
    async removeWebhookEndpoint(platformId) {
      return sql.deleteEndpoint.run(platformId).changes > 0;
    },
    async enqueueDelivery(input) {
      const id = Number(
        sql.insertDelivery.run(input.ref, input.platformId, input.eventType, input.body, input.at, input.at).lastInsertRowid,
      );
      return toDelivery(sql.deliveryById.get(id)!);
    },
    async claimDueDeliveries(at, leaseUntil, limit) {
      return claim(at, leaseUntil, limit);
    },
    async recordAttempt(deliveryId, attempt, outcome) {
      record(deliveryId, attempt, outcome);
    },
    async nextDueAt() {
      return sql.nextDue.get()?.at ?? undefined;
    },
    async getDelivery(ref) {
      const row = sql.deliveryByRef.get(ref);
      return row && toDelivery(row);
    },
    async listDeliveries(options = {}) {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (options.platformId !== undefined) {
        where.push('platform_id = ?');
        params.push(options.platformId);
      }
      if (options.status !== undefined) {
        where.push('status = ?');
        params.push(options.status);
      }
      const rows = db
        .prepare<(string | number)[], DeliveryRow>(
          `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY id DESC LIMIT ?`,
        )
        .all(...params, options.limit ?? 100);
      return rows.map(toDelivery);
    },
    async listAttempts(deliveryId) {
      return sql.attempts.all(deliveryId).map(toAttempt);
    },
    async requeueDelivery(ref, at) {
      return sql.requeue.run(at, ref).changes > 0;
    },
  };
}
