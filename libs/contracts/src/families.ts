import { JsonValue } from './json';
import { ChangeEvent, Envelope } from './generated/events.generated';

/**
 * Topic families: every topic belongs to exactly one, and the family fixes the value schema.
 * `payload` names a file under schemas/payloads/ (null: free-form JSON payload).
 */
export const FAMILIES = {
  generic: { payload: null, eventName: 'GenericEvent', doc: 'Application events with a free-form JSON payload.' },
  cdc: { payload: 'cdc-change.avsc', eventName: 'CdcEvent', doc: 'Normalized change events from source systems.' },
} as const;

export type FamilyName = keyof typeof FAMILIES;

/** Payload type per family; the generated types are checked against schemas/ by a spec. */
export interface FamilyPayloads {
  generic: JsonValue;
  cdc: ChangeEvent;
}

/**
 * Which family a topic belongs to, first match wins. Retry and DLQ companions
 * (`<topic>.retry`, `<topic>.dlq`) carry the original bytes, so they resolve to the same family.
 */
export const TOPIC_FAMILY_RULES = [
  { match: 'prefix', pattern: 'events.', family: 'generic' },
  { match: 'prefix', pattern: 'cdc.', family: 'cdc' },
] as const;

type Rule = { match: 'prefix' | 'exact'; pattern: string; family: FamilyName };
type Resolve<T extends string, R extends readonly Rule[]> = R extends readonly [
  infer H extends Rule,
  ...infer Rest extends readonly Rule[],
]
  ? H['match'] extends 'exact'
    ? T extends H['pattern'] | `${H['pattern']}.retry` | `${H['pattern']}.dlq`
      ? H['family']
      : Resolve<T, Rest>
    : T extends `${H['pattern']}${string}`
      ? H['family']
      : Resolve<T, Rest>
  : never;

/** The family of a topic name, resolved at compile time. */
export type FamilyOfTopic<T extends string> = Resolve<T, typeof TOPIC_FAMILY_RULES>;

/** The decoded event on topic `T`: `EventOf<'cdc.hubspot.deals'>` is `Envelope<ChangeEvent>`. */
export type EventOf<T extends string> = Envelope<FamilyPayloads[FamilyOfTopic<T>]>;

/** The payload of an event on topic `T`. */
export type PayloadOf<T extends string> = FamilyPayloads[FamilyOfTopic<T>];

/** Runtime twin of {@link FamilyOfTopic}. */
export function familyOfTopic(topic: string): FamilyName | undefined {
  for (const rule of TOPIC_FAMILY_RULES as readonly Rule[]) {
    if (rule.match === 'exact') {
      if (topic === rule.pattern || topic === `${rule.pattern}.retry` || topic === `${rule.pattern}.dlq`) return rule.family;
    } else if (topic.startsWith(rule.pattern)) {
      return rule.family;
    }
  }
  return undefined;
}
