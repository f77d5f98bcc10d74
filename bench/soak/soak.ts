import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { createEnvelope, EventCodec, mcpCommandsTopic, McpResult, TOPICS } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { SnowflakeWarehouse } from '@phoenix/warehouse';
import { StackManager, stackOptions } from '@phoenix/stack';
import { ChromaClient } from 'chromadb';
import { ChromaServer, ensureChroma, startChroma } from '../lib/chroma';
import { FakeSnowflake, startFakeSnowflake } from '../lib/fakesnow';
import { gitInfo, machineInfo } from '../lib/machine';
import { SoakFleet } from './soak-fleet';
import { brokerLag, prependSection } from './soak-report';
import { runLoad, SoakLoadResult } from './soak-load';
import { parseSoakOptions, SoakOptions } from './soak.options';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const KEY = 'soak-api-key-0123456789abcdef';
const WEBHOOK_SECRET = 'soak-webhook-secret-0123456789';

interface Row {
  check: string;
  expected: string;
  actual: string;
  ok: boolean;
}

const log = (msg: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(everyMs);
  }
}

/** Restarts a killed stack service, once more if the first start fails (the error names its log). */
async function upAgain(start: () => Promise<unknown>, name: string): Promise<void> {
  try {
    await start();
  } catch (err) {
    log(`${name} did not come back (${(err as Error).message.split('\n')[0]}); starting it again`);
    await sleep(3000);
    await start();
  }
}

/**
 * The soak: Phoenix's apps as separate processes under open-loop load, with crashes, broker
 * restarts, rebalances, a memory store outage and poison messages, then the books: every accepted
 * event stored once, every memory once, every routed tool call executed once, every poison
 * message dead-lettered, lag back to zero, and the lag metric in step with the broker.
 */
