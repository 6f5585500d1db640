/**
 * Links as victims type them, made comparable: http(s) only, host lowercased (and IDNs in
 * punycode, by the WHATWG URL parser), default port and #fragment dropped, tracking
 * parameters (utm_*, fbclid, gclid) removed. Everything else of the path and query is
 * kept: it is what identifies the content.
 */
import { RempartError } from '../../errors.js';
import type { PlatformNoticeSettings } from '../../store/takedown.js';

export const MAX_URL_LENGTH = 2048;
const TRACKING = /^(utm_[a-z]+|fbclid|gclid|mc_eid|igshid)$/i;

export function normaliseLink(input: string, field = 'url'): { url: string; host: string } {
  const text = input.trim();
  if (text === '') throw new RempartError('BAD_REQUEST', `${field} is empty`);
  if (text.length > MAX_URL_LENGTH) throw new RempartError('BAD_REQUEST', `${field} is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    // Victims often paste "example.com/…" without a scheme.
    url = new URL(/^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`);
  } catch {
    throw new RempartError('BAD_REQUEST', `${field} "${text.slice(0, 100)}" is not a valid web address`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RempartError('BAD_REQUEST', `${field} must be an http:// or https:// address, got ${url.protocol}`);
  }
  if (!url.hostname.includes('.') && url.hostname !== 'localhost') {
    throw new RempartError('BAD_REQUEST', `${field} "${text.slice(0, 100)}" has no valid host name`);
  }
  url.username = '';
  url.password = '';
  url.hash = '';
  for (const key of [...url.searchParams.keys()]) if (TRACKING.test(key)) url.searchParams.delete(key);
  const host = url.hostname.replace(/\.$/, '');
  return { url: url.href, host };
}

/** The platform whose domains cover `host` (the domain itself or a subdomain); the most specific wins. */
export function platformForHost(host: string, directory: readonly PlatformNoticeSettings[]): number | null {
  let best: { platformId: number; length: number } | null = null;
  for (const settings of directory) {
    for (const domain of settings.domains) {
      if ((host === domain || host.endsWith(`.${domain}`)) && (!best || domain.length > best.length)) {
        best = { platformId: settings.platformId, length: domain.length };
      }
    }
  }
  return best?.platformId ?? null;
}

/** A domain as operators type it ("www.Example.com", "https://example.com/"), reduced to "example.com". */
export function normaliseDomain(input: string): string {
  const text = input.trim().toLowerCase();
  let host: string;
  try {
    host = new URL(/^[a-z]+:\/\//.test(text) ? text : `https://${text}`).hostname;
  } catch {
    throw new RempartError('BAD_REQUEST', `domain "${input}" is not a valid domain name`);
  }
  host = host.replace(/^www\./, '').replace(/\.$/, '');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(host)) throw new RempartError('BAD_REQUEST', `domain "${input}" is not a valid domain name`);
  return host;
}

const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

export function checkEmail(input: string, field: string): string {
  const email = input.trim();
  if (email.length > 254 || !EMAIL.test(email)) throw new RempartError('BAD_REQUEST', `${field} "${email.slice(0, 80)}" is not an email address`);
  return email;
}
