import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header names of Phoenix's webhook signatures, both directions. */
export const SIGNATURE_HEADERS = {
  timestamp: 'x-phoenix-timestamp',
  signature: 'x-phoenix-signature',
  nonce: 'x-phoenix-nonce',
  eventId: 'x-phoenix-event-id',
  correlationId: 'x-phoenix-correlation-id',
  attempt: 'x-phoenix-attempt',
} as const;

/** Signatures older or newer than this are refused. */
export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<raw body>"), timestamp in unix seconds. */
export function sign(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'forged' };

/** Constant-time verification of a signature and its timestamp window. */
export function verify(secret: string, timestamp: string | undefined, signature: string | undefined, rawBody: Buffer, now = Date.now()): SignatureCheck {
  if (!timestamp || !signature) return { ok: false, reason: 'missing' };
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(now - seconds * 1000) > SIGNATURE_WINDOW_MS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(sign(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  return { ok: true };
}
