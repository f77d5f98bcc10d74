import { context, Context, propagation, Span, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';

let installed = false;

/**
 * Installs a tracer provider so spans get real W3C trace and span ids even when no exporter is
 * configured; exporters are added by {@link addSpanProcessor} (e.g. OTLP, or in-memory in tests).
 */
export function initTracing(): void {
  if (installed) return;
  installed = true;
  const provider = new BasicTracerProvider({ spanProcessors: [...extraProcessors] });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

type SpanProcessor = NonNullable<ConstructorParameters<typeof BasicTracerProvider>[0]>['spanProcessors'] extends (infer P)[] | undefined ? P : never;
const extraProcessors: SpanProcessor[] = [];

/** Registers a span processor; must be called before {@link initTracing}. */
export function addSpanProcessor(p: SpanProcessor): void {
  extraProcessors.push(p);
}

const tracer = () => trace.getTracer('phoenix');

/** Headers as Kafka or HTTP carry them (values may be buffers or arrays). */
export type CarrierHeaders = Record<string, string | Buffer | string[] | (string | Buffer)[] | undefined>;

const getter = {
  keys: (c: CarrierHeaders) => Object.keys(c),
  get: (c: CarrierHeaders, key: string) => {
    const v = c[key];
    if (v === undefined) return undefined;
    const first = Array.isArray(v) ? v[0] : v;
    return first === undefined ? undefined : first.toString();
  },
};

/** The trace context carried by incoming headers (`traceparent`, `tracestate`). */
export function extractTraceContext(headers: CarrierHeaders | undefined): Context {
  return headers ? propagation.extract(context.active(), headers, getter) : context.active();
}

/** Writes `traceparent`/`tracestate` for the span into a header map. */
export function injectTraceHeaders(span: Span | undefined, headers: Record<string, string>): void {
  const ctx = span ? trace.setSpan(context.active(), span) : context.active();
  propagation.inject(ctx, headers);
}

export function startSpan(name: string, parent: Context, kind: SpanKind, attributes?: Record<string, string | number>): Span {
  return tracer().startSpan(name, { kind, attributes }, parent);
}

export { SpanKind };
