/**
 * Rows of the webhook tables as both backends return them, and their one mapper each to the
 * records of ./webhooks.ts. The backends differ only in the timestamp columns (see
 * ./columns.ts): each passes its own normaliser.
 */
import { type ColumnTypes, type Columns, timeOrNull } from './columns.js';
import type { DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from './webhooks.js';

export interface EndpointRow<C extends ColumnTypes> {
  platform_id: number;
  url: string;
  secret_sealed: string;
  created_at: C['time'];
  updated_at: C['time'];
}

export interface DeliveryRow<C extends ColumnTypes> {
  id: number;
  ref: string;
  platform_id: number;
  event_type: string;
  body: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: C['time'];
  created_at: C['time'];
  delivered_at: C['time'] | null;
  last_error: string | null;
}

export interface AttemptRow<C extends ColumnTypes> {
  id: number;
  delivery_id: number;
  at: C['time'];
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** The columns a delivery is read with (the lease is the queue's own business). */
export const DELIVERY_COLUMNS = ['id', 'ref', 'platform_id', 'event_type', 'body', 'status', 'attempts', 'next_attempt_at', 'created_at', 'delivered_at', 'last_error'] as const;

export interface WebhookRowMappers<C extends ColumnTypes> {
  endpoint(row: EndpointRow<C>): WebhookEndpoint;
  delivery(row: DeliveryRow<C>): WebhookDelivery;
  attempt(row: AttemptRow<C>): WebhookAttempt;
}

export function webhookRowMappers<C extends ColumnTypes>(columns: Columns<C>): WebhookRowMappers<C> {
  return {
    endpoint: (row) => ({
      platformId: row.platform_id,
      url: row.url,
      secretSealed: row.secret_sealed,
      createdAt: columns.time(row.created_at),
      updatedAt: columns.time(row.updated_at),
    }),
    delivery: (row) => ({
      id: row.id,
      ref: row.ref,
      platformId: row.platform_id,
      eventType: row.event_type,
      body: row.body,
      status: row.status,
      attempts: row.attempts,
      nextAttemptAt: columns.time(row.next_attempt_at),
      createdAt: columns.time(row.created_at),
      deliveredAt: timeOrNull(columns, row.delivered_at),
      lastError: row.last_error,
    }),
    attempt: (row) => ({
      id: row.id,
      deliveryId: row.delivery_id,
      at: columns.time(row.at),
      statusCode: row.status_code,
      error: row.error,
      durationMs: row.duration_ms,
    }),
  };
}
