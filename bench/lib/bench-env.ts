import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { findProjectRoot } from '@phoenix/config';
import { AppContext } from '@phoenix/runtime';
import { ensureKafka, ensureLocalStack, StackManager, stackOptions } from '@phoenix/stack';
import { BenchOptions } from './options';
import { log, sleep, until } from './log';
import { mcpCommandsTopic } from '@phoenix/contracts';

/** Partitions of every bench topic (the core event topics have 6). */
export const BENCH_PARTITIONS = 6;

export interface BenchTopics {
  /** P1: `libs/bus` publish target. */
  p1: string;
  /** P2: gateway → router ingress. */
  e2e: string;
  /** P3/P4: the events the warehouse sink and the replay read. */
  sink: string;
  /** P5: where the signed webhook lands. */
  hook: string;
  /** P2: the worker's command topic (mcp.commands.<server>). */
  command: string;
  /** B1/B1a/B2: raw producer baselines (not in the catalogue, same partitions and configs). */
  rawProduce: string;
  /** P2 baseline: raw produce→consume. */
  rawE2e: string;
  /** P7: memory-worthy events for the memory-writer. */
  p7: string;
  /** P8: the router's input, and where its rule sends every event. */
  p8In: string;
  p8Out: string;
  /** B8: the raw pipe's input and output. */
  rawPipeIn: string;
  rawPipeOut: string;
  /** B9: the raw three-hop pipe (hop0 → hop1 → hop2 → hop3). */
  rawHops: string[];
}

/**
 * What every measure shares: the local stack (started like the tests start it), a config
 * directory declaring this run's topics, MCP server, route, webhook flow and memory rules,
 * and bookkeeping of what to delete at the end.
 */
export class BenchEnv {
  readonly root = findProjectRoot();
  readonly runId = Date.now().toString(36);
  readonly tmp = fs.mkdtempSync(path.join(os.tmpdir(), `phoenix-bench-${this.runId}-`));
  readonly configDir = path.join(this.tmp, 'config');
  readonly server = `bench${this.runId}`;
  readonly apiKey = `bench-${randomBytes(12).toString('hex')}`;
  readonly webhookSecret = randomBytes(24).toString('hex');
  readonly topics: BenchTopics;
  readonly instance = `bench-${this.runId}`;
  env: NodeJS.ProcessEnv = {};
  kafkaLibs?: string;
  stack!: StackManager;
  private readonly groups = new Set<string>();
  private readonly contexts = new Set<AppContext>();

  constructor(readonly options: BenchOptions) {
    const p = `bench-${this.runId}`;
    this.topics = {
      p1: `events.${p}-p1`,
      e2e: `events.${p}-e2e`,
      sink: `events.${p}-sink`,
      hook: `events.${p}-hook`,
      command: mcpCommandsTopic(this.server),
      rawProduce: `bench.raw-${this.runId}-produce`,
      rawE2e: `bench.raw-${this.runId}-e2e`,
      p7: `events.${p}-p7`,
      p8In: `events.${p}-p8`,
      p8Out: `events.${p}-p8out`,
      rawPipeIn: `bench.raw-${this.runId}-pipe-in`,
      rawPipeOut: `bench.raw-${this.runId}-pipe-out`,
      rawHops: [0, 1, 2, 3].map((i) => `bench.raw-${this.runId}-hop${i}`),
    };
  }

