/**
 * Webhook endpoints and the durable delivery queue (a store role, asynchronous like the
 * others). The queue is the source of truth: a delivery is a row before anything is sent,
 * and is marked delivered only after the receiver answered 2xx, so a crash at any point
 * leads to a resend, never to a lost event (at-least-once).
 */
export interface WebhookEndpoint {
  platformId: number;
  url: string;
  /** The signing secret, sealed with the operator's data key (see service/data-key.ts). */
  secretSealed: string;
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: number;
  /** Public id, sent as X-Rempart-Delivery: receivers deduplicate on it. */
  ref: string;
  platformId: number;
  eventType: string;
  /** The exact JSON body sent (the same bytes on every attempt). */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  createdAt: string;
  deliveredAt: string | null;
  lastError: string | null;
}

export interface WebhookAttempt {
  id: number;
  deliveryId: number;
  at: string;
  /** HTTP status, or null when no answer came (refused, timeout). */
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export type AttemptOutcome =
  | { status: 'delivered' }
  | { status: 'pending'; nextAttemptAt: string }
  | { status: 'failed' };

export interface WebhookStore {
  setWebhookEndpoint(platformId: number, url: string, secretSealed: string): Promise<WebhookEndpoint>;
  getWebhookEndpoint(platformId: number): Promise<WebhookEndpoint | undefined>;
  /** False when the platform had no endpoint. */
  removeWebhookEndpoint(platformId: number): Promise<boolean>;
  enqueueDelivery(input: { ref: string; platformId: number; eventType: string; body: string; at: string }): Promise<WebhookDelivery>;
  /**
   * Pending deliveries due at `now`, leased until `leaseUntil` so another process (or a
   * slow earlier pass) does not send them at the same time. Oldest first.
   */
  claimDueDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]>;
  /** Logs an attempt and moves the delivery on, releasing its lease, in one transaction. */
  recordAttempt(
    deliveryId: number,
    attempt: Omit<WebhookAttempt, 'id' | 'deliveryId'>,
    outcome: AttemptOutcome,
  ): Promise<void>;
  /** The earliest time a pending delivery is due (undefined when none is pending). */
  nextDueAt(): Promise<string | undefined>;
  getDelivery(ref: string): Promise<WebhookDelivery | undefined>;
  listDeliveries(options?: { platformId?: number; status?: DeliveryStatus; limit?: number }): Promise<WebhookDelivery[]>;
  listAttempts(deliveryId: number): Promise<WebhookAttempt[]>;
  /** Puts a failed delivery back in the queue, due now (operator's retry); false if not failed. */
  requeueDelivery(ref: string, now: string): Promise<boolean>;
}
