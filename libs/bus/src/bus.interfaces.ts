import { Envelope } from '@phoenix/contracts';
import type { PublishOptions, PublishReceipt } from './event-producer';

/**
 * What an engine needs to publish: the Kafka producer (`EventProducer`) in the apps, the
 * in-memory bus (`InMemoryBus`) in unit specs of an engine's logic.
 */
export interface EventPublisher {
  /** Resolves once the event is durable (acknowledged by the broker, or appended in memory). */
  publish<P>(topic: string, event: Envelope<P>, opts?: PublishOptions): Promise<PublishReceipt>;
  /** The partition a key maps to. */
  partitionFor(topic: string, key: string): Promise<number>;
}

/** The latest event per key of a compacted topic (`TopicView` over Kafka, or over the in-memory bus). */
export interface KeyedView<P> {
  readonly topic: string;
  get(key: string): Envelope<P> | undefined;
  values(): Envelope<P>[];
  onChange(listener: (key: string, event: Envelope<P> | null) => void): void;
}