export async function soak(o: SoakOptions): Promise<{ ok: boolean; rows: Row[] }> {
  const run = `${Date.now()}`;
  const instance = `soak-${run}`;
  const topic = `events.soak-${run}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-soak-'));
  const configDir = path.join(work, 'config');
  const dataDir = path.join(work, 'data');
  fs.cpSync(path.join(ROOT, 'test/fixtures/config'), configDir, { recursive: true });
  fs.appendFileSync(path.join(configDir, "topics.yaml"), `  - name: ${topic}\n    partitions: ${o.partitions}\n`);
  fs.writeFileSync(path.join(configDir, 'routes.yaml'), `routes:\n  - name: soak-echo\n    match: { topics: "${topic}", types: soak.tool }\n    emit:\n      - mcp: { server: everything, tool: echo, arguments: { message: "soak {{ $.payload.n }}" } }\n`);
  fs.writeFileSync(path.join(configDir, 'n8n-flows.yaml'), `flows:\n  - name: soak\n    inbound: { topic: "${topic}", type: soak.hook, secret: "${WEBHOOK_SECRET}" }\n`);
  const collection = `soak_${run}`;
  const chromaPort = o.basePort + 90;
  const store = o.sharedStores ? `store:\n  vectorStore: { provider: chroma, config: { host: "127.0.0.1", port: ${chromaPort}, collectionName: "${collection}" } }\n` : '';
  fs.writeFileSync(path.join(configDir, 'memory.yaml'), `topics: { include: ["${topic}"] }\nmemories:\n  - match: { topics: "${topic}", types: soak.memo }\n    text: "{{ $.payload.text }}"\n  - match: { topics: "*" }\n    skip: true\n${store}`);

  const stack = new StackManager(stackOptions(process.env), (m) => log(`stack: ${m}`));
  await stack.up();
  let shared: SharedStores | undefined;
  if (o.sharedStores) {
    const fakesnow = path.join(os.homedir(), '.cache', 'phoenix', 'venv', 'bin', 'fakesnow');
    if (!fs.existsSync(fakesnow)) throw new Error(`--shared-stores needs fakesnow (${fakesnow}): run the tests once, or pip install -r test/requirements.txt into that venv`);
    const snow = await startFakeSnowflake(path.join(work, 'logs', 'fakesnow.log'), fakesnow);
    const chroma = await startChroma(ensureChroma(log), path.join(work, 'chroma'), chromaPort, path.join(work, 'chroma.log'));
    shared = { snow, chroma, collection };
    log(`shared stores: fakesnow at ${snow.url}, chroma on ${chromaPort}`);
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...stack.clientEnv(),
    PHOENIX_CONFIG_DIR: configDir,
    PHOENIX_DATA_DIR: dataDir,
    PHOENIX_INSTANCE: instance,
    // A scoped key, as a producing system would hold: publish and read on the soak topic only.
    PHOENIX_API_KEYS: `soak@${KEY}=publish:${topic}|read:${topic}`,
    PHOENIX_SERVICE_KEY: `soak-service-${instance}`,
    MCP_WORKER_SERVERS: 'everything',
    LOG_LEVEL: 'info',
    SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
    ...(shared
      ? { WAREHOUSE: 'snowflake', SNOWFLAKE_ACCOUNT: 'phoenix-soak', SNOWFLAKE_USERNAME: 'phoenix', SNOWFLAKE_PASSWORD: 'not-checked-by-fakesnow', SNOWFLAKE_DATABASE: 'PHOENIX', SNOWFLAKE_SCHEMA: 'PUBLIC', SNOWFLAKE_ACCESS_URL: shared.snow.url }
      : {}),
  };
  const ctx = AppContext.create('soak', { ...env, LOG_LEVEL: 'warn' }, { logToStderr: true });
  // Every topic the soak's catalogue names (as `phoenix topics apply` would): the apps refuse to
  // start on a cluster that lacks one.
  await ctx.bus.admin.apply(ctx.bus.catalogue.allTopics());

  const fleet = new SoakFleet(ROOT, env, path.join(work, 'logs'), o.basePort);
  try {
    return await soakWith(o, { run, instance, topic, work, dataDir, stack, ctx, fleet, shared });
  } catch (err) {
    log(`work dir kept: ${work}`);
    throw err;
  } finally {
    fleet.killAll();
    // Whatever failed, the shared stack is left up for whoever uses it next.
    await stack.up().catch((err) => log(`stack not restored: ${(err as Error).message}`));
    await ctx.close().catch(() => undefined);
    await shared?.chroma.stop().catch(() => undefined);
    await shared?.snow.stop().catch(() => undefined);
  }
}

interface SharedStores {
  snow: FakeSnowflake;
  chroma: ChromaServer;
  collection: string;
}

interface SoakRun {
  run: string;
  instance: string;
  topic: string;
  work: string;
  dataDir: string;
  stack: StackManager;
  ctx: AppContext;
  fleet: SoakFleet;
  shared?: SharedStores;
}

async function soakWith(o: SoakOptions, { run, instance, topic, work, dataDir, stack, ctx, fleet, shared }: SoakRun): Promise<{ ok: boolean; rows: Row[] }> {
  const consumers = ['router', 'mcp-worker', 'supervisor', 'memory-writer'] as const;
  log(`instance ${instance}, topic ${topic}, work dir ${work}`);
  for (const app of ['gateway', ...consumers] as const) await fleet.start(app);
  // Shared stores: a second memory-writer in the same group, all the way through.
  if (shared) await fleet.start('memory-writer', 'memory-writer#2');
  log('fleet ready');

  // Faults spread over the load, in this order, each with a short recovery.
  const faults: string[] = [];
  const schedule: { name: string; act: () => Promise<void> }[] = [];
  const restart = (name: 'router' | 'mcp-worker' | 'supervisor' | 'memory-writer' | 'memory-writer#2') => async () => {
    await fleet.kill(name);
    faults.push(`SIGKILL ${name}`);
    await sleep(1000);
    await fleet.start(name === 'memory-writer#2' ? 'memory-writer' : name, name);
  };
  const brokerRestart = async () => {
    if (stack.options.kafka.brokers === 1) {
      await stack.kill('kafka');
      faults.push('SIGKILL broker + restart');
      await sleep(2000);
      await upAgain(() => stack.up(['kafka']), 'kafka');
      return;
    }
    // A cluster: kill the broker that leads most of the soak topic's partitions.
    const admin = ctx.bus.kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    const leads = new Map<number, number>();
    for (const p of meta.topics[0].partitions) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
    const [leader, count] = [...leads].sort((a, b) => b[1] - a[1])[0];
    const name = leader === 1 ? 'kafka' : (`kafka-${leader}` as const);
    await stack.kill(name);
    faults.push(`SIGKILL partition leader broker ${leader} (led ${count} of ${meta.topics[0].partitions.length}) + restart`);
    await sleep(5000);
    await upAgain(() => stack.upKafkaNodes([name]), name);
  };
  const registryRestart = async () => {
    // Publishers and consumers carry on from their schema caches while it is down; the schemas
    // themselves live in Kafka (kafkasql storage), so the restarted registry serves the same ids.
    await stack.kill('registry');
    faults.push('SIGKILL registry + restart');
    await sleep(2000);
    await upAgain(() => stack.up(['registry']), 'registry');
  };
  const memoryOutage = async () => {
    if (shared) {
      // The networked vector store goes away and comes back on the same data.
      await shared.chroma.kill();
      faults.push(`chroma down ${o.outageSeconds} s`);
      await sleep(o.outageSeconds * 1000);
      await shared.chroma.start();
      return;
    }
    // Another process holds the Mem0 SQLite file exclusively: the memory store is unavailable.
    const file = path.join(dataDir, 'memory', 'vectors.db');
    const script = `import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(float(sys.argv[2]))\nc.execute('COMMIT')\n`;
    const locker = spawn('python3', ['-c', script, file, String(o.outageSeconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => locker.stdout.on('data', (d) => String(d).includes('locked') && resolve()));
    faults.push(`memory store locked ${o.outageSeconds} s`);
    await new Promise((r) => locker.once('exit', r));
  };
  const rebalance = (app: 'router' | 'mcp-worker' | 'supervisor') => async () => {
    await fleet.start(app, `${app}#2`);
    faults.push(`second ${app} joined`);
    await sleep(3000);
    await fleet.stop(`${app}#2`);
    faults.push(`second ${app} left`);
  };
  const secondWriter = shared ? 'memory-writer#2' : 'memory-writer';
  for (let i = 0; i < o.kills; i++) schedule.push({ name: 'kill', act: restart((['memory-writer', 'router', 'mcp-worker', 'supervisor', secondWriter] as const)[i % 5]) });
  for (let i = 0; i < o.rebalances; i++) schedule.push({ name: 'rebalance', act: rebalance((['router', 'mcp-worker', 'supervisor'] as const)[i % 3]) });
  for (let i = 0; i < o.brokerRestarts; i++) schedule.push({ name: 'broker', act: brokerRestart });
  for (let i = 0; i < o.registryRestarts; i++) schedule.push({ name: 'registry', act: registryRestart });
  if (o.outageSeconds > 0) schedule.push({ name: 'outage', act: memoryOutage });
  // Interleave kinds so faults of one kind do not bunch up.
  schedule.sort((a, b) => schedule.indexOf(a) % 3 - schedule.indexOf(b) % 3);

  // Lag metric vs broker, sampled through the run.
  const lagSamples: { at: string; metric: number; broker: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    const admin = ctx.bus.kafka.admin();
    await admin.connect().catch(() => undefined);
    const group = `${instance}-memory-writer`;
    while (sampling) {
      await sleep(o.sampleMs);
      try {
        const metric = await fleet.metric('memory-writer', 'phoenix_consumer_lag_messages', { group });
        if (metric === null) continue;
        const broker = (await brokerLag(admin, group, [topic])).lag;
        lagSamples.push({ at: new Date().toISOString(), metric, broker });
      } catch {
        /* broker restarting */
      }
    }
    await admin.disconnect().catch(() => undefined);
  })();

  // Load and faults at once.
  const loadStarted = Date.now();
  const loadSeconds = o.events / o.rate;
  const faultsDone = (async () => {
    for (let i = 0; i < schedule.length; i++) {
      const at = loadStarted + ((i + 1) / (schedule.length + 1)) * loadSeconds * 1000;
      await sleep(Math.max(0, at - Date.now()));
      log(`fault ${i + 1}/${schedule.length}: ${schedule[i].name}`);
      await schedule[i].act();
    }
  })();
  let lastLog = 0;
  const load: SoakLoadResult = await runLoad(
    { gatewayUrl: fleet.url('gateway'), apiKey: KEY, topic, events: o.events, rate: o.rate, memoryShare: o.memoryShare, toolShare: o.toolShare, webhookShare: o.webhookShare, webhookFlow: 'soak', webhookSecret: WEBHOOK_SECRET, keys: o.keys, maxAttempts: 60 },
    (sent, accepted) => {
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`sent ${sent}/${o.events}, accepted ${accepted}`);
      }
    },
  );
  // Kept with the work dir (--keep, or on a miss) for a post-mortem against the topic itself.
  fs.writeFileSync(path.join(work, 'accepted.jsonl'), [...load.accepted.values()].map((a) => JSON.stringify(a)).join('\n') + '\n');
  log(`load done: ${load.accepted.size} accepted in ${load.seconds.toFixed(0)} s, statuses ${JSON.stringify(load.statuses)}`);
  await faultsDone;

  // Poison straight to Kafka: bytes that are not the wire format, and the wire format with a
  // truncated Avro body under the topic's real schema id.
  // Just after the registry restart it may still be reading its storage back: wait for it.
  const good = await waitFor('the registry to serve the soak topic\'s schema', () => ctx.bus.codec.encode(topic, createEnvelope({ type: 'soak.plain', source: 'soak', key: 'poison', payload: { n: -1 } })), 120_000);
  // The broker may have been restarted just before: its partitions can still be electing leaders
  // for a while after it answers, so each send is retried until it is acknowledged.
  const producer = ctx.bus.kafka.producer();
  await waitFor('a producer connection', () => producer.connect().then(() => true), 120_000);
  for (let i = 0; i < o.poison; i++) {
    const value = i % 2 === 0 ? Buffer.from(`not an event ${i}`) : Buffer.concat([good.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff])]);
    await waitFor(`poison message ${i} to be acknowledged`, () => producer.send({ topic, acks: -1, messages: [{ key: `poison-${i}`, value }] }).then(() => true), 120_000);
  }
  await producer.disconnect();

  // Drain: every group caught up, memory outbox empty, every tool result in.
  const accepted = [...load.accepted.values()];
  const expectMemo = accepted.filter((e) => e.kind === 'memo');
  const expectTool = accepted.filter((e) => e.kind === 'tool');
  const groups = [`${instance}-router`, `${instance}-memory-writer`, `${instance}-mcp-worker.everything`];
  const admin = ctx.bus.kafka.admin();
  await waitFor('an admin connection', () => admin.connect().then(() => true), 120_000);
  const groupLag = async (group: string, topics: string[]) => (await brokerLag(admin, group, topics)).lag;
  const groupTopics: Record<string, string[]> = { [groups[0]]: [topic], [groups[1]]: [topic], [groups[2]]: [mcpCommandsTopic('everything')] };
  log('draining');
  await waitFor(
    'every group to catch up and the memory outbox to empty',
    async () => {
      for (const g of groups) if ((await groupLag(g, groupTopics[g])) !== 0) return false;
      const pending = await fleet.metric('memory-writer', 'phoenix_memory_outbox_pending');
      return pending === 0 ? true : false;
    },
    o.drainTimeoutMs,
    2000,
  ).catch((err) => log((err as Error).message));
  const results = await readToolResults(ctx, new Set(expectTool.map((e) => e.correlationId)), expectTool.length, o.drainTimeoutMs);
  const lagEnd = Object.fromEntries(await waitFor('the final group offsets', () => Promise.all(groups.map(async (g) => [g, await groupLag(g, groupTopics[g])] as const)), 60_000));
  const dlq = await waitFor('the DLQ offsets', () => dlqCounts(ctx, `${topic}.dlq`), 60_000);
  await admin.disconnect();
  sampling = false;
  await sampler;

  const rejoins = [...consumers, ...(shared ? ['memory-writer#2'] : [])].reduce((n, a) => n + fleet.count(a, /not aware of this member|re-joining the group/i), 0);
  await fleet.stopAll();

  // The books, read from the stores themselves after the writers have stopped.
  const stored = shared ? await snowflakeEventIds(ctx, topic) : await duckdbEventIds(path.join(dataDir, 'warehouse', 'phoenix.duckdb'), topic);
  const storedSet = new Set(stored);
  const missingRows = accepted.filter((e) => !storedSet.has(e.id)).length;
  const extraRows = stored.filter((id) => !load.accepted.has(id)).length;
  const memRows = shared ? await chromaMemories(shared) : sqliteMemories(path.join(dataDir, 'memory', 'vectors.db'));
  const memories = memRows.reduce((n, r) => n + r.n, 0);
  const dupMemories = memRows.filter((r) => r.n > 1).reduce((n, r) => n + r.n - 1, 0);
  const memSet = new Set(memRows.map((r) => r.e));
  const missingMem = expectMemo.filter((e) => !memSet.has(e.id)).length;
  // Kept with the work dir for a post-mortem of the lag row (times line up with the fault log).
  fs.writeFileSync(path.join(work, 'lag-samples.jsonl'), lagSamples.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const maxLagDiff = lagSamples.reduce((m, s) => Math.max(m, Math.abs(s.metric - s.broker)), 0);
  const lagTolerance = o.chunk + Math.ceil((o.rate * o.sampleMs * 2) / 1000);
  const dlqExpected = o.poison * 2; // the router's and the memory-writer's groups each dead-letter every poison message

  const rows: Row[] = [
    { check: 'events accepted (2xx)', expected: `${o.events} sent`, actual: `${accepted.length} (abandoned ${load.abandoned})`, ok: load.abandoned === 0 && accepted.length === o.events },
    { check: 'warehouse rows == distinct ids == accepted', expected: String(accepted.length), actual: `${stored.length} rows, ${storedSet.size} ids, ${missingRows} missing, ${extraRows} extra`, ok: stored.length === storedSet.size && missingRows === 0 && extraRows === 0 },
    { check: 'memories == memory-worthy accepted, no duplicates', expected: String(expectMemo.length), actual: `${memories} memories, ${dupMemories} duplicates, ${missingMem} missing`, ok: memories === expectMemo.length && dupMemories === 0 && missingMem === 0 },
    { check: 'routed MCP commands: a result each, none run twice', expected: String(expectTool.length), actual: `${results.ok} ok, ${results.unknown} rejected after a crash mid-call, ${results.duplicates} executed twice, ${results.missing} without a result (${results.rejected} redeliveries rejected)`, ok: results.ok + results.unknown === expectTool.length && results.duplicates === 0 && results.missing === 0 },
    { check: 'DLQ == poison (router + memory-writer groups)', expected: String(dlqExpected), actual: String(dlq), ok: dlq === dlqExpected },
    { check: 'consumer lag back to 0, no partition stalled', expected: '0 per group', actual: Object.entries(lagEnd).map(([g, l]) => `${g.slice(instance.length + 1)} ${l}`).join(', '), ok: Object.values(lagEnd).every((l) => l === 0) },
    { check: 'lag metric vs broker (sampled)', expected: `within ${lagTolerance}`, actual: `${lagSamples.length} samples, max difference ${maxLagDiff}`, ok: lagSamples.length > 0 && maxLagDiff <= lagTolerance },
    { check: 'group re-join loop', expected: 'none', actual: `${rejoins} re-join log lines`, ok: rejoins <= o.kills * 4 + o.rebalances * 4 + o.brokerRestarts * 8 },
  ];
  const ok = rows.every((r) => r.ok);
  writeReport(o, { run, topic, faults, load, rows, ok, lagSamples: lagSamples.length, brokers: stack.options.kafka.brokers });
  if (ok && !o.keep) fs.rmSync(work, { recursive: true, force: true });
  else log(`work dir kept: ${work}`);
  return { ok, rows };
}

