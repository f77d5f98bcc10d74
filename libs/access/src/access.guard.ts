import { ArgumentsHost, CanActivate, Catch, ExceptionFilter, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { InjectConfig, PhoenixConfig } from '@phoenix/config';
import { AccessError, AccessErrorCode } from './access.errors';
import { AccessPolicy, presentedKey } from './access-policy';
import { Principal } from './principal';
import { Action } from './scopes';

export interface AuthenticatedRequest extends Request {
  principal: Principal;
}

const REQUIRED = 'phoenix:access:required';

/** The route needs one of these actions (topics, rows and memories are checked in the handler). */
export const RequireAccess = (...actions: Action[]) => SetMetadata(REQUIRED, actions);

const policies = new WeakMap<PhoenixConfig, AccessPolicy>();

/** One policy per configuration, so every guard and surface of a process shares its rate limits. */
export function accessPolicyFor(config: PhoenixConfig): AccessPolicy {
  let p = policies.get(config);
  if (!p) {
    p = AccessPolicy.fromConfig(config);
    policies.set(config, p);
  }
  return p;
}

/**
 * Authenticates every request of the controllers it guards (401), spends the key's own rate
 * (429) and checks the route's {@link RequireAccess} actions (403); the principal is on
 * `req.principal` for the handler's finer checks.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly policy: AccessPolicy;

  constructor(
    @InjectConfig() config: PhoenixConfig,
    private readonly reflector: Reflector,
  ) {
    this.policy = accessPolicyFor(config);
  }

  canActivate(ctx: ExecutionContext): boolean {
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = this.policy.authenticate(presentedKey(req.headers));
    this.policy.admit(principal);
    const actions = this.reflector.getAllAndOverride<Action[] | undefined>(REQUIRED, [ctx.getHandler(), ctx.getClass()]);
    if (actions?.length && !actions.some((a) => principal.can(a))) {
      throw new AccessError(AccessErrorCode.Forbidden, `key ${principal.name} lacks the scope for this route (needs ${actions.join(' or ')})`);
    }
    req.principal = principal;
    return true;
  }
}

/** For apps without the gateway's error filter: AccessError as `{ error: { code, message } }`. */
@Catch(AccessError)
export class AccessErrorFilter implements ExceptionFilter {
  catch(err: AccessError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (err.retryAfterSeconds) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    res.status(err.status).json({ error: { code: err.code, message: err.message } });
  }
}
