import { trace } from '@opentelemetry/api';
import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { currentContext } from './request-context';

export type PhoenixLogger = Logger;

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  name?: string;
  /** File descriptor to write to: 2 for stdio MCP servers, whose stdout carries the protocol. */
  destination?: number;
}

/** Paths pino masks wherever they appear in a log object. */
const REDACT = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'sasl.password',
  'kafka.sasl.password',
  'registry.basicAuth.password',
  'token',
  '*.token',
  'apiKeys',
  '*.apiKeys',
  'headers["x-phoenix-signature"]',
];

/** Structured JSON logs with the correlation id of the current work on every line. */
export function createLogger(opts: LoggerOptions): PhoenixLogger {
  // Synchronous: a CLI's stderr lines must not be lost on process.exit, and nothing may be written
  // after the caller closed the descriptor.
  const stream = opts.destination !== undefined && !opts.pretty ? pino.destination({ dest: opts.destination, minLength: 0, sync: true }) : undefined;
  return pino({
    name: opts.name,
    level: opts.level,
    redact: { paths: REDACT, censor: '***' },
    base: { pid: process.pid },
    mixin() {
      const ctx = currentContext();
      if (!ctx) return {};
      const span = ctx.trace ? trace.getSpanContext(ctx.trace) : undefined;
      return { correlationId: ctx.correlationId, eventId: ctx.eventId, ...(span ? { traceId: span.traceId, spanId: span.spanId } : {}) };
    },
    transport: opts.pretty ? { target: 'pino-pretty', options: { colorize: true, singleLine: true, ignore: 'pid,hostname', destination: opts.destination ?? 1 } } : undefined,
  }, stream);
}

/** Nest contexts whose info lines describe the wiring (a line per module and route), not events. */
const BOOT_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestMicroservice']);

/** Lets Nest write through pino; its boot chatter goes to debug. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: PhoenixLogger) {}

  log(message: unknown, context?: string) {
    if (context && BOOT_CHATTER.has(context)) this.logger.debug({ context }, String(message));
    else this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}
