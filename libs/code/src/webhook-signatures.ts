import { createHmac, timingSafeEqual } from 'node:crypto';

/** Standard Webhooks (GitLab's signing token): timestamps further than this from now are refused. */
export const STANDARD_WEBHOOKS_TOLERANCE_MS = 5 * 60 * 1000;

const equal = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/** GitHub's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body with the webhook secret. */
export function githubSignature(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of a GitHub signature header against the raw body. */
export function verifyGithubSignature(secret: string, header: string | undefined, rawBody: Buffer): boolean {
  if (!header) return false;
  return equal(Buffer.from(githubSignature(secret, rawBody)), Buffer.from(header));
}

/** GitLab's `X-Gitlab-Token`: the configured secret token itself, compared in constant time (as digests, so lengths leak nothing). */
export function verifyGitlabToken(secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const digest = (s: string) => createHmac('sha256', 'phoenix-gitlab-token').update(s).digest();
  return equal(digest(secret), digest(header));
}

const signingKey = (token: string) => Buffer.from(token.replace(/^whsec_/, ''), 'base64');

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>` keyed by the decoded token. */
export function standardWebhookSignature(token: string, id: string, timestamp: string, rawBody: Buffer | string): string {
  return `v1,${createHmac('sha256', signingKey(token)).update(`${id}.${timestamp}.`).update(rawBody).digest('base64')}`;
}

export type StandardWebhookCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'forged' };

/**
 * Verifies GitLab's signing-token headers (Standard Webhooks): the timestamp within five minutes,
 * and one of the space-separated `v1,<base64>` signatures matching, in constant time.
 */
export function verifyStandardWebhook(token: string, id: string | undefined, timestamp: string | undefined, signatures: string | undefined, rawBody: Buffer, now = Date.now()): StandardWebhookCheck {
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing' };
  const seconds = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now - seconds * 1000) > STANDARD_WEBHOOKS_TOLERANCE_MS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(standardWebhookSignature(token, id, timestamp, rawBody));
  const match = signatures.split(' ').some((s) => equal(expected, Buffer.from(s)));
  return match ? { ok: true } : { ok: false, reason: 'forged' };
}
