import { AsyncLocalStorage } from 'node:async_hooks';
import { context as otelContext, Context } from '@opentelemetry/api';

/** What a log line or an outgoing message inherits from the work in progress. */
export interface RequestContext {
  correlationId?: string;
  eventId?: string;
  topic?: string;
  /** OpenTelemetry context of the span being worked on (parent of spans started beneath). */
  trace?: Context;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` visible to every log line and producer call beneath it. */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...ctx }, fn);
}

export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The trace context new spans should hang under. */
export function activeTraceContext(): Context {
  return storage.getStore()?.trace ?? otelContext.active();
}
