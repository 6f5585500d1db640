/**
 * Signed webhook delivery, for any event (notices today, change-feed pushes tomorrow):
 * `enqueue(platformId, type, data)` writes the delivery to the store's queue; a loop sends
 * due deliveries with a signed POST and retries failures with exponential backoff, until a
 * 2xx or the last attempt. At-least-once: a delivery is marked done only after a 2xx, so a
 * crash or restart resends it (receivers deduplicate on X-Rempart-Delivery). Every
 * attempt is logged (status, error, duration). The queue lives in the store, so pending
 * deliveries survive restarts.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { DataCipher } from '../service/data-key.js';
import type { WebhookDelivery, WebhookStore } from '../store/webhooks.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './signature.js';

export interface WebhookPolicy {
  /** Delay before the first retry; doubles each attempt (with jitter), up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in all (the first included) before the delivery is marked failed. */
  maxAttempts: number;
  /** A receiver slower than this is a failed attempt. */
  timeoutMs: number;
  /** How often the queue is checked when nothing woke the loop earlier. */
  pollMs: number;
  /** Deliveries sent at once. */
  concurrency: number;
}

export const DEFAULT_WEBHOOK_POLICY: WebhookPolicy = {
  baseDelayMs: 5_000,
  maxDelayMs: 60 * 60 * 1000,
  maxAttempts: 20,
  timeoutMs: 10_000,
  pollMs: 5_000,
  concurrency: 4,
};

/** What a receiver gets as the body: the envelope, then the event's own data. */
export interface WebhookEnvelope<T = unknown> {
  id: string;
  type: string;
  createdAt: string;
  data: T;
}

export interface AttemptEvent {
  delivery: WebhookDelivery;
  statusCode: number | null;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
}

/** Lease on claimed deliveries: longer than one attempt can take. */
const LEASE_MARGIN_MS = 30_000;
const MAX_ERROR_LENGTH = 300;

export class WebhookDispatcher {
  /** 'attempt' (AttemptEvent) after each attempt; 'error' (Error) when the loop itself fails. */
  readonly events = new EventEmitter();
  private readonly policy: WebhookPolicy;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wakeAgain = false;
  private stopped = true;

  constructor(
    private readonly store: WebhookStore,
    private readonly cipher: DataCipher,
    policy: Partial<WebhookPolicy> = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.policy = { ...DEFAULT_WEBHOOK_POLICY, ...policy };
  }

  /**
   * Queues an event for a platform; resolves to the delivery, or undefined when the
   * platform has no webhook endpoint (the event is then only available by polling).
   */
  async enqueue<T>(platformId: number, type: string, data: T): Promise<WebhookDelivery | undefined> {
    if ((await this.store.getWebhookEndpoint(platformId)) === undefined) return undefined;
    const ref = `wh_${randomBytes(12).toString('base64url')}`;
    const at = this.now().toISOString();
    const envelope: WebhookEnvelope<T> = { id: ref, type, createdAt: at, data };
    const delivery = await this.store.enqueueDelivery({ ref, platformId, eventType: type, body: JSON.stringify(envelope), at });
    this.wake();
    return delivery;
  }

  /** Starts the delivery loop (pending deliveries from before a restart go first). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  /** Stops the loop and waits for attempts in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Sends every delivery due now; resolves when they have been attempted. For the loop and tests. */
  async runOnce(): Promise<number> {
    const now = this.now();
    const claimed = await this.store.claimDueDeliveries(
      now.toISOString(),
      new Date(now.getTime() + this.policy.timeoutMs + LEASE_MARGIN_MS).toISOString(),
      this.policy.concurrency,
    );
    await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    return claimed.length;
  }

  private wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.drain()
      .catch((error: unknown) => {
        this.events.emit('error', error);
      })
      .finally(() => {
        this.running = undefined;
        if (this.wakeAgain) {
          this.wakeAgain = false;
          this.wake();
        } else void this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (await this.runOnce()) > 0) {
      // keep going while deliveries are due
    }
  }

  /** Sleeps until the next delivery is due (or the poll interval, whichever is first). */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    let delay = this.policy.pollMs;
    try {
      const next = await this.store.nextDueAt();
      if (next !== undefined) delay = Math.min(delay, Math.max(0, Date.parse(next) - this.now().getTime()));
    } catch (error) {
      this.events.emit('error', error);
    }
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delay);
    this.timer.unref();
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const endpoint = await this.store.getWebhookEndpoint(delivery.platformId);
    const started = performance.now();
    const at = this.now();
    let statusCode: number | null = null;
    let error: string | null = null;
    if (endpoint === undefined) {
      error = 'the platform has no webhook endpoint any more';
    } else {
      const secret = this.cipher.open(endpoint.secretSealed, webhookSecretContext(delivery.platformId));
      const timestamp = Math.floor(at.getTime() / 1000);
      try {
        const response = await fetch(endpoint.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Rempart-Webhooks/1',
            [TIMESTAMP_HEADER]: String(timestamp),
            [SIGNATURE_HEADER]: signWebhook(secret, timestamp, delivery.body),
            [EVENT_HEADER]: delivery.eventType,
            [DELIVERY_HEADER]: delivery.ref,
          },
          body: delivery.body,
          // A redirect is a failure, never followed: the body must reach the URL the operator set.
          redirect: 'manual',
          signal: AbortSignal.timeout(this.policy.timeoutMs),
        });
        statusCode = response.status;
        await response.body?.cancel().catch(() => undefined);
      } catch (cause) {
        error = describeFetchError(cause);
      }
    }
    const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const attempts = delivery.attempts + 1;
    const outcome = ok
      ? ({ status: 'delivered' } as const)
      : attempts >= this.policy.maxAttempts || endpoint === undefined
        ? ({ status: 'failed' } as const)
        : // Counted from the end of this attempt: a slow receiver still gets the full pause.
          ({ status: 'pending', nextAttemptAt: new Date(this.now().getTime() + this.retryDelay(attempts)).toISOString() } as const);
    await this.store.recordAttempt(
      delivery.id,
      { at: at.toISOString(), statusCode, error, durationMs: performance.now() - started },
      outcome,
    );
    const event: AttemptEvent = {
      delivery: { ...delivery, attempts },
      statusCode,
      error,
      outcome: outcome.status === 'pending' ? 'retry' : outcome.status,
    };
    this.events.emit('attempt', event);
  }

  /** Exponential backoff after `attempts` failures, with ±25 % jitter so retries spread out. */
  retryDelay(attempts: number): number {
    const exponential = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempts - 1));
    return Math.round(exponential * (0.75 + Math.random() * 0.5));
  }
}

/** The associated data binding a platform's sealed webhook secret to that platform. */
export function webhookSecretContext(platformId: number): string {
  return `webhook-secret:${platformId}`;
}

function describeFetchError(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'timed out';
  const detail = err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
  return String(detail).slice(0, MAX_ERROR_LENGTH);
}
