import { context, Context, propagation, Span, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

let provider: BasicTracerProvider | undefined;

export interface TracingOptions {
  /** `service.name` of this process's spans (default `phoenix-<app>`). */
  serviceName: string;
  /** OTLP/HTTP base endpoint (spans go to `<endpoint>/v1/traces`); no export when absent. */
  otlpEndpoint?: string;
}

/**
 * Installs the process's tracer provider (once; the first caller names the service). Spans always
 * get real W3C trace and span ids, so `traceparent` travels through Kafka headers and HTTP (and
 * logs carry trace ids) even with export off; with an OTLP endpoint they are recorded and batched
 * to it. Extra processors (in-memory in
 * tests) come from {@link addSpanProcessor}.
 */
export function initTracing(opts: TracingOptions = { serviceName: 'phoenix' }): void {
  if (provider) return;
  const processors = [...extraProcessors];
  if (opts.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }), { scheduledDelayMillis: 500 }));
  // Nothing to export to: spans are non-recording (ids and propagation only, no attributes kept),
  // which the memory-writer's per-event spans made worth a fifth of its CPU. Exporting: record
  // every span, whatever the caller's sampled flag.
  const sampler = processors.length ? new AlwaysOnSampler() : new AlwaysOffSampler();
  provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': opts.serviceName }), spanProcessors: processors, sampler });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/** Sends the spans still buffered (on shutdown). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush().catch(() => undefined);
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

export function startSpan(name: string, parent: Context, kind: SpanKind, attributes?: Record<string, string | number>, startTime?: number): Span {
  return tracer().startSpan(name, { kind, attributes, startTime }, parent);
}

export { SpanKind };
