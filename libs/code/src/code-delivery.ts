import { CODE_TOPICS, codeRepositoryKey, CodeEvent, CodeEventKind, CodeProvider, JsonObject } from '@phoenix/contracts';

/**
 * What a provider's delivery comes to: an event to publish, a ping (the provider checking the
 * hook: answered, never published), or an event kind Phoenix does not publish (answered, so the
 * provider does not count it as a failure).
 */
export type CodeDelivery =
  | { kind: 'event'; topic: string; type: string; key: string; occurredAt: number | null; event: CodeEvent }
  | { kind: 'ping'; detail: string }
  | { kind: 'ignored'; detail: string };

/** Every field of a {@link CodeEvent} that a kind leaves unset. */
const EMPTY = { actor: null, ref: null, branch: null, tag: null, sha: null, url: null, push: null, pullRequest: null, review: null, pipeline: null, release: null } as const;

export interface CodeEventParts extends Partial<Omit<CodeEvent, 'provider' | 'kind' | 'action' | 'repository' | 'deliveryId' | 'providerEvent' | 'raw'>> {
  provider: CodeProvider;
  kind: CodeEventKind;
  action: string;
  repository: CodeEvent['repository'];
  deliveryId: string;
  providerEvent: string;
}

/**
 * The event for a delivery: on the kind's topic, keyed by repository (so a repository's events
 * stay in order), typed `<subject>.<action>` (`branch.pushed`, `pull_request.merged`), with the
 * provider's payload kept as `raw`.
 */
export function codeEvent(parts: CodeEventParts, raw: JsonObject, occurredAt: number | null, subject: string = parts.kind): CodeDelivery {
  const event: CodeEvent = { ...EMPTY, ...parts, raw };
  return { kind: 'event', topic: CODE_TOPICS[parts.kind], type: `${subject}.${parts.action}`, key: codeRepositoryKey(parts.provider, parts.repository.fullName), occurredAt, event };
}

/** A ref's branch or tag name. */
export function refName(ref: string | null): { branch: string | null; tag: string | null } {
  if (ref?.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length), tag: null };
  if (ref?.startsWith('refs/tags/')) return { branch: null, tag: ref.slice('refs/tags/'.length) };
  return { branch: null, tag: null };
}

export const ZERO_SHA = /^0+$/;

/** The sorted, distinct paths a push's commits touched. */
export function touchedFiles(commits: { added: string[]; modified: string[]; removed: string[] }[]): string[] {
  return [...new Set(commits.flatMap((c) => [...c.added, ...c.modified, ...c.removed]))].sort();
}
