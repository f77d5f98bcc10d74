import cluster from 'node:cluster';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { joinClusterMetrics } from './cluster-metrics';

/**
 * Phoenix's Prometheus metrics, one registry per process (the standalone runner hosts several
 * apps in one process; the `app` label tells them apart).
 */
export class PhoenixMetrics {
  readonly registry = new Registry();

  readonly published = new Counter({
    name: 'phoenix_events_published_total',
    help: 'Events acknowledged by the broker, per topic.',
    labelNames: ['app', 'topic'],
    registers: [this.registry],
  });
  readonly publishFailures = new Counter({
    name: 'phoenix_publish_failures_total',
    help: 'Publishes that failed, per topic and error code.',
    labelNames: ['app', 'topic', 'code'],
    registers: [this.registry],
  });
  readonly producerBatchSize = new Histogram({
    name: 'phoenix_producer_batch_messages',
    help: 'Messages per producer request (batching across publish calls).',
    labelNames: ['app'],
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    registers: [this.registry],
  });
  readonly producerBuffered = new Gauge({
    name: 'phoenix_producer_buffered_messages',
    help: 'Messages waiting in the producer buffer.',
    labelNames: ['app'],
    registers: [this.registry],
  });
  readonly producerResets = new Counter({
    name: 'phoenix_producer_identity_resets_total',
    help: 'Times the idempotent producer took a new producer id because its sequence numbers fell out of step with a partition leader.',
    labelNames: ['app', 'reason'],
    registers: [this.registry],
  });
  readonly consumed = new Counter({
    name: 'phoenix_events_consumed_total',
    help: 'Events handled, per topic and outcome (ok, retry, dlq).',
    labelNames: ['app', 'topic', 'outcome'],
    registers: [this.registry],
  });
  readonly handlerSeconds = new Histogram({
    name: 'phoenix_handler_duration_seconds',
    help: 'Handler latency per topic.',
    labelNames: ['app', 'topic'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'phoenix_retries_total',
    help: 'Events sent to a retry topic.',
    labelNames: ['app', 'topic'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'phoenix_dead_letters_total',
    help: 'Events sent to a DLQ, per topic and error code.',
    labelNames: ['app', 'topic', 'code'],
    registers: [this.registry],
  });
  /** Refreshers run before the lag gauge is read, so a scrape sees the broker's current figure. */
  readonly lagRefreshers = new Set<() => Promise<unknown>>();
  readonly consumerLag = new Gauge({
    name: 'phoenix_consumer_lag_messages',
    help: "Log end offset minus the group's committed offset (where it resumes), per topic partition, read from the broker.",
    labelNames: ['app', 'group', 'topic', 'partition'],
    registers: [this.registry],
    collect: async () => {
      await Promise.all([...this.lagRefreshers].map((refresh) => refresh().catch(() => undefined)));
    },
  });
  readonly memoryOutboxPending = new Gauge({
    name: 'phoenix_memory_outbox_pending',
    help: 'Memory changes stored in the warehouse outbox and not yet applied to the memory store.',
    labelNames: ['app'],
    registers: [this.registry],
  });
  readonly mcpCalls = new Histogram({
    name: 'phoenix_mcp_call_duration_seconds',
    help: 'MCP tool calls per server, tool and result status.',
    labelNames: ['app', 'server', 'tool', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly routed = new Counter({
    name: 'phoenix_routed_total',
    help: 'Messages emitted by routing rules, per rule and target kind (mcp, task, n8n, topic), or skipped.',
    labelNames: ['app', 'rule', 'target', 'outcome'],
    registers: [this.registry],
  });
  readonly sinkBatch = new Histogram({
    name: 'phoenix_sink_batch_events',
    help: 'Events per sink write (warehouse, memory).',
    labelNames: ['app', 'sink'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  });
  readonly memoryChanges = new Counter({
    name: 'phoenix_memory_changes_total',
    help: 'Memories added or deleted, per namespace.',
    labelNames: ['app', 'op', 'namespace'],
    registers: [this.registry],
  });
  readonly httpRequests = new Counter({
    name: 'phoenix_http_requests_total',
    help: 'HTTP requests per route and status.',
    labelNames: ['app', 'method', 'route', 'status'],
    registers: [this.registry],
  });
  readonly httpShed = new Counter({
    name: 'phoenix_http_shed_total',
    help: 'Publish requests answered 429 by admission control before any routing (the gateway at its in-flight limit).',
    labelNames: ['app'],
    registers: [this.registry],
  });
  readonly httpSeconds = new Histogram({
    name: 'phoenix_http_request_duration_seconds',
    help: 'HTTP latency per route.',
    labelNames: ['app', 'method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'phoenix_' });
    if (cluster.isWorker) joinClusterMetrics(this.registry);
  }
}
