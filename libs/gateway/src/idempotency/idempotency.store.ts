import { createHash } from 'node:crypto';

export interface StoredResponse {
  status: number;
  body: unknown;
}

interface Entry {
  fingerprint: string;
  expiresAt: number;
  /** Event ids handed out for this key, reused if the client retries after a failure. */
  eventIds: string[];
  response?: StoredResponse;
  pending?: Promise<StoredResponse>;
}

export type IdempotencyLookup =
  | { kind: 'new'; eventIds: string[] }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' };

/**
 * `Idempotency-Key` handling: the first request with a key runs; a retry with the same key and
 * body gets the stored answer; the same key with a different body is refused. A request that
 * failed (e.g. 503) is not stored, but its event ids are, so the retry publishes the *same*
 * event id and consumers deduplicate if the first attempt did land after all.
 * Kept in memory per gateway instance, bounded (LRU) and with a TTL.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys: number,
  ) {}

  static fingerprint(scope: string, body: unknown): string {
    return createHash('sha256').update(scope).update('\0').update(JSON.stringify(body) ?? '').digest('hex');
  }

  async begin(key: string, fingerprint: string): Promise<IdempotencyLookup> {
    const now = Date.now();
    let entry = this.entries.get(key);
    if (entry && entry.expiresAt < now) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (!entry) return { kind: 'new', eventIds: [] };
    if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (entry.response) return { kind: 'replay', response: entry.response };
    if (entry.pending) {
      const response = await entry.pending.catch(() => undefined);
      if (response) return { kind: 'replay', response };
      return this.begin(key, fingerprint);
    }
    return { kind: 'new', eventIds: entry.eventIds };
  }

  /** Runs `work` as the owner of `key`; concurrent duplicates wait for its answer. */
  async run(key: string, fingerprint: string, eventIds: string[], work: () => Promise<StoredResponse>): Promise<StoredResponse> {
    const entry: Entry = { fingerprint, expiresAt: Date.now() + this.ttlMs, eventIds };
    const pending = work();
    entry.pending = pending;
    this.set(key, entry);
    try {
      const response = await pending;
      // Only answers the client should see again are kept: success and permanent rejections.
      if (response.status < 500) entry.response = response;
      return response;
    } finally {
      entry.pending = undefined;
    }
  }

  private set(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxKeys) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
