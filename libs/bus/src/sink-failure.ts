import { failureKindOf, FailureKind } from '@phoenix/errors';

/**
 * How a sink write failed, which decides what the batch consumer does with the chunk (the error's
 * {@link FailureKind}):
 * - `unavailable`: the sink cannot take writes now (network, lock, outage) — pause the partition
 *   and retry the same chunk with backoff; nothing is skipped.
 * - `record`: the sink refuses something in the chunk and always will (a value it cannot store) —
 *   find the event(s) by splitting the chunk, dead-letter them with reason headers, write the rest.
 * - `app`: the sink is misconfigured (missing table, no permission) — no event can succeed; stop
 *   consuming that partition, report `down` with the message, and leave the offsets where they are.
 * Errors that are not Phoenix's own count as `unavailable`.
 */
export type SinkFailure = FailureKind;

export function sinkFailureOf(err: unknown): SinkFailure {
  return failureKindOf(err);
}
