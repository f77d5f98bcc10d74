import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { createEnvelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { testKafka } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();
/** Full scale (the acceptance): MEMORY_CRASH_EVENTS=200000 MEMORY_CRASH_KILLS=5. */
const EVENTS = Number(process.env.MEMORY_CRASH_EVENTS ?? 3000);
const KILLS = Number(process.env.MEMORY_CRASH_KILLS ?? 3);
const WORTHY_EVERY = 10;

/**
 * The memory-writer as a separate process (built dist), SIGKILLed at random points: afterwards
 * the warehouse holds each event exactly once and Mem0 one memory per memory-worthy event.
 */
describe('memory-writer exactly once (real Kafka, DuckDB, Mem0 with the real embedder)', () => {
  const topic = `events.memtest-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-mw-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-mw-data-'));
  const instance = `mw-test-${run}`;
  const group = `${instance}-memory-writer`;
  let ctx: AppContext;
  let child: ChildProcess | undefined;
  const env = { ...process.env, PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: instance, HEALTH_PORT: '0', LOG_LEVEL: 'warn', MEMORY_WRITER_BATCH: '200' };
  const start = () => {
    const log = fs.openSync(path.join(dataDir, 'writer.log'), 'a');
    child = spawn('node', [path.join(ROOT, 'dist/apps/memory-writer/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', log, log] });
  };
  const exited = () => child!.exitCode !== null || child!.signalCode !== null;

  const committed = async (): Promise<bigint> => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return t.partitions.reduce((sum, p) => sum + (BigInt(p.offset) > 0n ? BigInt(p.offset) : 0n), 0n);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 6\n`);
    fs.writeFileSync(
      path.join(configDir, 'memory.yaml'),
      `topics: { include: ["${topic}"] }\nmemories:\n  - match: { topics: "${topic}", types: "deal.*" }\n  - match: { topics: "*" }\n    skip: true\n`,
    );
    ctx = testContext('mw-test', { PHOENIX_CONFIG_DIR: configDir });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic) || t.name === 'memory.changes'));
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < EVENTS; i++) {
      const worthy = i % WORTHY_EVERY === 0;
      sends.push(
        ctx.bus.producer.publish(topic, createEnvelope({ type: worthy ? 'deal.updated' : 'page.viewed', source: 'spec', key: `k-${i % 97}`, payload: worthy ? { text: `Deal ${i} moved to stage ${i % 5}` } : { page: `/p/${i}` } })),
      );
      if (sends.length >= 5000) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
  }, 600000);

  afterAll(async () => {
    if (child && !exited()) child.kill('SIGKILL');
    await ctx?.close();
  });

  it(`${EVENTS} events, SIGKILL ${KILLS}× at random points: rows == distinct ids == events, memories == worthy events`, async () => {
    // Memory follows the warehouse at its own pace: applied memories announce themselves on memory.changes.
    const changesEnd = async () => {
      const admin = testKafka().admin();
      await admin.connect();
      try {
        return (await admin.fetchTopicOffsets('memory.changes')).reduce((s, p) => s + Number(p.high), 0);
      } finally {
        await admin.disconnect();
      }
    };
    const changesAtStart = await changesEnd();
    for (let k = 1; k <= KILLS; k++) {
      start();
      // Kill somewhere inside the k-th slice of the work, at a random offset count.
      const target = BigInt(Math.floor(((k - 1 + Math.random()) / (KILLS + 1)) * EVENTS));
      await waitFor(`progress past ${target}`, async () => (await committed()) >= target || exited(), 300000);
      expect(exited()).toBe(false);
      child!.kill('SIGKILL');
      await waitFor('the writer to die', exited);
    }
    start();
    await waitFor('every event committed', async () => (await committed()) >= BigInt(EVENTS), 600000);
    await waitFor('every memory applied', async () => (await changesEnd()) - changesAtStart >= Math.ceil(EVENTS / WORTHY_EVERY), 600000);
    // Stop gracefully so the stores can be opened here.
    child!.kill('SIGTERM');
    await waitFor('a clean exit', exited, 60000);

    const db = await DuckDBInstance.create(path.join(dataDir, 'warehouse', 'phoenix.duckdb'), { access_mode: 'READ_ONLY' });
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM RAW_EVENTS WHERE topic = '${topic}'`)).getRowObjects()[0];
    const outbox = (await conn.runAndReadAll('SELECT count(*) AS pending FROM MEMORY_OUTBOX WHERE done_at IS NULL')).getRowObjects()[0];
    const offsets = (await conn.runAndReadAll(`SELECT sum(next_offset) AS s FROM KAFKA_OFFSETS WHERE consumer = '${group}' AND topic = '${topic}'`)).getRowObjects()[0];
    conn.closeSync();
    db.closeSync();
    expect(Number(rows.n)).toBe(EVENTS);
    expect(Number(rows.ids)).toBe(EVENTS);
    expect(Number(outbox.pending)).toBe(0);
    expect(Number(offsets.s)).toBe(EVENTS);

    const vectors = new Database(path.join(dataDir, 'memory', 'vectors.db'), { readonly: true });
    const mem = vectors.prepare("SELECT count(*) AS n, count(DISTINCT json_extract(payload, '$.event_id')) AS ids FROM vectors").get() as { n: number; ids: number };
    vectors.close();
    const worthy = Math.ceil(EVENTS / WORTHY_EVERY);
    expect(mem.ids).toBe(worthy);
    expect(mem.n).toBe(worthy);
    const log = fs.readFileSync(path.join(dataDir, 'writer.log'), 'utf8');
    expect(log).not.toMatch(/failed to start/);
  }, 1200000);
});
