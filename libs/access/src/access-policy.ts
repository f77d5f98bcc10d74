import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyGrant, PhoenixConfig } from '@phoenix/config';
import { AccessError, AccessErrorCode } from './access.errors';
import { KeyRateLimits } from './key-rate-limit';
import { Principal } from './principal';
import { parseScopes } from './scopes';
import { PhoenixError } from '@phoenix/errors';

/** Thrown at boot when a configured key's scopes do not parse: every problem, named. */
export class AccessConfigError extends PhoenixError<'ACCESS_CONFIG_INVALID'> {
  constructor(readonly problems: string[]) {
    super('ACCESS_CONFIG_INVALID', `invalid access configuration:\n  - ${problems.join('\n  - ')}`, { kind: 'app' });
  }
}

interface Entry {
  digest: Buffer;
  principal: Principal;
}

/**
 * The keys a process accepts (PHOENIX_API_KEYS plus the service credential), checked at boot.
 * A presented key is hashed and compared with every configured digest in constant time (so the
 * time taken reveals neither which key nor how much matched); keys may be configured as
 * `sha256:<hex>`, so config need not hold a usable secret. Two keys may be valid at once, which
 * is how a key is rotated: add the new one, move callers, remove the old one.
 */
export class AccessPolicy {
  private readonly entries: Entry[];
  private readonly limits = new KeyRateLimits();

  constructor(grants: ApiKeyGrant[], service?: ApiKeyGrant) {
    const problems: string[] = [];
    const entries: Entry[] = [];
    for (const g of [...grants, ...(service ? [service] : [])]) {
      const parsed = parseScopes(g.scopes);
      problems.push(...parsed.problems.map((p) => `${g === service ? 'PHOENIX_SERVICE_KEY' : `PHOENIX_API_KEYS (${g.name})`}: ${p}`));
      entries.push({ digest: Buffer.from(g.sha256, 'hex'), principal: new Principal(g.name, parsed.scopes, g === service ? 'service' : 'key') });
    }
    if (problems.length) throw new AccessConfigError(problems);
    this.entries = entries;
  }

  static fromConfig(config: PhoenixConfig): AccessPolicy {
    return new AccessPolicy(config.gateway.apiKeys, config.gateway.serviceKey);
  }

  /** The principal of a presented key; 401 when there is none or it matches no key. */
  authenticate(presented: string | undefined): Principal {
    if (!presented) throw new AccessError(AccessErrorCode.Unauthenticated, 'missing API key: send Authorization: Bearer <key> or X-API-Key');
    const d = createHash('sha256').update(presented).digest();
    let match: Principal | undefined;
    // Every digest is compared, so the time does not depend on which one matched.
    for (const e of this.entries) if (timingSafeEqual(e.digest, d) && !match) match = e.principal;
    if (!match) throw new AccessError(AccessErrorCode.Unauthenticated, 'invalid API key');
    return match;
  }

  /** Spends one request of the principal's own rate (`rate:<n>`); 429 past it. */
  admit(principal: Principal): void {
    const rate = principal.scopes.ratePerSecond;
    if (!rate) return;
    const r = this.limits.take(principal.name, rate);
    if (!r.ok) throw new AccessError(AccessErrorCode.RateLimited, `key ${principal.name} is over its rate of ${rate} requests/s; retry after the time in Retry-After`, r.retryAfterSeconds);
  }

  /** Every configured principal (for docs, specs and `phoenix validate`). */
  principals(): Principal[] {
    return this.entries.map((e) => e.principal);
  }
}

/** `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  const a = Array.isArray(auth) ? auth[0] : auth;
  if (a?.startsWith('Bearer ')) return a.slice(7).trim() || undefined;
  const header = headers['x-api-key'];
  return (Array.isArray(header) ? header[0] : header)?.trim() || undefined;
}

/** 403 unless the check holds. */
export function demand(ok: boolean, message: string): void {
  if (!ok) throw new AccessError(AccessErrorCode.Forbidden, message);
}

/**
 * The user a request acts for: a key bound to a user (`user:<id>`) acts for that user only —
 * another user id is 403, none means its own; an unbound key acts for whoever it names.
 */
export function effectiveUserId(principal: Principal, requested: string | null | undefined): string | undefined {
  const bound = principal.userId;
  if (!bound) return requested ?? undefined;
  if (requested && requested !== bound) throw new AccessError(AccessErrorCode.Forbidden, `key ${principal.name} is bound to user ${bound} and may not act for user ${requested}`);
  return bound;
}
