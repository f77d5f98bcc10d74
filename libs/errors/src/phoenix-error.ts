/**
 * How a failure is to be handled, whoever raised it:
 * - `unavailable`: something Phoenix depends on cannot answer now (broker, registry, store, model);
 *   trying the same work again later may succeed — pause, back off, retry; skip nothing.
 * - `record`: this input can never succeed (an invalid event, a value a store refuses, a tool call
 *   that timed out and may have run) — dead-letter or answer it, and go on with the others.
 * - `app`: nothing can succeed until someone fixes the configuration (a missing table, a client
 *   that is not installed) — stop and say so.
 */
export type FailureKind = 'unavailable' | 'record' | 'app';

/**
 * The one base of Phoenix's errors: a code from the raising lib's enum, the kind that decides what
 * callers do, and the cause. Callers decide by `kind` (or `retriable`) and compare `code` with the
 * enum, never with a string literal and never by message text.
 */
export class PhoenixError<Code extends string = string> extends Error {
  readonly kind: FailureKind;

  constructor(
    readonly code: Code,
    message: string,
    opts: { kind: FailureKind; cause?: unknown },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = opts.kind;
    this.name = new.target.name;
  }

  /** Trying again later may succeed. */
  get retriable(): boolean {
    return this.kind === 'unavailable';
  }
}

/** The kind of any thrown value: a PhoenixError's own; anything else is assumed to be a passing failure. */
export function failureKindOf(err: unknown): FailureKind {
  return err instanceof PhoenixError ? err.kind : 'unavailable';
}
