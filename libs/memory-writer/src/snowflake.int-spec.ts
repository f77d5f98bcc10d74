import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChangeEvent, createEnvelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { FakeSnowflake, startFakeSnowflake } from '../../../test/support/fakesnow';
import { testContext } from '../../../test/support/context';
import { testKafka } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { createMemoryWriter } from './factories';
import { MemoryWriter } from './memory-writer';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();

/**
 * The Snowflake path against fakesnow (Snowflake's REST protocol over DuckDB) through the
 * official snowflake-sdk: rows land via MERGE, offsets are stored with them, and a restarted
 * writer resumes from those offsets even when Kafka has forgotten the group's position.
 */
describe('memory-writer → Snowflake (snowflake-sdk → fakesnow)', () => {
  const topic = `cdc.memtest.snow${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-snow-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-snow-data-'));
  let snow: FakeSnowflake;
  let ctx: AppContext;
  let writer: MemoryWriter | undefined;
  const instance = `snow-test-${run}`;

  const context = () =>
    testContext('snow-test', {
      PHOENIX_CONFIG_DIR: configDir,
      PHOENIX_DATA_DIR: dataDir,
      PHOENIX_INSTANCE: instance,
      WAREHOUSE: 'snowflake',
      SNOWFLAKE_ACCOUNT: 'phoenix-test',
      SNOWFLAKE_USERNAME: 'phoenix',
      SNOWFLAKE_PASSWORD: 'not-checked-by-fakesnow',
      SNOWFLAKE_DATABASE: 'PHOENIX',
      SNOWFLAKE_SCHEMA: 'PUBLIC',
      SNOWFLAKE_ACCESS_URL: snow.url,
    });

  const change = (i: number, op: ChangeEvent['op'] = 'update') =>
    createEnvelope<ChangeEvent>({
      type: `deal.${op}`,
      source: 'estuary',
      key: `deal-${i % 20}`,
      payload: { system: 'memtest', schema: null, table: 'deals', primaryKey: { id: i % 20 }, op, before: null, after: op === 'delete' ? null : { id: i % 20, amount: i }, changedFields: ['amount'], position: { lsn: String(i), txId: null, uuid: null, binlog: null }, sourceTs: null, snapshot: false },
    });

  const scalar = async (sql: string) => Number(Object.values((await writer!.warehouse.query(sql)).rows[0])[0]);

  beforeAll(async () => {
    snow = await startFakeSnowflake(path.join(dataDir, 'fakesnow.log'));
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 3\n`);
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), `topics: { include: ["${topic}"] }\nmemories:\n  - match: { topics: "*" }\n    skip: true\n`);
    ctx = context();
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic) || t.name === 'memory.changes'));
  }, 120000);

  afterAll(async () => {
    await writer?.stop();
    await ctx?.close();
    await snow?.stop();
  });

  const consumed = async () => (await ctx.metrics.consumed.get()).values.filter((v) => v.labels.topic === topic).reduce((s, v) => s + v.value, 0);

  it('merges rows, soft-deletes CDC deletes, stores offsets; a restart resumes from the stored offsets', async () => {
    for (let i = 0; i < 300; i++) await ctx.bus.producer.publish(topic, change(i, i === 299 ? 'delete' : 'update'));
    writer = await createMemoryWriter(ctx);
    await writer.start();
    await waitFor('300 rows in Snowflake', async () => (await scalar(`SELECT count(*) AS n FROM RAW_EVENTS WHERE topic = '${topic}'`)) === 300, 120000);
    expect(await scalar(`SELECT count(DISTINCT event_id) AS n FROM RAW_EVENTS WHERE topic = '${topic}'`)).toBe(300);
    // deal-19 was deleted at the source: every row of that entity is soft-deleted.
    expect(await scalar(`SELECT count(*) AS n FROM RAW_EVENTS WHERE topic = '${topic}' AND key = 'deal-19' AND deleted_at IS NOT NULL`)).toBe(15);
    expect(await scalar(`SELECT count(*) AS n FROM RAW_EVENTS WHERE topic = '${topic}' AND deleted_at IS NULL`)).toBe(285);
    // VARIANT payloads are queryable.
    expect(await scalar(`SELECT max(payload:after:amount::INT) AS m FROM RAW_EVENTS WHERE topic = '${topic}'`)).toBe(298);
    await waitFor('offsets stored', async () => (await scalar(`SELECT sum(next_offset) AS s FROM KAFKA_OFFSETS WHERE topic = '${topic}'`)) === 300);
    await writer.stop();
    writer = undefined;
    const before = await consumed();

    // Kafka forgets the group's committed position; only the warehouse knows where we were.
    const admin = testKafka().admin();
    await admin.connect();
    await admin.deleteGroups([`${instance}-memory-writer`]);
    await admin.disconnect();

    for (let i = 300; i < 400; i++) await ctx.bus.producer.publish(topic, change(i));
    writer = await createMemoryWriter(ctx);
    await writer.start();
    await waitFor('400 rows', async () => (await scalar(`SELECT count(*) AS n FROM RAW_EVENTS WHERE topic = '${topic}'`)) === 400, 120000);
    await waitFor('offsets at 400', async () => (await scalar(`SELECT sum(next_offset) AS s FROM KAFKA_OFFSETS WHERE topic = '${topic}'`)) === 400);
    // Only the 100 new events were read again: the writer sought to the stored offsets.
    expect((await consumed()) - before).toBe(100);
  }, 300000);
});
