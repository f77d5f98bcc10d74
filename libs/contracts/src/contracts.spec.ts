import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MockClient, RestError } from '@confluentinc/schemaregistry';
import { Type } from 'avsc';
import { findProjectRoot } from '@phoenix/config';
import { cdcExample, genericExample } from './__fixtures__/examples';
import { avroTypeOptions, stringifyWithRawJson } from './avro-logical-types';
import { ContractError, ContractErrorCode } from './contracts.exception';
import { Envelope } from './generated/events.generated';
import { EventCodec } from './event-codec';
import { validateAvro } from './event-validator';
import { familyOfTopic, FAMILIES } from './families';
import { backwardIncompatibility } from './schema-compat';
import { loadFamilySchemas } from './schema-files';
import { CORE_TOPICS, loadTopicCatalogue, TopicCatalogue } from './topic-catalogue';
import { GENERATED_TYPES_FILE, renderGeneratedTypes } from './typegen';

const families = loadFamilySchemas();
const typeOf = (family: keyof typeof FAMILIES) => Type.forSchema(families.get(family)!.schema as never, avroTypeOptions());

describe('schemas ⇄ TypeScript types', () => {
  it('the committed generated types are exactly what schemas/ generates', () => {
    const committed = fs.readFileSync(path.join(findProjectRoot(), GENERATED_TYPES_FILE), 'utf8');
    expect(committed).toBe(renderGeneratedTypes());
  });

  it('typed examples of every family are valid against the composed Avro schemas', () => {
    expect(validateAvro(typeOf('generic'), genericExample)).toEqual([]);
    expect(validateAvro(typeOf('cdc'), cdcExample)).toEqual([]);
    for (const family of Object.keys(FAMILIES)) expect(families.has(family as keyof typeof FAMILIES)).toBe(true);
  });

  it('round-trips JSON parts through Avro as text', () => {
    const t = typeOf('cdc');
    const buf = t.toBuffer(cdcExample);
    expect(t.fromBuffer(buf)).toEqual(cdcExample);
    const plain = Type.forSchema(families.get('cdc')!.schema as never); // a reader without the logical type
    expect((plain.fromBuffer(buf) as { payload: { after: string } }).payload.after).toBe('{"id":42,"stage":"closed-won"}');
  });
});

describe('validateAvro', () => {
  it('reports every violation with a JSON pointer', () => {
    const bad = { ...cdcExample, key: 7, extra: 1, payload: { ...cdcExample.payload, op: 'upsert', table: undefined, changedFields: ['a', 2], position: { lsn: 5 } } };
    const v = validateAvro(typeOf('cdc'), bad);
    expect(v.map((x) => x.path).sort()).toEqual(['/extra', '/key', '/payload/changedFields/1', '/payload/op', '/payload/position/lsn', '/payload/table']);
    expect(v.find((x) => x.path === '/payload/table')!.message).toBe('is required');
    expect(v.find((x) => x.path === '/key')!.message).toBe('must be a string, got number 7');
  });

  it('escapes pointer segments and rejects a null JSON payload', () => {
    const v = validateAvro(typeOf('generic'), { ...genericExample, payload: null, 'a/b': 1 });
    expect(v.map((x) => x.path).sort()).toEqual(['/a~1b', '/payload']);
  });
});

describe('backwardIncompatibility', () => {
  const base = { type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] };
  it('accepts an added field with a default', () => {
    expect(backwardIncompatibility({ ...base, fields: [...base.fields, { name: 'b', type: ['null', 'string'], default: null }] }, base)).toBeNull();
  });
  it('rejects an added field without a default, and a type change', () => {
    expect(backwardIncompatibility({ ...base, fields: [...base.fields, { name: 'b', type: 'string' }] }, base)).toMatch(/b/);
    expect(backwardIncompatibility({ ...base, fields: [{ name: 'a', type: 'int' }] }, base)).not.toBeNull();
  });
});

describe('topic catalogue', () => {
  const catalogue = new TopicCatalogue([...CORE_TOPICS]);
  it('resolves main, retry and DLQ topics to the same family', () => {
    expect(catalogue.resolve('events.app')).toMatchObject({ role: 'main', spec: { family: 'generic' } });
    expect(catalogue.resolve('events.app.retry')).toMatchObject({ role: 'retry' });
    expect(catalogue.resolve('events.app.dlq')).toMatchObject({ role: 'dlq' });
    expect(catalogue.resolve('events.nope')).toBeUndefined();
    expect(familyOfTopic('cdc.x.y.dlq')).toBe('cdc');
  });
  it('gives consumed topics retry and DLQ companions; DLQs are kept forever', () => {
    const all = catalogue.allTopics().map((t) => [t.name, t.retentionMs]);
    expect(all).toContainEqual(['events.app.dlq', -1]);
    expect(all).toContainEqual(['events.app', -1]);
  });
  it('loads config/topics.yaml and rejects topics outside every family', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'topics-'));
    fs.writeFileSync(path.join(dir, 'topics.yaml'), 'topics:\n  - name: cdc.erp.orders\n    partitions: 12\n');
    expect(loadTopicCatalogue(dir).resolve('cdc.erp.orders')?.spec).toMatchObject({ family: 'cdc', partitions: 12 });
    fs.writeFileSync(path.join(dir, 'topics.yaml'), 'topics:\n  - name: billing.invoices\n');
    expect(() => loadTopicCatalogue(dir)).toThrow(/matches no topic family/);
  });
});