  /** Brings the stack up (reused when running), writes the config, creates the topics. */
  async prepare(): Promise<void> {
    // kafkajs reads this when its producers are created.
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    const stackEnv = await ensureLocalStack((m) => log(`[stack] ${m}`), process.env);
    const so = stackOptions(stackEnv);
    this.stack = new StackManager(so);
    this.kafkaLibs = await ensureKafka(so.cacheDir, so.kafka.version, (m) => log(`[stack] ${m}`));
    this.writeConfig();
    this.env = {
      ...stackEnv,
      PHOENIX_ENV: 'local',
      PHOENIX_CONFIG_DIR: this.configDir,
      PHOENIX_DATA_DIR: path.join(this.tmp, 'data'),
      PHOENIX_INSTANCE: this.instance,
      PHOENIX_API_KEYS: `${this.apiKey}=*`,
      LOG_LEVEL: this.options.logLevel,
      WAREHOUSE: 'duckdb',
      FIXTURE_STATE_DIR: path.join(this.tmp, 'fixture-state'),
      SNOWFLAKE_DISABLE_PLATFORM_DETECTION: 'true',
      // Sink tuning knobs pass through, so their effect can be measured (`MEMORY_WRITER_BATCH=2000 npm run bench -- --only P3`).
      ...Object.fromEntries(['MEMORY_WRITER_BATCH', 'MEMORY_WRITER_WAIT_MS', 'BUS_PARTITIONS_CONCURRENCY'].filter((k) => process.env[k]).map((k) => [k, process.env[k]!])),
    };
    await this.createTopics();
  }

