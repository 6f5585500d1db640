import { RempartError } from '../errors.js';
import type { Actor, AuditStore, PlatformRecord, PlatformStore } from '../store/types.js';
import type { WebhookAttempt, WebhookDelivery, WebhookStore } from '../store/webhooks.js';
import { webhookSecretContext } from '../webhooks/dispatcher.js';
import { newWebhookSecret } from '../webhooks/signature.js';
import type { DataCipher } from './data-key.js';

/** Operators' side of webhooks: set a platform's endpoint (and its secret), read the delivery log, retry. */
export class WebhookService {
  constructor(
    private readonly store: WebhookStore,
    private readonly platforms: Pick<PlatformStore, 'listPlatforms'>,
    private readonly audit: Pick<AuditStore, 'audit'>,
    private readonly cipher: DataCipher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Sets (or replaces) a platform's webhook URL with a new signing secret, returned once
   * for the operator to hand to the platform; it is kept only sealed with the data key.
   */
  async setEndpoint(platformName: string, url: string, actor: Actor): Promise<{ platform: string; url: string; secret: string }> {
    const platform = await this.platformNamed(platformName);
    const checked = checkWebhookUrl(url);
    const secret = newWebhookSecret();
    await this.store.setWebhookEndpoint(platform.id, checked, this.cipher.seal(secret, webhookSecretContext(platform.id)));
    await this.audit.audit(actor, 'webhook.endpoint_set', platform.name, { url: checked });
    return { platform: platform.name, url: checked, secret };
  }

  async removeEndpoint(platformName: string, actor: Actor): Promise<boolean> {
    const platform = await this.platformNamed(platformName);
    const removed = await this.store.removeWebhookEndpoint(platform.id);
    if (removed) await this.audit.audit(actor, 'webhook.endpoint_removed', platform.name, null);
    return removed;
  }

  async endpointOf(platformId: number): Promise<{ url: string; updatedAt: string } | undefined> {
    const endpoint = await this.store.getWebhookEndpoint(platformId);
    return endpoint && { url: endpoint.url, updatedAt: endpoint.updatedAt };
  }

  async deliveries(options: { platformName?: string; status?: WebhookDelivery['status']; limit?: number } = {}) {
    const platformId = options.platformName === undefined ? undefined : (await this.platformNamed(options.platformName)).id;
    return this.store.listDeliveries({ platformId, status: options.status, limit: options.limit });
  }

  async attempts(ref: string): Promise<{ delivery: WebhookDelivery; attempts: WebhookAttempt[] }> {
    const delivery = await this.store.getDelivery(ref);
    if (!delivery) throw new RempartError('NOT_FOUND', `no webhook delivery ${ref}`);
    return { delivery, attempts: await this.store.listAttempts(delivery.id) };
  }

  /** Puts a failed delivery back in the queue. */
  async retry(ref: string, actor: Actor): Promise<void> {
    if (!(await this.store.requeueDelivery(ref, this.now().toISOString()))) {
      throw new RempartError('CONFLICT', `webhook delivery ${ref} is not a failed delivery`);
    }
    await this.audit.audit(actor, 'webhook.requeue', ref, null);
  }

  private async platformNamed(name: string): Promise<PlatformRecord> {
    const platform = (await this.platforms.listPlatforms()).find((p) => p.name === name);
    if (!platform) throw new RempartError('NOT_FOUND', `no platform named "${name}"`);
    return platform;
  }
}

export function checkWebhookUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RempartError('BAD_REQUEST', `webhook URL "${url}" is not a valid URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new RempartError('BAD_REQUEST', 'webhook URL must be http:// or https://');
  }
  if (parsed.username || parsed.password) throw new RempartError('BAD_REQUEST', 'webhook URL must not carry credentials');
  if (parsed.hash) throw new RempartError('BAD_REQUEST', 'webhook URL must not have a #fragment');
  return parsed.href;
}