describe('EventCodec (in-memory registry mock: a unit of our own logic)', () => {
  const catalogue = new TopicCatalogue([...CORE_TOPICS, { ...CORE_TOPICS[0], name: 'cdc.hubspot.deals', family: 'cdc' }]);

  it('encodes in the Confluent wire format and decodes back', async () => {
    const codec = new EventCodec(new MockClient({ baseURLs: ['mock://'] }), catalogue, families, { autoRegister: true });
    const buf = await codec.encode('cdc.hubspot.deals', cdcExample);
    expect(buf[0]).toBe(0);
    expect(buf.readUInt32BE(1)).toBe(await codec.schemaId('cdc.hubspot.deals'));
    expect(await codec.decode('cdc.hubspot.deals', buf)).toEqual(cdcExample);
    expect(await codec.decode('cdc.hubspot.deals.dlq', buf)).toEqual(cdcExample);
  });

  it('decodeRaw keeps JSON fields as their text; an export line is the same as from parsed values', async () => {
    const codec = new EventCodec(new MockClient({ baseURLs: ['mock://'] }), catalogue, families, { autoRegister: true });
    const tricky = { ...genericExample, payload: { text: 'a "quoted" \\ line\nnext', nested: { n: 1.5, list: [null, true, 'x'] }, unicode: 'é ✓' } };
    const cases: [string, Envelope<unknown>][] = [['cdc.hubspot.deals', cdcExample], ['events.app', tricky]];
    for (const [topic, event] of cases) {
      const buf = await codec.encode(topic, event);
      const parsed = await codec.decode(topic, buf);
      const raw = codec.decodeRawReady(topic, buf)!;
      expect(raw).toBeDefined();
      const record = (e: unknown) => ({ topic, partition: 0, offset: '7', event: e });
      expect(stringifyWithRawJson(record(raw))).toBe(JSON.stringify(record(parsed)));
      // Outside the export helper a raw field still serialises as its parsed value.
      expect(JSON.parse(JSON.stringify(raw))).toEqual(JSON.parse(JSON.stringify(parsed)));
    }
    // A text that looks like the placeholder is data, not a placeholder.
    const forged = { ...genericExample, payload: { text: '@@phoenix-raw-json-0@@' } };
    const buf = await codec.encode('events.app', forged);
    expect(stringifyWithRawJson(codec.decodeRawReady('events.app', buf))).toBe(JSON.stringify(await codec.decode('events.app', buf)));
  });

  it('refuses invalid events and undecodable bytes with typed errors', async () => {
    const codec = new EventCodec(new MockClient({ baseURLs: ['mock://'] }), catalogue, families, { autoRegister: true });
    await expect(codec.encode('events.app', { ...genericExample, type: 5 as never })).rejects.toMatchObject({ code: ContractErrorCode.EventInvalid });
    await expect(codec.decode('events.app', Buffer.from('plain text'))).rejects.toMatchObject({ code: ContractErrorCode.DecodeFailed });
    await expect(codec.encode('nope', genericExample)).rejects.toBeInstanceOf(ContractError);
  });

  it('a registry conflict on a schema it already holds (Apicurio just after a restart) is resolved by looking the schema up', async () => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const first = new EventCodec(client, catalogue, families, { autoRegister: true });
    const id = await first.schemaId('events.app');
    // Another codec, as in a restarted app: the registry answers its register with 409.
    const register = jest.spyOn(client, 'register').mockRejectedValueOnce(new RestError("An artifact with ID 'events.app-value' already exists", 409, 40900));
    const second = new EventCodec(client, catalogue, families, { autoRegister: true });
    expect(await second.schemaId('events.app')).toBe(id);
    expect(register).toHaveBeenCalledTimes(1);
    // A 409 for a schema the registry does not hold stays an incompatibility.
    const other = new EventCodec(new MockClient({ baseURLs: ['mock://'] }), catalogue, families, { autoRegister: true });
    jest.spyOn((other as unknown as { client: MockClient }).client, 'register').mockRejectedValueOnce(new RestError('incompatible', 409, 409));
    await expect(other.schemaId('events.app')).rejects.toMatchObject({ code: ContractErrorCode.SchemaIncompatible });
  });

  it('with auto-registration off, an unregistered schema is a clear error', async () => {
    const codec = new EventCodec(new MockClient({ baseURLs: ['mock://'] }), catalogue, families, { autoRegister: false });
    await expect(codec.encode('events.app', genericExample)).rejects.toMatchObject({ code: ContractErrorCode.SchemaNotRegistered });
  });
});
