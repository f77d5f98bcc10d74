import { avroJsonSchema } from './avro-json-schema';
import {
  AvroDeserializer,
  Client,
  RestError,
  SchemaRegistryClient,
  SerdeType,
  SubjectNameStrategyType,
} from '@confluentinc/schemaregistry';
import { Type } from 'avsc';
import { PhoenixConfig } from '@phoenix/config';
import { avroTypeOptions, beginJsonSession, rawJsonTypeOptions } from './avro-logical-types';
import { ContractError, ContractErrorCode, Violation } from './contracts.exception';
import { FamilyName } from './families';
import { Envelope } from './generated/events.generated';
import { validateAvro } from './event-validator';
import { FamilySchema } from './schema-files';
import { TopicCatalogue } from './topic-catalogue';

interface PreparedTopic {
  schemaId: number;
  type: Type;
  /** Magic byte + big-endian schema id: the first five bytes of every value of this topic. */
  header: Buffer;
}

/** The Confluent wire format's first byte; a value without it was not written by a registry serde. */
export const WIRE_MAGIC_BYTE = 0;

/**
 * Encodes and decodes Phoenix events with the registry's Avro serdes (Confluent wire format:
 * magic byte, 4-byte schema id, Avro body). Schemas come from `schemas/`; on the local stack they
 * are registered on first use, in production they must already be registered (lookup only).
 *
 * The registry is asked once per topic and once per writer schema id; after that encoding and
 * decoding are plain avsc calls on cached types (the Confluent serdes re-derive cache keys from the
 * schema text on every call, which cost three quarters of a publish). Values with schema references
 * go through the Confluent deserializer.
 */
export class EventCodec {
  private readonly prepared = new Map<string, Promise<PreparedTopic>>();
  /** Topics whose schema id is known, by main topic name: encoded without awaiting anything. */
  private readonly ready = new Map<string, PreparedTopic>();
  private readonly localTypes = new Map<FamilyName, Type>();
  private readonly deserializer: AvroDeserializer;
  /** Writer types by schema id (null: decode through the Confluent deserializer). */
  private readonly writers = new Map<number, Type | null>();
  private readonly pendingWriters = new Map<number, Promise<Type | null>>();
  /** The same writer schemas with JSON fields left as text ({@link decodeRaw}); null as above. */
  private readonly rawWriters = new Map<number, Type | null>();
  private readonly writerSchemas = new Map<number, unknown>();

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

  /** The JSON Schema of the payloads `validate` accepts on a topic (for API documents). */
  payloadJsonSchema(topic: string): Record<string, unknown> {
    const type = this.localTypes.get(this.catalogue.require(topic).spec.family)! as Type & { fields?: { name: string; type: Type }[] };
    const payload = type.fields?.find((f) => f.name === 'payload');
    if (!payload) throw new Error(`the schema of ${topic} has no payload field`);
    return avroJsonSchema(payload.type);
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
    const spec = this.catalogue.require(topic).spec;
    const prepared = this.ready.get(spec.name) ?? (this.validateOrThrow(topic, event), await this.preparedTopic(topic));
    return this.write(topic, prepared, event);
  }

  /**
   * The encoded value when the topic's schema id is already known (after the first publish or
   * `prepare()`), else undefined: lets the producer skip a promise round trip per event.
   * Throws a ContractError for an event that does not match the schema.
   */
  encodeReady<P>(topic: string, event: Envelope<P>): Buffer | undefined {
    const prepared = this.ready.get(this.catalogue.require(topic).spec.name);
    return prepared ? this.write(topic, prepared, event) : undefined;
  }

  private validateOrThrow(topic: string, event: unknown): void {
    const violations = this.validate(topic, event);
    if (violations.length) {
      throw new ContractError(ContractErrorCode.EventInvalid, `event does not match the schema of ${topic}`, { violations, topic });
    }
  }

  private write(topic: string, { type, header }: PreparedTopic, event: unknown): Buffer {
    // Validation and encoding both render the JSON-typed fields; render each once.
    const endSession = beginJsonSession();
    let body: Buffer;
    try {
      this.validateOrThrow(topic, event);
      body = type.toBuffer(event);
    } catch (err) {
      throw toContractError(err, topic, ContractErrorCode.EventInvalid);
    } finally {
      endSession();
    }
    const out = Buffer.allocUnsafe(header.length + body.length);
    header.copy(out, 0);
    body.copy(out, header.length);
    return out;
  }

  /**
   * The decoded event when the value's writer schema is already known (every value after the
   * first of a schema id), else undefined: lets a consumer skip a promise round trip per event.
   * Throws the ContractError `decode` would.
   */
  decodeReady<P = unknown>(topic: string, value: Buffer | null): Envelope<P> | undefined {
    assertWireFormat(topic, value);
    const writer = this.writers.get(value.readInt32BE(1));
    if (!writer) return undefined;
    try {
      return writer.fromBuffer(value.subarray(5)) as Envelope<P>;
    } catch (err) {
      throw toContractError(err, topic, ContractErrorCode.DecodeFailed);
    }
  }

