import * as fs from 'node:fs';
import * as path from 'node:path';
import { AvroSerializer, SchemaRegistryClient, SerdeType, SubjectNameStrategyType } from '@confluentinc/schemaregistry';
import { findProjectRoot } from '@phoenix/config';
import { ChangeEvent } from '@phoenix/contracts';
import { HEADERS } from '@phoenix/bus';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { endOffsets, header, readEvents, readUntil, testKafka } from '../../../test/support/topics';
import { Ingestor } from './ingestor';

const run = Date.now();
const fixture = (name: string) =>
  fs.readFileSync(path.join(findProjectRoot(), 'test/fixtures/cdc', name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { key: unknown; value: Record<string, unknown> | null });

/** The Estuary document shape as Avro, like Dekaf serves it. */
const TICKET_SCHEMA = {
  type: 'record',
  name: 'Ticket',
  namespace: 'estuary.support',
  fields: [
    { name: 'ticket_id', type: 'long' },
    { name: 'subject', type: ['null', 'string'], default: null },
    { name: 'status', type: ['null', 'string'], default: null },
    { name: 'priority', type: ['null', 'string'], default: null },
    { name: 'requester', type: ['null', 'string'], default: null },
    {
      name: '_meta',
      type: {
        type: 'record',
        name: 'Meta',
        fields: [
          { name: 'op', type: 'string' },
          { name: 'uuid', type: 'string' },
          { name: 'source', type: { type: 'record', name: 'Source', fields: [{ name: 'ts_ms', type: 'long' }, { name: 'schema', type: 'string' }, { name: 'table', type: 'string' }, { name: 'txid', type: 'string' }] } },
          { name: 'before', type: ['null', { type: 'record', name: 'Before', fields: [{ name: 'ticket_id', type: 'long' }, { name: 'subject', type: 'string' }, { name: 'status', type: 'string' }, { name: 'priority', type: 'string' }, { name: 'requester', type: 'string' }] }], default: null },
        ],
      },
    },
  ],
};

describe('CDC ingest (external Kafka-API source → canonical events)', () => {
  const topics = { dbz: `dbz.crm.public.deals.${run}`, est: `estuary.crm.deals.${run}`, avro: `estuary.support.tickets.${run}` };
  let ctx: AppContext;
  let ingestor: Ingestor;
  let fromDeals: Map<number, string>;
  let fromTickets: Map<number, string>;
  let fromDlq: Map<number, string>;

  beforeAll(async () => {
    ctx = testContext('ingest-test', { PHOENIX_INSTANCE: `ingest-${run}` });
    await ctx.bus.admin.apply();
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 2 })) });
    await admin.disconnect();
    [fromDeals, fromTickets, fromDlq] = await Promise.all([endOffsets('cdc.hubspot.deals'), endOffsets('cdc.zendesk.tickets'), endOffsets('ingest.dlq')]);

    const producer = testKafka().producer();
    await producer.connect();
    const json = (v: unknown) => (v === null ? null : Buffer.from(JSON.stringify(v)));
    const [garbledDbz, garbledEst] = fixture('garbled.jsonl');
    await producer.send({ topic: topics.dbz, messages: [...fixture('hubspot-deals.debezium.jsonl'), garbledDbz].map((r) => ({ key: json(r.key), value: json(r.value) })) });
    await producer.send({ topic: topics.est, messages: [...fixture('hubspot-deals.estuary.jsonl'), garbledEst].map((r) => ({ key: null, value: json(r.value) })) });
    // Avro documents in the source's registry wire format (Dekaf-style).
    const registry = new SchemaRegistryClient({ baseURLs: [process.env.SCHEMA_REGISTRY_URL!] });
    await registry.register(`${topics.avro}-value`, { schemaType: 'AVRO', schema: JSON.stringify(TICKET_SCHEMA) }, false);
    const avroSer = new AvroSerializer(registry, SerdeType.VALUE, { useLatestVersion: true, subjectNameStrategyType: SubjectNameStrategyType.TOPIC });
    const docs = fixture('zendesk-tickets.estuary.jsonl').map((r) => {
      const v = r.value as Record<string, unknown> & { _meta: Record<string, unknown> };
      const src = v._meta.source as Record<string, unknown>;
      return { subject: null, status: null, priority: null, requester: null, ...v, _meta: { op: v._meta.op, uuid: v._meta.uuid, source: { ts_ms: src.ts_ms, schema: src.schema, table: src.table, txid: src.txid }, before: v._meta.before ?? null } };
    });
    // One source partition, as Dekaf serves a collection key's documents: source order is change order.
    for (const d of docs) await producer.send({ topic: topics.avro, messages: [{ key: null, partition: 0, value: await avroSer.serialize(topics.avro, d) }] });
    await producer.disconnect();

    ingestor = new Ingestor(ctx, {
      source: { brokers: [process.env.KAFKA_BROKERS!], ssl: false, registry: { url: process.env.SCHEMA_REGISTRY_URL! } },
      streams: [
        { topic: topics.dbz, format: 'debezium', encoding: 'json', system: 'hubspot', entity: 'deals', keyFields: ['id'] },
        { topic: topics.est, format: 'estuary', encoding: 'json', system: 'hubspot', entity: 'deals', keyFields: ['id'] },
        { topic: topics.avro, format: 'estuary', encoding: 'avro', system: 'zendesk', entity: 'tickets', keyFields: ['ticket_id'] },
      ],
    });
    await ingestor.start();
  });

  afterAll(async () => {
    await ingestor?.stop();
    await ctx?.close();
  });

  const fromStream = (topic: string) => (e: { headers?: Record<string, unknown> }) => String(e.headers?.[HEADERS.originalTopic] ?? '') === topic;

  it('both formats land as identical canonical events on cdc.hubspot.deals, keyed by entity', async () => {
    const events = await readEvents<ChangeEvent>(ctx.bus.codec, 'cdc.hubspot.deals', (es) => es.filter(fromStream(topics.dbz)).length >= 4 && es.filter(fromStream(topics.est)).length >= 4, { from: fromDeals, timeoutMs: 60000 });
    const comparable = (e: (typeof events)[number]) => ({ key: e.event.key, type: e.event.type, source: e.event.source, change: { ...e.event.payload, position: { ...e.event.payload.position, uuid: null } } });
    const sort = (xs: ReturnType<typeof comparable>[]) => xs.sort((a, b) => `${a.key}${a.change.position.lsn}`.localeCompare(`${b.key}${b.change.position.lsn}`));
    const dbz = sort(events.filter(fromStream(topics.dbz)).map(comparable));
    const est = sort(events.filter(fromStream(topics.est)).map(comparable));
    expect(dbz).toHaveLength(4); // the tombstone after the delete produced nothing
    expect(est).toEqual(dbz);
    expect(dbz.map((e) => e.change.op).sort()).toEqual(['create', 'delete', 'snapshot', 'update']);
    // Per-entity order: deal 42's create comes before its update on the same partition.
    const d42 = events.filter((e) => fromStream(topics.dbz)(e) && e.event.key === '42');
    expect(new Set(d42.map((e) => e.partition)).size).toBe(1);
    expect(d42.map((e) => e.event.payload.op)).toEqual(['create', 'update']);
  });

  it('reads Avro documents through the source registry (Dekaf-style)', async () => {
    const events = await readEvents<ChangeEvent>(ctx.bus.codec, 'cdc.zendesk.tickets', (es) => es.filter(fromStream(topics.avro)).length >= 3, { from: fromTickets, timeoutMs: 60000 });
    const mine = events.filter(fromStream(topics.avro)).map((e) => e.event.payload);
    expect(mine.map((c) => c.op)).toEqual(['create', 'update', 'delete']);
    expect(mine[1].changedFields).toEqual(['status']);
    expect(mine[1].primaryKey).toEqual({ ticket_id: 9 });
  });

  it('garbled documents land in ingest.dlq with the reason', async () => {
    const dead = await readUntil('ingest.dlq', (ms) => ms.filter((m) => [topics.dbz, topics.est].includes(header(m.message, HEADERS.originalTopic) ?? '')).length >= 2, { from: fromDlq, timeoutMs: 60000 });
    const mine = dead.filter((m) => [topics.dbz, topics.est].includes(header(m.message, HEADERS.originalTopic) ?? ''));
    expect(mine.map((m) => header(m.message, HEADERS.errorCode))).toEqual(['CDC_UNREADABLE', 'CDC_UNREADABLE']);
    expect(mine.map((m) => header(m.message, HEADERS.errorMessage)).join(' ')).toMatch(/Debezium|_meta/);
  });

  it('a source topic that does not exist yet: stays up, degraded with its name and cluster, and catches up once it exists', async () => {
    const later = `estuary.crm.deals.later.${run}`;
    const waiting = new Ingestor(testContext('ingest-wait-test', { PHOENIX_INSTANCE: `ingest-wait-${run}` }), {
      source: { brokers: [process.env.KAFKA_BROKERS!], ssl: false },
      streams: [{ topic: later, format: 'estuary', encoding: 'json', system: 'hubspot', entity: 'deals', keyFields: ['id'] }],
    });
    const waitCtx = (waiting as unknown as { ctx: AppContext }).ctx;
    try {
      await waiting.start({ sourcePollMs: 300 });
      const health = await waitCtx.health.evaluate();
      expect(health.ready).toBe(true);
      expect(health.checks['ingest-sources']).toMatchObject({ status: 'degraded' });
      expect(health.checks['ingest-sources'].detail).toContain(later);
      expect(health.checks['ingest-sources'].detail).toContain(process.env.KAFKA_BROKERS!);

      const from = await endOffsets('cdc.hubspot.deals');
      const admin = testKafka().admin();
      await admin.connect();
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: later, numPartitions: 1 }] });
      await admin.disconnect();
      const producer = testKafka().producer();
      await producer.connect();
      await producer.send({ topic: later, messages: fixture('hubspot-deals.estuary.jsonl').map((r) => ({ key: null, value: Buffer.from(JSON.stringify(r.value)) })) });
      await producer.disconnect();

      await waiting.started();
      const events = await readEvents<ChangeEvent>(ctx.bus.codec, 'cdc.hubspot.deals', (es) => es.filter(fromStream(later)).length >= 4, { from, timeoutMs: 60000 });
      expect(events.filter(fromStream(later))).toHaveLength(4);
      expect((await waitCtx.health.evaluate()).checks['ingest-sources']).toMatchObject({ status: 'up' });
    } finally {
      await waiting.stop();
      await waitCtx.close();
    }
  });
});
