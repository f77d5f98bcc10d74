import {
  AvroDeserializer,
  AvroSerializer,
  Client,
  RestError,
  SchemaInfo,
  SchemaRegistryClient,
  SerdeType,
  SubjectNameStrategyType,
} from '@confluentinc/schemaregistry';
import { Type } from 'avsc';
import { PhoenixConfig } from '@phoenix/config';
import { avroTypeOptions } from './avro-logical-types';
import { ContractError, ContractErrorCode, Violation } from './contracts.exception';
import { FamilyName } from './families';
import { Envelope } from './generated/events.generated';
import { validateAvro } from './event-validator';
import { FamilySchema } from './schema-files';
import { TopicCatalogue } from './topic-catalogue';

interface PreparedTopic {
  schemaId: number;
  serializer: AvroSerializer;
}

/** The Confluent wire format's first byte; a value without it was not written by a registry serde. */
export const WIRE_MAGIC_BYTE = 0;

/**
 * Encodes and decodes Phoenix events with the registry's Avro serdes (Confluent wire format:
 * magic byte, 4-byte schema id, Avro body). Schemas come from `schemas/`; on the local stack they
 * are registered on first use, in production they must already be registered (lookup only).
 */
export class EventCodec {
  private readonly prepared = new Map<string, Promise<PreparedTopic>>();
  private readonly localTypes = new Map<FamilyName, Type>();
  private readonly deserializer: AvroDeserializer;

  constructor(
    readonly client: Client,
    readonly catalogue: TopicCatalogue,
    private readonly families: Map<FamilyName, FamilySchema>,
    private readonly options: { autoRegister: boolean },
  ) {
    for (const [family, fs] of families) {
      this.localTypes.set(family, Type.forSchema(fs.schema as never, avroTypeOptions()));
    }
    // TopicNameStrategy (<topic>-value): the serdes' default asks the registry for "associations"
    // on every cold call, which Confluent-compatible registries like Apicurio do not have.
    this.deserializer = new AvroDeserializer(client, SerdeType.VALUE, { ...avroTypeOptions(), subjectNameStrategyType: SubjectNameStrategyType.TOPIC });
  }

  static registryClient(config: PhoenixConfig): Client {
    return new SchemaRegistryClient({
      baseURLs: [config.registry.url],
      basicAuthCredentials: config.registry.basicAuth
        ? { credentialsSource: 'USER_INFO', userInfo: `${config.registry.basicAuth.username}:${config.registry.basicAuth.password}` }
        : undefined,
      maxRetries: 2,
      retriesWaitMs: 100,
      retriesMaxWaitMs: 1000,
      createAxiosDefaults: { timeout: 5000 },
    });
  }

  /** The registry subject of a topic's values (TopicNameStrategy; retry/DLQ share their topic's). */
  subjectOf(topic: string): string {
    return `${this.catalogue.require(topic).spec.name}-value`;
  }

  /** The composed Avro schema for a topic. */
  schemaOf(topic: string): FamilySchema {
    const family = this.catalogue.require(topic).spec.family;
    return this.families.get(family)!;
  }

  /** Violations of the topic's schema, checked locally against `schemas/` (no registry call). */
  validate(topic: string, event: unknown): Violation[] {
    const type = this.localTypes.get(this.catalogue.require(topic).spec.family)!;
    if (type.isValid(event, { noUndeclaredFields: true })) return [];
    return validateAvro(type, event);
  }

  /** Registers (local stack) or looks up (production) the schema of each topic. */
  async prepare(topics: string[]): Promise<void> {
    await Promise.all(topics.map((t) => this.preparedTopic(t)));
  }

  /** Schema id used for a topic's values. */
  async schemaId(topic: string): Promise<number> {
    return (await this.preparedTopic(topic)).schemaId;
  }

