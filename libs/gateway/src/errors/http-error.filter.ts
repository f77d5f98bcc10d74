import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { PhoenixLogger } from '@phoenix/observability';
import { mapError } from './error-response';

/** The one place where errors become HTTP answers. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: PhoenixLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
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
