import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { ChangeEvent, createEnvelope } from '@phoenix/contracts';
import { createMemoryWriter, MemoryWriter } from '@phoenix/memory-writer';
import { Router, RoutingModule } from '@phoenix/routing';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { endOffsets, testKafka } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { ReplayRunner } from './replay-runner';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();
const K = 12;

/**
 * Replaying into the live system: the replayed events carry the replay marker, so the router
 * emits no MCP commands, tasks or n8n deliveries for them, and the memory-writer puts their
 * memories in the shadow namespace.
 */
describe('replay into the live system (router + memory-writer running)', () => {
  const topic = `cdc.replaylive${run}.deals`;
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-live-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-live-data-'));
  const instance = `live-${run}`;
  let ctx: AppContext;
  let router: INestApplication;
  let writer: MemoryWriter;
  const targets = ['mcp.commands.everything', 'supervisor.tasks', 'n8n.outbound.echo'];
  let before: Record<string, number>;

  const total = async (t: string) => [...(await endOffsets(t)).values()].reduce((s, o) => s + Number(o), 0);
  const committed = async (group: string) => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      return t.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  };

  beforeAll(async () => {
    fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
    fs.cpSync(path.join(ROOT, 'config/n8n-flows.yaml'), path.join(configDir, 'n8n-flows.yaml'));
    fs.writeFileSync(path.join(configDir, 'topics.yaml'), `topics:\n  - name: ${topic}\n    partitions: 3\n`);
    fs.writeFileSync(
      path.join(configDir, 'routes.yaml'),
      `routes:\n  - name: all-actions\n    match: { topics: "${topic}", ops: [update] }\n    emit:\n      - mcp: { server: everything, tool: echo, arguments: { message: "{{ $.key }}" } }\n      - task: { goal: "look at {{ $.key }}", playbook: resume_probe, inputs: { label: "{{ $.key }}" } }\n      - n8n: { flow: echo }\n`,
    );
    fs.writeFileSync(path.join(configDir, 'memory.yaml'), `topics: { include: ["${topic}"] }\nmemories:\n  - match: { topics: "${topic}" }\n`);
    ctx = testContext('live-test', { PHOENIX_CONFIG_DIR: configDir, PHOENIX_DATA_DIR: dataDir, PHOENIX_INSTANCE: instance });
    await ctx.bus.admin.apply();
    before = Object.fromEntries(await Promise.all(targets.map(async (t) => [t, await total(t)] as const)));

    const r = new Router(ctx);
    router = await createConsumerApp(ctx, { app: 'router', module: RoutingModule.forRouter(r, { watch: false }), groupId: `${instance}-router`, topics: r.topics(ctx), ownsContext: false });
    await router.startAllMicroservices();
    await router.init();
    writer = await createMemoryWriter(ctx);
    await writer.start();

    for (let i = 0; i < K; i++) {
      await ctx.bus.producer.publish(
        topic,
        createEnvelope<ChangeEvent>({
          type: 'deals.update',
          source: 'hubspot',
          key: `deal-${i}`,
          payload: { system: 'hubspot', schema: null, table: 'deals', primaryKey: { id: i }, op: 'update', before: { stage: 'open' }, after: { stage: 'won' }, changedFields: ['stage'], position: { lsn: null, txId: String(i), uuid: null, binlog: null }, sourceTs: null, snapshot: false },
        }),
      );
    }
  }, 300000);

  afterAll(async () => {
    await router?.close();
    await writer?.stop();
    await ctx?.close();
  });

  it('a replay re-published into the live topics triggers zero MCP calls, tasks or n8n deliveries, and only shadow memories', async () => {
    // The live events act as usual.
    await waitFor('live actions', async () => (await Promise.all(targets.map(async (t) => (await total(t)) - before[t]))).every((d) => d === K), 120000);
    await waitFor('live memories', async () => (await writer.memory.count('live')) === K, 120000);

    const summary = await new ReplayRunner(ctx, { topics: [topic] }, { kind: 'topic', target: 'live' }).run();
    expect(summary.records).toBe(K);

    await waitFor('the router to read the replay', async () => (await committed(`${instance}-router`)) === 2 * K, 120000);
    await waitFor('shadow memories', async () => (await writer.memory.count('shadow')) === K, 120000);
    for (const t of targets) expect((await total(t)) - before[t]).toBe(K); // nothing new
    expect(await writer.memory.count('live')).toBe(K);
    const hits = await writer.memory.search('deal stage won', { limit: 50 });
    expect(hits.every((h) => h.metadata.namespace === 'live')).toBe(true);
  }, 300000);
});