/**
 * `mcp.results` of this run's routed commands (by correlation id): executions and rejections.
 * A worker killed mid-call leaves its ledger entry `started`; the redelivered command is then
 * answered `rejected` (the tool may have run, it never runs twice). Every command must have a
 * result of one of the two kinds and none may have run twice.
 */
async function readToolResults(ctx: AppContext, wanted: Set<string>, expected: number, timeoutMs: number): Promise<{ ok: number; duplicates: number; missing: number; rejected: number; unknown: number }> {
  const okBy = new Map<string, number>();
  let rejected = 0;
  const rejectedBy = new Set<string>();
  const answered = () => new Set([...okBy.keys(), ...rejectedBy]).size;
  const consumer = ctx.bus.kafka.consumer({ groupId: `soak-results-${Date.now()}` });
  await waitFor('a results consumer', () => consumer.connect().then(() => true), 60_000);
  await consumer.subscribe({ topic: TOPICS.mcpResults, fromBeginning: true });
  const codec: EventCodec = ctx.bus.codec;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = await codec.decode(TOPICS.mcpResults, message.value).catch(() => null);
      if (!e || !e.correlationId || !wanted.has(e.correlationId)) return;
      const status = (e.payload as McpResult).status;
      if (status === 'ok') okBy.set(e.correlationId, (okBy.get(e.correlationId) ?? 0) + 1);
      else if (status === 'rejected') {
        rejected++;
        rejectedBy.add(e.correlationId);
      }
    },
  });
  await waitFor('every tool result', async () => answered() >= expected, Math.min(timeoutMs, 120_000), 1000).catch(() => undefined);
  await sleep(2000);
  await consumer.disconnect();
  const duplicates = [...okBy.values()].reduce((n, c) => n + c - 1, 0);
  const unknown = [...rejectedBy].filter((c) => !okBy.has(c)).length;
  return { ok: okBy.size, duplicates, missing: [...wanted].filter((c) => !okBy.has(c) && !rejectedBy.has(c)).length, rejected, unknown };
}

