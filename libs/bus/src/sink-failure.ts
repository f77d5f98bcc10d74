/**
 * How a sink write failed, which decides what the batch consumer does with the chunk:
 * - `unavailable`: the sink cannot take writes now (network, lock, outage) — pause the partition
 *   and retry the same chunk with backoff; nothing is skipped.
 * - `record`: the sink refuses something in the chunk and always will (a value it cannot store) —
 *   find the event(s) by splitting the chunk, dead-letter them with reason headers, write the rest.
 * - `app`: the sink is misconfigured (missing table, no permission) — no event can succeed; stop
 *   consuming that partition, report `down` with the message, and leave the offsets where they are.
 */
export type SinkFailure = 'unavailable' | 'record' | 'app';

/** An error a sink raises with its failure class (anything else counts as `unavailable`). */
export interface ClassifiedSinkError extends Error {
  readonly failure: SinkFailure;
  readonly code?: string;
}

export function sinkFailureOf(err: unknown): SinkFailure {
  const f = (err as Partial<ClassifiedSinkError> | null)?.failure;
  return f === 'record' || f === 'app' ? f : 'unavailable';
}
