import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { ApiKeyGrant, InjectConfig, PhoenixConfig } from '@phoenix/config';
import { globToRegExp } from '@phoenix/contracts';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';

export interface AuthenticatedRequest extends Request {
  grant: ApiKeyGrant & { name: string };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Accepts `Authorization: Bearer <key>` or `X-API-Key: <key>`. Keys are compared as SHA-256
 * digests with timingSafeEqual, so the comparison time does not reveal how much matched.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { grant: ApiKeyGrant; digest: Buffer; name: string }[];

  constructor(@InjectConfig() config: PhoenixConfig) {
    this.keys = config.gateway.apiKeys.map((grant, i) => ({ grant, digest: digest(grant.key), name: `key-${i + 1}` }));
  }

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = extractKey(req);
    if (!presented) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'missing API key: send Authorization: Bearer <key> or X-API-Key');
    const d = digest(presented);
    const match = this.keys.find((k) => timingSafeEqual(k.digest, d));
    if (!match) throw new GatewayError(GatewayErrorCode.Unauthenticated, 'invalid API key');
    req.grant = { ...match.grant, name: match.name };
    return true;
  }
}

export function extractKey(req: Request): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim() || undefined;
  const header = req.headers['x-api-key'];
  return (Array.isArray(header) ? header[0] : header)?.trim() || undefined;
}

/** Whether a grant may publish to `topic`. */
export function grantAllows(grant: ApiKeyGrant, topic: string): boolean {
  return grant.scopes.some((s) => s === '*' || globToRegExp(s).test(topic));
}
