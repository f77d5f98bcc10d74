import { JsonValue } from '@phoenix/contracts';
import { MemoryHit, MemoryReader, MemoryScope } from './memory-reader';
import { PhoenixError } from '@phoenix/errors';

export type MemoryNamespace = 'live' | 'shadow';

/** Metadata of a reply's memory: the message it replies to, as "<speaker>: <words>" (search reads the reply after it). */
export const REPLY_CONTEXT_KEY = 'in_reply_to';

export interface AddMemoryRequest {
  /** The event the memory is made from: the idempotency key. */
  eventId: string;
  text: string;
  scope: MemoryScope;
  metadata: Record<string, JsonValue>;
  /** What the memory is about, so a CDC delete can remove it. */
  entity: string | null;
  namespace: MemoryNamespace;
}

export interface MemoryWriteResult {
  memoryIds: string[];
  /** False when the event had already been applied (nothing changed). */
  applied: boolean;
}

/** Semantic memory as Phoenix writes it: idempotent by event id. */
export interface MemoryStore extends MemoryReader {
  /**
   * Adds the memory unless this event was already applied. `mayExist` asks the store itself
   * (slower) whether a memory for the event exists — for work that may have been interrupted.
   */
  add(req: AddMemoryRequest, opts?: { mayExist?: boolean }): Promise<MemoryWriteResult>;
  /** {@link add} for many events at once (one embedding run); results in request order. */
  addMany(reqs: AddMemoryRequest[], opts?: { mayExist?: boolean }): Promise<MemoryWriteResult[]>;
  /** Deletes every memory about an entity; idempotent by the deleting event's id. */
  deleteEntity(entity: string, namespace: MemoryNamespace, eventId: string): Promise<MemoryWriteResult>;
  get(memoryId: string): Promise<MemoryHit | null>;
  history(memoryId: string): Promise<JsonValue[]>;
  /** Memories in a namespace (from the ledger's index). */
  count(namespace?: MemoryNamespace): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The scope a memory is stored under: shadow memories never mix with live ones. */
export function scoped(scope: MemoryScope, namespace: MemoryNamespace): MemoryScope {
  const base: MemoryScope = { agentId: 'phoenix', ...scope };
  if (namespace === 'live') return base;
  return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, v === undefined ? v : `shadow:${v}`])) as MemoryScope;
}

export class MemoryUnavailableError extends PhoenixError<'MEMORY_UNAVAILABLE'> {
  constructor(message: string, cause?: unknown) {
    super('MEMORY_UNAVAILABLE', message, { kind: 'unavailable', cause });
  }
}