  get brokers(): string[] {
    return String(this.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  }

  /** PIDs whose CPU the reports show next to the bench process's own. */
  watchedPids(): Record<string, number | undefined> {
    return { broker: this.stack.pid('kafka') };
  }

  private writeConfig(): void {
    const t = this.topics;
    fs.mkdirSync(this.configDir, { recursive: true });
    const w = (f: string, s: string) => fs.writeFileSync(path.join(this.configDir, f), s);
    w(
      'topics.yaml',
      `topics:\n` +
        `  - { name: ${t.p1}, partitions: ${BENCH_PARTITIONS}, consumed: false, description: "bench P1" }\n` +
        `  - { name: ${t.e2e}, partitions: ${BENCH_PARTITIONS}, description: "bench P2" }\n` +
        `  - { name: ${t.sink}, partitions: ${BENCH_PARTITIONS}, description: "bench P3/P4" }\n` +
        `  - { name: ${t.hook}, partitions: ${BENCH_PARTITIONS}, consumed: false, description: "bench P5" }\n` +
        `  - { name: ${t.p7}, partitions: ${BENCH_PARTITIONS}, description: "bench P7 memories" }\n` +
        `  - { name: ${t.p8In}, partitions: ${BENCH_PARTITIONS}, description: "bench P8 router input" }\n` +
        `  - { name: ${t.p8Out}, partitions: ${BENCH_PARTITIONS}, consumed: false, description: "bench P8 router output" }\n` +
        // Never created: the router's cdc.* handler needs a catalogue topic to bind to.
        `  - { name: cdc.bench${this.runId}.unused, partitions: 1, consumed: false, description: "bench: catalogue only" }\n`,
    );
    // A real MCP server over stdio (the official SDK); its `sleep` tool with ms: 0 answers at once.
    w(
      'mcp-servers.yaml',
      `servers:\n  - name: ${this.server}\n    transport:\n      type: stdio\n      command: ${JSON.stringify(process.execPath)}\n      args: [test/fixtures/mcp/fixture-server.js, bench]\n      env: { FIXTURE_STATE_DIR: "\${FIXTURE_STATE_DIR}" }\n`,
    );
    w(
      'routes.yaml',
      `routes:\n  - name: bench-e2e\n    match: { topics: "${t.e2e}" }\n    emit:\n      - mcp: { server: ${this.server}, tool: sleep, arguments: { ms: 0 } }\n` +
        `  - name: bench-p8\n    match: { topics: "${t.p8In}" }\n    emit:\n      - topic: { name: ${t.p8Out} }\n`,
    );
    w(
      'n8n-flows.yaml',
      `n8n:\n  baseUrl: "\${BENCH_N8N_URL:-http://127.0.0.1:5678}"\n  owner: { email: "phoenix-bench@localhost.dev", password: "Phoenix-bench-1" }\n  workflowsDir: bench/n8n\n` +
        `flows:\n  - name: bench\n    inbound: { topic: ${t.hook}, type: bench.webhook, secret: "${this.webhookSecret}" }\n`,
    );
    // Warehouse only: P3 measures the exactly-once warehouse sink, not embedding.
    w('memory.yaml', `topics: { include: ["${t.sink}"] }\nmemories:\n  - match: { topics: "*" }\n    skip: true\nstore: { infer: "off" }\n`);
  }

  /** An AppContext on this run's config (like the specs' testContext), closed at cleanup. */
  context(app: string, overrides: Record<string, string> = {}): AppContext {
    const ctx = AppContext.create(app, { ...this.env, ...overrides });
    this.contexts.add(ctx);
    return ctx;
  }

  async closeContext(ctx: AppContext): Promise<void> {
    this.contexts.delete(ctx);
    await ctx.close();
  }

  /** A plain kafkajs client for the raw baselines. */
  kafka(clientId = 'phoenix-bench'): Kafka {
    return new Kafka({ clientId, brokers: this.brokers, logLevel: logLevel.NOTHING });
  }

  /** Consumer groups to delete at the end. */
  group(name: string): string {
    this.groups.add(name);
    return name;
  }

  private benchTopicNames(): string[] {
    const t = this.topics;
    return [t.p1, t.e2e, t.sink, t.hook, t.command, t.p7, t.p8In, t.p8Out];
  }

  private async createTopics(): Promise<void> {
    const ctx = this.context('bench-setup');
    const admin = this.kafka().admin();
    try {
      // The whole catalogue, as `phoenix topics apply` creates it: the apps under test subscribe to
      // core topics (memory.requests, interactions.*) that a fresh stack does not have yet.
      const specs = ctx.bus.catalogue.allTopics();
      await admin.connect();
      const raw = [this.topics.rawProduce, this.topics.rawE2e, this.topics.rawPipeIn, this.topics.rawPipeOut, ...this.topics.rawHops];
      // A loaded single broker sometimes answers metadata before the new partitions are hosted;
      // creation is idempotent, so try again, then wait until every partition has a leader.
      for (let attempt = 1; ; attempt++) {
        try {
          await ctx.bus.admin.apply(specs);
          const existing = new Set(await admin.listTopics());
          const missing = raw.filter((n) => !existing.has(n));
          // The same partitions and configs as the catalogue gives the bench's event topics.
          if (missing.length) {
            await admin.createTopics({
              topics: missing.map((topic) => ({ topic, numPartitions: BENCH_PARTITIONS, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'delete' }, { name: 'retention.ms', value: '-1' }] })),
            });
          }
          break;
        } catch (err) {
          if (attempt >= 5) throw err;
          await sleep(1000);
        }
      }
      const names = [...specs.map((s) => s.name), ...raw];
      await until(
        'leaders for the bench topics',
        async () => {
          const md = await admin.fetchTopicMetadata({ topics: names }).catch(() => null);
          return !!md && md.topics.length === names.length && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        },
        60000,
        250,
      );
    } finally {
      await admin.disconnect();
      await this.closeContext(ctx);
    }
  }

  /** Deletes this run's topics, groups, schema subjects and files (unless --keep). */
  async cleanup(): Promise<void> {
    for (const ctx of [...this.contexts]) await this.closeContext(ctx).catch(() => undefined);
    if (this.options.keep) {
      log(`keeping topics (*${this.runId}*), groups and ${this.tmp} (--keep)`);
      return;
    }
    const admin = this.kafka().admin();
    try {
      await admin.connect();
      const all = await admin.listTopics();
      const doomed = all.filter((n) => n.includes(`bench-${this.runId}`) || n.includes(`raw-${this.runId}`) || n.startsWith(this.topics.command));
      if (doomed.length) await admin.deleteTopics({ topics: doomed, timeout: 30000 });
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => this.groups.has(g) || g.startsWith(this.instance));
      if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
      log(`deleted ${doomed.length} topics and ${groups.length} consumer groups`);
    } catch (err) {
      log(`cleanup of topics/groups failed: ${(err as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    const ctx = AppContext.create('bench-cleanup', this.env);
    try {
      for (const t of this.benchTopicNames()) {
        const subject = `${t}-value`;
        await ctx.bus.codec.client.deleteSubject(subject, false).catch(() => undefined);
        await ctx.bus.codec.client.deleteSubject(subject, true).catch(() => undefined);
      }
    } finally {
      await ctx.close().catch(() => undefined);
    }
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