  async encode<P>(topic: string, event: Envelope<P>): Promise<Buffer> {
    const violations = this.validate(topic, event);
    if (violations.length) {
      throw new ContractError(ContractErrorCode.EventInvalid, `event does not match the schema of ${topic}`, { violations, topic });
    }
    const { serializer } = await this.preparedTopic(topic);
    try {
      return await serializer.serialize(this.catalogue.require(topic).spec.name, event);
    } catch (err) {
      throw toContractError(err, topic, ContractErrorCode.EventInvalid);
    }
  }

  async decode<P = unknown>(topic: string, value: Buffer | null): Promise<Envelope<P>> {
    if (!value || value.length < 6 || value[0] !== WIRE_MAGIC_BYTE) {
      throw new ContractError(ContractErrorCode.DecodeFailed, `value on ${topic} is not in the registry wire format`, { topic });
    }
    try {
      return (await this.deserializer.deserialize(this.catalogue.require(topic).spec.name, value)) as Envelope<P>;
    } catch (err) {
      throw toContractError(err, topic, ContractErrorCode.DecodeFailed);
    }
  }

  private preparedTopic(topic: string): Promise<PreparedTopic> {
    const main = this.catalogue.require(topic).spec.name;
    let p = this.prepared.get(main);
    if (!p) {
      p = this.register(main);
      this.prepared.set(main, p);
      // A failed lookup (registry down) must not be cached forever.
      p.catch(() => this.prepared.delete(main));
    }
    return p;
  }

  private async register(topic: string): Promise<PreparedTopic> {
    const subject = `${topic}-value`;
    const schema = { schemaType: 'AVRO', schema: JSON.stringify(this.schemaOf(topic).schema) };
    let schemaId: number;
    try {
      schemaId = this.options.autoRegister
        ? await this.client.register(subject, schema, false)
        : await this.client.getId(subject, schema, false);
    } catch (err) {
      if (!this.options.autoRegister && err instanceof RestError && err.status === 404) {
        throw new ContractError(
          ContractErrorCode.SchemaNotRegistered,
          `schema for ${subject} is not registered (auto-registration is off): run \`phoenix schemas register\``,
          { topic, cause: err },
        );
      }
      throw toContractError(err, topic, ContractErrorCode.SchemaIncompatible);
    }
    let info: SchemaInfo;
    try {
      // Warm the client's caches once: the serializer looks both up on every call, and a burst of
      // first publishes would otherwise send one registry request each.
      info = await this.client.getBySubjectAndId(subject, schemaId);
      await this.client.getIdFullResponse(subject, info, false);
    } catch (err) {
      throw toContractError(err, topic, ContractErrorCode.RegistryUnavailable);
    }
    const serializer = new AvroSerializer(this.client, SerdeType.VALUE, {
      ...avroTypeOptions(),
      autoRegisterSchemas: false,
      useSchemaId: schemaId,
      subjectNameStrategyType: SubjectNameStrategyType.TOPIC,
    });
    // Parse the Avro schema once now rather than once per concurrent first call.
    await serializer.toType(info);
    return { schemaId, serializer };
  }
}

/** Maps registry/serde failures to typed errors by status, never by message text. */
function toContractError(err: unknown, topic: string, otherwise: ContractErrorCode): ContractError {
  if (err instanceof ContractError) return err;
  if (err instanceof RestError) {
    if (err.status >= 500 || err.status === 429) {
      return new ContractError(ContractErrorCode.RegistryUnavailable, `schema registry answered ${err.status}`, { topic, cause: err });
    }
    if (err.status === 409) {
      return new ContractError(ContractErrorCode.SchemaIncompatible, `registry rejected the schema for ${topic}: ${err.message}`, { topic, cause: err });
    }
    return new ContractError(otherwise, `registry answered ${err.status} for ${topic}: ${err.message}`, { topic, cause: err });
  }
  const e = err as { isAxiosError?: boolean; response?: unknown; code?: string };
  if (e?.isAxiosError && !e.response) {
    return new ContractError(ContractErrorCode.RegistryUnavailable, `schema registry unreachable (${e.code ?? 'network error'})`, { topic, cause: err });
  }
  return new ContractError(otherwise, `${topic}: ${(err as Error)?.message ?? String(err)}`, { topic, cause: err });
}
