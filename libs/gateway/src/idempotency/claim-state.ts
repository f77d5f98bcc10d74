import type { GatewayClaim } from '@phoenix/contracts';

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What the log says about one key, after every record so far (in partition order). */
export interface KeyState {
  /** The claim being worked on, if any. */
  owner?: { claimId: string; fingerprint: string | null; eventIds: string[]; expiresAt: number };
  /** The answer of the claim that completed, while it counts. */
  answer?: { fingerprint: string | null; response: StoredResponse; expiresAt: number };
  /** Event ids of a released (failed) claim: the next winner reuses them. */
  freeEventIds?: string[];
}

/**
 * The pure rule every gateway replica applies to `gateway.claims`, record by record. Because all
 * records of a key sit in one partition and every replica reads them in the same order, and
 * decides by the records' own times (never its clock), every replica reaches the same state: the
 * first live claim of a key wins; later claims lose while it is in progress or answered.
 *
 * A winner reuses the event ids of a claim that failed (released) or expired unanswered (its
 * gateway died mid-request), so a retry publishes the same event and consumers deduplicate.
 */
export function applyClaim(state: KeyState | undefined, c: GatewayClaim): { state: KeyState; won?: boolean } {
  const s: KeyState = { ...(state ?? {}) };
  if (s.answer && s.answer.expiresAt <= c.at) delete s.answer;
  switch (c.op) {
    case 'claim': {
      if (s.answer) return { state: s, won: false };
      if (s.owner && s.owner.expiresAt > c.at) return { state: s, won: false };
      const eventIds = s.owner?.eventIds ?? s.freeEventIds ?? c.eventIds;
      delete s.freeEventIds;
      s.owner = { claimId: c.claimId, fingerprint: c.fingerprint, eventIds: eventIds.length ? eventIds : c.eventIds, expiresAt: c.expiresAt };
      return { state: s, won: true };
    }
    case 'answer':
      if (s.owner?.claimId === c.claimId) {
        s.answer = { fingerprint: s.owner.fingerprint, response: { status: c.status ?? 200, body: c.body === null ? null : (JSON.parse(c.body) as unknown) }, expiresAt: c.expiresAt };
        delete s.owner;
      }
      return { state: s };
    case 'release':
      if (s.owner?.claimId === c.claimId) {
        s.freeEventIds = c.eventIds.length ? c.eventIds : s.owner.eventIds;
        delete s.owner;
      }
      return { state: s };
  }
}
