import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { PhoenixMetrics } from './metrics';
import { runWithContext } from './request-context';
import { extractTraceContext, SpanKind, startSpan } from './tracing';

type Req = IncomingMessage & { route?: { path?: string }; baseUrl?: string; originalUrl?: string };

/**
 * Express middleware: a SERVER span per request (child of an incoming `traceparent`), under which
 * everything the request publishes is traced; request count and latency per route template.
 * Health and metrics scrapes are counted but not traced.
 */
export function httpTelemetry(metrics: PhoenixMetrics, app: string) {
  return (req: Req, res: ServerResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    const url = req.originalUrl ?? req.url ?? '';
    const traced = !url.startsWith('/health') && !url.startsWith('/metrics');
    const parent = extractTraceContext(req.headers);
    const span = traced ? startSpan(`${req.method} ${url.split('?')[0]}`, parent, SpanKind.SERVER, { 'http.request.method': req.method ?? '', 'url.path': url.split('?')[0] }) : undefined;
    res.once('finish', () => {
      // The route template is known once Express matched it; unmatched requests share one label.
      const route = req.route?.path ? `${req.baseUrl ?? ''}${req.route.path}` : 'unmatched';
      const labels = { app, method: req.method ?? '', route };
      metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
      metrics.httpSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      if (span) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    });
    if (!span) return next();
    runWithContext({ trace: trace.setSpan(parent, span) }, next);
  };
}
