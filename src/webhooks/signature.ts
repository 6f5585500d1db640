/**
 * How Rempart signs webhook requests, and how a receiver checks them (receivers may copy
 * `verifyWebhookSignature` as it is: it needs only node:crypto).
 *
 *   X-Rempart-Timestamp: 1764167000            (Unix seconds when this attempt was sent)
 *   X-Rempart-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is signed with the body so a captured request cannot be replayed later
 * than the receiver's tolerance; each retry is signed afresh with its own timestamp.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-rempart-signature';
export const TIMESTAMP_HEADER = 'x-rempart-timestamp';
export const EVENT_HEADER = 'x-rempart-event';
export const DELIVERY_HEADER = 'x-rempart-delivery';
/** Receivers should refuse signatures older (or newer) than this. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new signing secret: `whsec_` and 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * True when `signature` (the X-Rempart-Signature header, possibly several `v1=` values
 * separated by commas during a secret rotation) signs `body` with `secret` at `timestamp`,
 * and the timestamp is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | undefined,
  body: string,
  signature: string | undefined,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  if (timestamp === undefined || signature === undefined) return false;
  const ts = Number(timestamp);
  if (!Number.isSafeInteger(ts)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  return signature.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
