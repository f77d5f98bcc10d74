import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEnvelope, MemoryChange, MemoryRequest } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { endOffsets, readEvents } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { createMemoryWriter } from './factories';
import { MemoryWriter } from './memory-writer';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();

/**
 * The right to be forgotten through the real memory-writer (Kafka, DuckDB, Mem0 with the local
 * embedder): a forget request on memory.requests deletes the entity's memories (each deletion on
 * memory.changes), soft-deletes its warehouse rows, and none of its events ingested before the
 * request becomes memory afterwards — not one still on its way, not after a restart.
 */
describe('forgetting an entity (real Kafka, DuckDB, Mem0)', () => {
  const topic = `events.forget-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-forget-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-forget-data-'));
  const instance = `forget-${run}`;
  let ctx: AppContext;
  let writer: MemoryWriter;
  const ana = `${topic}/ana`;
  const note = (key: string, text: string, now?: number) => createEnvelope({ type: 'note.added', source: 'spec', key, payload: { text } }, now);
  const rowsOf = async (key: string) => (await writer.warehouse.query(`SELECT event_id, deleted_at IS NOT NULL AS deleted FROM RAW_EVENTS WHERE topic = '${topic}' AND key = '${key}'`)).rows as { event_id: string; deleted: boolean }[];

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 2\n`);
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), `topics: { include: ["${topic}"] }\nmemories:\n  - match: { topics: "${topic}" }\n`);
    ctx = testContext('forget-test', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: instance, BUS_TOPIC_REFRESH_MS: '1000' });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic) || t.name.startsWith('memory.')));
    writer = await createMemoryWriter(ctx);
    await writer.start();
  }, 180000);

  afterAll(async () => {
    await writer?.stop();
    await ctx?.close();
  });

  it('deletes its memories, soft-deletes its rows, publishes the deletions, and remembers nothing it was sent before', async () => {
    const fromChanges = await endOffsets('memory.changes');
    for (const text of ['Ana asked about the refund window', 'Ana prefers email', 'Ana lives in Porto']) await ctx.bus.producer.publish(topic, note('ana', text));
    await ctx.bus.producer.publish(topic, note('bob', 'Bob asked about pricing'));
    await waitFor("ana's three memories", async () => (await writer.memory.entityMemories!(ana)).length === 3, 120000);

    const payload: MemoryRequest = { op: 'forget', topic, key: 'ana', reason: 'user request', requestedBy: 'spec' };
    const request = createEnvelope({ type: 'memory.forget.requested', source: 'spec', key: ana, payload });
    await ctx.bus.producer.publish('memory.requests', request);
    // Sent before the request (ingested earlier) but arriving after it: forgotten too, whichever the
    // writer reads first (topics are read in no fixed order against each other).
    const inFlight = note('ana', 'Ana changed her phone number', request.ingestedAt - 1000);
    await ctx.bus.producer.publish(topic, inFlight);
    await waitFor("ana's rows, all soft-deleted", async () => {
      const rows = await rowsOf('ana');
      return rows.length === 4 && rows.every((r) => r.deleted);
    }, 120000);
    await writer.drainOutbox();
    await waitFor('no memory of ana', async () => (await writer.memory.entityMemories!(ana)).length === 0, 60000);
    await waitFor("bob's memory, untouched", async () => (await writer.memory.entityMemories!(`${topic}/bob`)).length === 1, 60000);
    expect((await rowsOf('bob')).every((r) => !r.deleted)).toBe(true);

    // What is sent after the request was carried out is remembered as usual.
    const later = note('ana', 'Ana signed up again', Date.now() + 1000);
    await ctx.bus.producer.publish(topic, later);
    await waitFor('the later memory', async () => {
      const left = await writer.memory.entityMemories!(ana);
      return left.length === 1 && left[0].metadata.event_id === later.id;
    }, 120000);
    expect((await rowsOf('ana')).filter((r) => !r.deleted).map((r) => r.event_id)).toEqual([later.id]);

    const deletions = await readEvents<MemoryChange>(ctx.bus.codec, 'memory.changes', (es) => es.filter((e) => e.event.causationId === request.id).length >= 3, { from: fromChanges, timeoutMs: 60000 });
    const mine = deletions.filter((e) => e.event.causationId === request.id).map((e) => e.event.payload);
    // Three, or four when the writer read the in-flight event before the request (and then deleted its memory too).
    expect([3, 4]).toContain(mine.length);
    expect(mine.every((c) => c.op === 'delete' && c.entity === ana)).toBe(true);
  }, 300000);

  it('a restarted writer still remembers nothing of the entity sent before the request', async () => {
    await writer.stop();
    writer = await createMemoryWriter(ctx);
    await writer.start();
    const old = note('ana', 'Ana owns a bakery', Date.now() - 3_600_000);
    await ctx.bus.producer.publish(topic, old);
    await waitFor('its row', async () => (await rowsOf('ana')).some((r) => r.event_id === old.id), 60000);
    await writer.drainOutbox();
    const left = await writer.memory.entityMemories!(ana);
    expect(left.map((m) => m.metadata.event_id)).not.toContain(old.id);
    expect((await rowsOf('ana')).find((r) => r.event_id === old.id)!.deleted).toBe(true);
  }, 300000);
});
