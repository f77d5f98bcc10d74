import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEnvelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { waitFor } from '../../../test/support/wait';
import { createMemoryWriter } from './factories';
import { MemoryWriter } from './memory-writer';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();
/** The acceptance holds the store for 60 s: MEMORY_DOWN_SECONDS=60. */
const DOWN_SECONDS = Number(process.env.MEMORY_DOWN_SECONDS ?? 15);

/**
 * The embedded memory store becomes unavailable: another process holds an exclusive lock on
 * Mem0's SQLite database, so every memory write fails. Consumption pauses (health: degraded),
 * nothing is lost, and it resumes by itself when the store is back.
 */
describe('memory store outage (real Mem0 SQLite store, locked by another process)', () => {
  const topic = `events.memdown-${run}`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-down-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-down-data-'));
  let ctx: AppContext;
  let writer: MemoryWriter;
  let locker: ChildProcess | undefined;

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 3\n`);
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), `topics: { include: ["${topic}"] }\nmemories:\n  - match: { topics: "${topic}" }\n`);
    ctx = testContext('down-test', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: `down-${run}`, BUS_RETRY_BACKOFF_MS: '250', BUS_RETRY_BACKOFF_MAX_MS: '2000' });
    await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics().filter((t) => t.name.startsWith(topic) || t.name === 'memory.changes'));
    writer = await createMemoryWriter(ctx);
    await writer.start();
  }, 180000);

  afterAll(async () => {
    locker?.kill('SIGKILL');
    await writer?.stop();
    await ctx?.close();
  });

  const publish = (from: number, n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => ctx.bus.producer.publish(topic, createEnvelope({ type: 'note.added', source: 'spec', key: `n-${(from + i) % 7}`, payload: { text: `note ${from + i} about the renewal` } }))));

  it(`no loss while the store is down for ${DOWN_SECONDS} s; consumption resumes by itself`, async () => {
    await publish(0, 20);
    await waitFor('the first memories', async () => (await writer.memory.count('live')) === 20, 120000);

    const vectors = path.join(dataDir, 'memory', 'vectors.db');
    const script = `import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(float(sys.argv[2]))\nc.execute('COMMIT')\n`;
    locker = spawn('python3', ['-c', script, vectors, String(DOWN_SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    locker.stdout!.on('data', (d) => (out += d));
    await waitFor('the lock', () => out.includes('locked'));

    await publish(20, 30);
    // The warehouse does not wait for memory: all 50 rows land, and their offsets are committed,
    // while the memory store is still locked.
    await waitFor('the warehouse rows during the outage', async () => {
      const r = await writer.warehouse.query(`SELECT count(*) AS n FROM RAW_EVENTS WHERE topic = '${topic}'`);
      return r.rows[0].n === '50';
    }, 60000);
    await waitFor('committed offsets during the outage', async () => {
      const lag = await writer.consumer.monitor.sample();
      return lag.length > 0 && lag.reduce((n, p) => n + Number(p.lag), 0) === 0;
    }, 60000);
    await waitFor('health to report the pause', async () => (await ctx.health.evaluate()).checks['memory-outbox']?.status === 'degraded', 60000);
    const health = await ctx.health.evaluate();
    expect(health.checks['memory-outbox'].detail).toMatch(/paused since/);
    expect(health.checks['memory-writer'].status).toBe('up');
    expect(locker.exitCode).toBeNull();
    expect(await writer.memory.count('live')).toBe(20);
    // Writes that arrive while the outbox backs off must not wedge it.
    await publish(50, 10);
    await waitFor('the warehouse rows written while backing off', async () => {
      const r = await writer.warehouse.query(`SELECT count(*) AS n FROM RAW_EVENTS WHERE topic = '${topic}'`);
      return r.rows[0].n === '60';
    }, 60000);

    await waitFor('the store to come back', () => locker!.exitCode !== null, (DOWN_SECONDS + 30) * 1000);
    await waitFor('every memory', async () => (await writer.memory.count('live')) === 60, 120000);
    const rows = await writer.warehouse.query(`SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM RAW_EVENTS WHERE topic = '${topic}'`);
    expect(rows.rows[0]).toEqual({ n: '60', ids: '60' });
    await waitFor('health to recover', async () => (await ctx.health.evaluate()).checks['memory-outbox']?.status === 'up', 30000);
  }, 300000);
});
