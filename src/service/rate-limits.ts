import type { RateLimitStore } from '../store/types.js';
import type { Credentials } from './credentials.js';

/**
 * Counts requests of the public endpoints per client and route, in the store, so that
 * every replica on one PostgreSQL database applies one shared limit. The client's address
 * never reaches the store: only a peppered pseudonym of it.
 */
export class RateLimitService {
  constructor(
    private readonly store: RateLimitStore,
    private readonly credentials: Pick<Credentials, 'pseudonym'>,
  ) {}

  /** One more request of `client` on `route` in the current window of `windowMs`. */
  count(route: string, client: string, windowMs: number): Promise<{ count: number; resetInMs: number }> {
    return this.store.countRequest(`${route} ${this.credentials.pseudonym('rate-limit', client)}`, windowMs);
  }
}