async function dlqCounts(ctx: AppContext, dlq: string): Promise<number> {
  const admin = ctx.bus.kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(dlq);
  await admin.disconnect();
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

function writeReport(o: SoakOptions, r: { run: string; topic: string; faults: string[]; load: SoakLoadResult; rows: Row[]; ok: boolean; lagSamples: number; brokers: number }): void {
  const git = gitInfo(ROOT);
  const m = machineInfo(undefined, 'local stack');
  const table = ['| check | expected | actual | |', '|---|---|---|---|', ...r.rows.map((x) => `| ${x.check} | ${x.expected} | ${x.actual} | ${x.ok ? 'ok' : '**MISS**'} |`)].join('\n');
  const section = [
    `## ${o.label} — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — ${r.ok ? 'balanced' : 'NOT balanced'}`,
    '',
    `Commit ${git.commit.slice(0, 12)}${git.dirty ? ' (dirty)' : ''}; ${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}.`,
    `Kafka: ${r.brokers} broker(s)${r.brokers >= 3 ? ', replication factor 3, min.insync.replicas 2, acks=all' : ''}.`,
    o.sharedStores
      ? 'Stores: shared — two memory-writers in one group, Snowflake (fakesnow) as the warehouse, a Chroma server as the vector store.'
      : 'Stores: embedded — one memory-writer, DuckDB and the local Mem0 store.',
    `Parameters: ${o.events} events at ${o.rate}/s open loop, memory share ${o.memoryShare}, tool share ${o.toolShare}, signed webhook share ${o.webhookShare}, ${o.keys} keys (a fifth on one hot key), ${o.partitions} partitions, ${o.poison} poison messages.`,
    `Faults injected (${r.faults.length}): ${r.faults.join('; ') || 'none'}.`,
    `Load: ${r.load.accepted.size} accepted in ${r.load.seconds.toFixed(0)} s; answers ${JSON.stringify(r.load.statuses)}; ${r.load.retries} client retries, ${r.load.timeouts} timeouts.`,
    '',
    table,
    '',
  ].join('\n');
  prependSection(o.report, section);
  process.stdout.write(section + '\n');
}

if (require.main === module) {
  const o = parseSoakOptions(process.argv.slice(2));
  soak(o).then(
    (r) => process.exit(r.ok ? 0 : 1),
    (err) => {
      process.stderr.write(`soak failed: ${(err as Error).stack}\n`);
      process.exit(2);
    },
  );
}

/** Event ids of the soak topic's rows in the embedded warehouse. */
async function duckdbEventIds(file: string, topic: string): Promise<string[]> {
  const wh = await DuckDBInstance.create(file);
  const conn = await wh.connect();
  try {
    return (await conn.runAndReadAll(`SELECT event_id FROM RAW_EVENTS WHERE topic = '${topic}'`)).getRowObjects().map((r) => String(r.event_id));
  } finally {
    conn.closeSync();
    wh.closeSync();
  }
}

/** Event ids of the soak topic's rows in Snowflake (fakesnow), read with Phoenix's own driver. */
async function snowflakeEventIds(ctx: AppContext, topic: string): Promise<string[]> {
  const wh = new SnowflakeWarehouse(ctx.config.warehouse.snowflake!, ctx.logger);
  await wh.init();
  try {
    const { rows } = await wh.query(`SELECT EVENT_ID FROM RAW_EVENTS WHERE TOPIC = '${topic}'`);
    return rows.map((r) => String(r.EVENT_ID ?? r.event_id));
  } finally {
    await wh.close();
  }
}

/** Memories per event id in the embedded store's SQLite file. */
function sqliteMemories(file: string): { e: string; n: number }[] {
  const vdb = new Database(file, { readonly: true });
  try {
    return vdb.prepare(`SELECT json_extract(payload, '$.event_id') AS e, count(*) AS n FROM vectors GROUP BY e`).all() as { e: string; n: number }[];
  } finally {
    vdb.close();
  }
}

/** Memories per event id in the shared Chroma collection, read with Chroma's own client. */
async function chromaMemories(shared: SharedStores): Promise<{ e: string; n: number }[]> {
  const client = new ChromaClient({ host: shared.chroma.host, port: shared.chroma.port });
  const collection = await client.getCollection({ name: shared.collection });
  const byEvent = new Map<string, number>();
  for (let offset = 0; ; offset += 1000) {
    const page = await collection.get({ include: ['metadatas'], limit: 1000, offset });
    for (const m of page.metadatas) {
      const e = String((m as Record<string, unknown> | null)?.event_id ?? '');
      byEvent.set(e, (byEvent.get(e) ?? 0) + 1);
    }
    if (page.ids.length < 1000) break;
  }
  return [...byEvent].map(([e, n]) => ({ e, n }));
}
