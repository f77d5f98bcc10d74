import { ArgumentsHost, Catch, ExceptionFilter, HttpException, NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PhoenixLogger } from '@phoenix/observability';
import { mapError } from './error-response';
import { OpenApiRoutes } from '../openapi/openapi.document';

/** The one place where errors become HTTP answers. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(
    private readonly logger: PhoenixLogger,
    private readonly routes: OpenApiRoutes,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof NotFoundException) {
      // No route for this method: a documented path answers 405 with the methods it has.
      const req = host.switchToHttp().getRequest<Request>();
      const allowed = this.routes.allowed(req.path);
      if (allowed) {
        res.setHeader('Allow', allowed.join(', '));
        res.status(405).json({ error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not served on ${req.path}; use ${allowed.join(', ')}` } });
        return;
      }
    }
    if (exception instanceof HttpException) {
      // Nest's own (404 for unknown routes, etc.).
      const status = exception.getStatus();
      res.status(status).json({ error: { code: status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR', message: exception.message } });
      return;
    }
    const mapped = mapError(exception);
    if (mapped.status >= 500) this.logger.error({ err: exception }, 'request failed');
    if (mapped.retryAfterSeconds) res.setHeader('Retry-After', String(mapped.retryAfterSeconds));
    res.status(mapped.status).json(mapped.body);
  }
}
