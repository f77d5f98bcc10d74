import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HEADERS } from '@phoenix/bus';
import { createEnvelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { header, readUntil, testKafka } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { createMemoryWriter } from './factories';
import { MemoryWriter } from './memory-writer';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();

/**
 * A sink that refuses one event for good: the embedded warehouse (DuckDB) cannot store a payload
 * holding a lone UTF-16 surrogate — valid for the gateway and Avro, unreadable as DuckDB JSON.
 * The event reaches the DLQ with the sink's reason, every other event of the chunk is stored, and
 * the partition moves on (committed past it, health not stalled).
 */
describe('a deterministic sink error (real Kafka, real DuckDB)', () => {
  const topic = `events.sinkerr-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-sinkerr-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-sinkerr-data-'));
  const instance = `sinkerr-${run}`;
  let ctx: AppContext;
  let writer: MemoryWriter;

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 1\n`);
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), `topics: { include: ["${topic}*"] }\nmemories:\n  - match: { topics: "*" }\n    skip: true\n`);
    ctx = testContext('sinkerr-test', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: instance, BUS_RETRY_BACKOFF_MS: '250', BUS_TOPIC_REFRESH_MS: '1000' });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic) || t.name === 'memory.changes'));
    writer = await createMemoryWriter(ctx);
    await writer.start();
  }, 180000);

  afterAll(async () => {
    await writer?.stop();
    await ctx?.close();
  });

  it('dead-letters the refused event with the reason, stores the rest, and commits past it', async () => {
    const events = Array.from({ length: 9 }, (_, i) =>
      createEnvelope({ type: 'note.added', source: 'spec', key: 'one-partition', payload: { n: i, text: i === 4 ? 'broken \ud800 surrogate' : `note ${i}` } }),
    );
    // One produce request, so one fetch and one chunk hold all nine.
    const receipts = await Promise.all(events.map((e) => ctx.bus.producer.publish(topic, e)));
    const bad = receipts[4];

    const dlq = await readUntil(`${topic}.dlq`, (ms) => ms.length >= 1, { timeoutMs: 60000 });
    expect(dlq).toHaveLength(1);
    const m = dlq[0].message;
    expect(header(m, HEADERS.originalOffset)).toBe(bad.offset);
    expect(header(m, HEADERS.errorKind)).toBe('fatal');
    expect(header(m, HEADERS.errorCode)).toBe('WAREHOUSE_RECORD_REJECTED');
    expect(header(m, HEADERS.errorMessage)).toMatch(/Conversion Error/);
    expect(header(m, HEADERS.eventId)).toBe(events[4].id);

    await waitFor('the other eight rows', async () => (await writer.warehouse.query(`SELECT count(*)::INT AS n FROM RAW_EVENTS WHERE topic = '${topic}'`)).rows[0].n === 8, 60000);
    const stored = await writer.warehouse.query(`SELECT event_id FROM RAW_EVENTS WHERE topic = '${topic}'`);
    expect(new Set(stored.rows.map((r) => r.event_id))).toEqual(new Set(events.filter((_, i) => i !== 4).map((e) => e.id)));

    // The partition moved on: later events are stored too, and the group committed past them all.
    const later = await ctx.bus.producer.publish(topic, createEnvelope({ type: 'note.added', source: 'spec', key: 'one-partition', payload: { text: 'after' } }));
    await waitFor('the event after the refused one', async () => (await writer.warehouse.query(`SELECT count(*)::INT AS n FROM RAW_EVENTS WHERE topic = '${topic}'`)).rows[0].n === 9, 60000);
    const admin = testKafka().admin();
    await admin.connect();
    try {
      await waitFor('commit past the later event', async () => {
        const [t] = await admin.fetchOffsets({ groupId: `${instance}-memory-writer`, topics: [topic] });
        return BigInt(t.partitions[0].offset) > BigInt(later.offset);
      });
    } finally {
      await admin.disconnect();
    }
    expect(writer.consumer.stall).toBeNull();
  });

  it('stores the events of a matching topic created while it runs, without a restart', async () => {
    const name = `${topic}-live`;
    const other = testContext('sinkerr-publisher', { PHOENIX_CONFIG_DIR: configDir });
    try {
      await other.bus.admin.apply([other.bus.catalogue.declare(name, 2)]);
      const events = Array.from({ length: 5 }, (_, i) => createEnvelope({ type: 'note.added', source: 'spec', key: `k${i}`, payload: { text: `live ${i}` } }));
      await Promise.all(events.map((e) => other.bus.producer.publish(name, e)));
      await waitFor('rows of the new topic', async () => (await writer.warehouse.query(`SELECT count(*)::INT AS n FROM RAW_EVENTS WHERE topic = '${name}'`)).rows[0].n === 5, 60000);
      expect(writer.consumer.topics).toContain(name);
    } finally {
      await other.close();
    }
  });
});