  /**
   * Decodes like {@link decode}, but JSON-typed fields stay the text they were written as
   * ({@link RawJson}): for exports that write events out (see stringifyWithRawJson) without
   * parsing and re-rendering every payload. Values whose schema needs the Confluent deserializer
   * come back parsed, as from decode.
   */
  async decodeRaw(topic: string, value: Buffer | null): Promise<Envelope<unknown>> {
    const ready = this.decodeRawReady(topic, value);
    if (ready !== undefined) return ready;
    // The first value of a schema id: decode fetches the writer schema (or fails as it does).
    const parsed = await this.decode(topic, value);
    return this.decodeRawReady(topic, value) ?? parsed;
  }

  /** {@link decodeRaw} without a promise once the writer schema is cached, else undefined. */
  decodeRawReady(topic: string, value: Buffer | null): Envelope<unknown> | undefined {
    assertWireFormat(topic, value);
    const id = value.readInt32BE(1);
    let raw = this.rawWriters.get(id);
    if (raw === undefined) {
      const schema = this.writerSchemas.get(id);
      if (schema === undefined) return undefined;
      raw = Type.forSchema(schema as never, rawJsonTypeOptions());
      this.rawWriters.set(id, raw);
    }
    if (raw === null) return undefined;
    try {
      return raw.fromBuffer(value.subarray(5)) as Envelope<unknown>;
    } catch (err) {
      throw toContractError(err, topic, ContractErrorCode.DecodeFailed);
    }
  }

  async decode<P = unknown>(topic: string, value: Buffer | null): Promise<Envelope<P>> {
    assertWireFormat(topic, value);
    const id = value.readInt32BE(1);
    try {
      const writer = this.writers.has(id) ? this.writers.get(id)! : await this.writerType(topic, id);
      if (writer) return writer.fromBuffer(value.subarray(5)) as Envelope<P>;
      return (await this.deserializer.deserialize(this.catalogue.require(topic).spec.name, value)) as Envelope<P>;
    } catch (err) {
      throw toContractError(err, topic, ContractErrorCode.DecodeFailed);
    }
  }

  /** The Avro type a value was written with, fetched from the registry once per schema id. */
  private writerType(topic: string, id: number): Promise<Type | null> {
    let p = this.pendingWriters.get(id);
    if (!p) {
      const subject = this.subjectOf(topic);
      p = this.client.getBySubjectAndId(subject, id).then((info) => {
        const plain = !(info.references?.length || (info.schemaType && info.schemaType !== 'AVRO'));
        const writer = plain ? Type.forSchema(JSON.parse(info.schema) as never, avroTypeOptions()) : null;
        if (plain) this.writerSchemas.set(id, JSON.parse(info.schema));
        this.writers.set(id, writer);
        return writer;
      });
      this.pendingWriters.set(id, p);
      // A failed lookup (registry down, unknown id) must not be cached.
      p.catch(() => this.pendingWriters.delete(id));
    }
    return p;
  }

  private preparedTopic(topic: string): Promise<PreparedTopic> {
    const main = this.catalogue.require(topic).spec.name;
    let p = this.prepared.get(main);
    if (!p) {
      p = this.register(main);
      this.prepared.set(main, p);
      p.then((prepared) => this.ready.set(main, prepared), () => undefined);
      // A failed lookup (registry down) must not be cached forever.
      p.catch(() => this.prepared.delete(main));
    }
    return p;
  }

  /**
   * Registers the schema, and on a conflict (409) looks the very same text up before calling it
   * incompatible: Apicurio answers "artifact already exists" with 409 for a schema it has, while
   * it is still reading its storage back after a restart. Found: it is ours, use its id. Not
   * found (404): the conflict stands (incompatible). Any other failure of the lookup is reported as
   * itself (a 5xx as the registry being unavailable: callers retry instead of dead-lettering).
   */
  private async registerOrFind(subject: string, schema: { schemaType: string; schema: string }): Promise<number> {
    try {
      return await this.client.register(subject, schema, false);
    } catch (err) {
      if (!(err instanceof RestError) || err.status !== 409) throw err;
      try {
        return await this.client.getId(subject, schema, false);
      } catch (lookup) {
        throw lookup instanceof RestError && lookup.status === 404 ? err : lookup;
      }
    }
  }

  private async register(topic: string): Promise<PreparedTopic> {
    const subject = `${topic}-value`;
    const schema = { schemaType: 'AVRO', schema: JSON.stringify(this.schemaOf(topic).schema) };
    let schemaId: number;
    try {
      schemaId = this.options.autoRegister ? await this.registerOrFind(subject, schema) : await this.client.getId(subject, schema, false);
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
    // The id belongs to exactly this schema (registered or looked up by its text), so values are
    // written with the local type parsed from the same schema.
    const type = this.localTypes.get(this.catalogue.require(topic).spec.family)!;
    // Values carrying this id were written with this very schema: decode them without asking.
    if (!this.writers.has(schemaId)) this.writers.set(schemaId, type);
    if (!this.writerSchemas.has(schemaId)) this.writerSchemas.set(schemaId, this.schemaOf(topic).schema);
    const header = Buffer.alloc(5);
    header[0] = WIRE_MAGIC_BYTE;
    header.writeInt32BE(schemaId, 1);
    return { schemaId, type, header };
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

/** The registry's wire format: magic byte, 4-byte schema id, Avro body. */
function assertWireFormat(topic: string, value: Buffer | null): asserts value is Buffer {
  if (!value || value.length < 6 || value[0] !== WIRE_MAGIC_BYTE) {
    throw new ContractError(ContractErrorCode.DecodeFailed, `value on ${topic} is not in the registry wire format`, { topic });
  }
}
