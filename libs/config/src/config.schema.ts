import { z } from 'zod';

/** Environment variables whose values must never be printed. */
export const SECRET_VARS = new Set([
  'KAFKA_SASL_PASSWORD',
  'SCHEMA_REGISTRY_PASSWORD',
  'PHOENIX_API_KEYS',
  'PHOENIX_SERVICE_KEY',
  'LLM_API_KEY',
  'SNOWFLAKE_PASSWORD',
  'GITHUB_WEBHOOK_SECRETS',
  'GITLAB_WEBHOOK_TOKENS',
  'GITLAB_WEBHOOK_SIGNING_TOKENS',
]);

const csv = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter(Boolean));

const hostPortList = csv.pipe(
  z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1, 'at least one broker is required'),
);

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting Phoenix reads, keyed by its environment variable. This is the only place that
 * knows variable names; the rest of the code receives a typed {@link PhoenixConfig}.
 */
export const envSchema = z.object({
  PHOENIX_ENV: z.enum(['local', 'production']).default('local'),
  PHOENIX_INSTANCE: z.string().regex(/^[a-z0-9-]+$/).default('phoenix'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),

  KAFKA_BROKERS: hostPortList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).optional(),
  KAFKA_SSL: bool.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_CONNECTION_TIMEOUT_MS: int(100).default(3000),
  KAFKA_REQUEST_TIMEOUT_MS: int(100).default(30000),
  /** Default partition count for topics the catalogue does not size itself. */
  KAFKA_DEFAULT_PARTITIONS: int(1, 10000).default(3),
  KAFKA_REPLICATION_FACTOR: int(1, 10).default(1),

  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
  SCHEMA_REGISTRY_USERNAME: z.string().optional(),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional(),
  /** Register schemas from schemas/ on boot. On by default only on the local stack. */
  SCHEMA_AUTO_REGISTER: bool.optional(),

  /** 0: a publish is sent at once when no produce request is in flight; those made meanwhile share the next (see README, Configuration). */
  BUS_LINGER_MS: int(0, 1000).default(0),
  BUS_PRODUCER_CLIENT: z.enum(['kafkajs', 'confluent']).default('kafkajs'),
  BUS_BATCH_MAX_MESSAGES: int(1, 100000).default(1000),
  BUS_BUFFER_MAX_MESSAGES: int(1, 10000000).default(50000),
  BUS_SEND_TIMEOUT_MS: int(100).default(10000),
  BUS_MAX_ATTEMPTS: int(1, 100).default(5),
  BUS_RETRY_BACKOFF_MS: int(1).default(500),
  BUS_RETRY_BACKOFF_MAX_MS: int(1).default(60000),
  BUS_PARTITIONS_CONCURRENCY: int(1, 1000).default(4),
  /** A consumer that stops heartbeating (crashed pod) loses its partitions after this long. */
  BUS_SESSION_TIMEOUT_MS: int(6000, 300000).default(10000),
  /** How often consumer lag is read from the broker (log end minus committed offset). */
  BUS_LAG_SAMPLE_MS: int(500, 600000).default(5000),
  BUS_TOPIC_REFRESH_MS: int(0, 3600000).default(10000),
  /** A sink chunk is handed over once it is this old, full or not (bounds the work per chunk). */
  BUS_CHUNK_MAX_MS: int(10, 600000).default(1000),

  GATEWAY_HOST: z.string().default('127.0.0.1'),
  GATEWAY_PORT: int(0, 65535).default(8080),
  GATEWAY_MAX_BODY_BYTES: int(1024).default(1024 * 1024),
  GATEWAY_BATCH_MAX_EVENTS: int(1, 100000).default(1000),
  /** Publish requests the gateway holds at once; past this it answers 429 with Retry-After. */
  GATEWAY_MAX_IN_FLIGHT: int(1, 1000000).default(512),
  /** The console's feed in the gateway (live tail, lineage, rates): one consumer over every topic. */
  CONSOLE_FEED: bool.default(true),
  /** Events per partition the console's feed reads back when the gateway starts (0: new events only). */
  CONSOLE_LOOKBACK: int(0, 1000000).default(2000),
  /** Events the console's lineage index holds (the oldest leave first). */
  CONSOLE_LINEAGE_MAX: int(100, 10000000).default(50000),
  /** The feed starts when the console is first used and stops after this long unused (it costs the gateway throughput while it runs). */
  CONSOLE_IDLE_MS: int(1000, 86400000).default(600000),
  /**
   * Gateway processes sharing its port (the `gateway` app only; the standalone runner is one
   * process). One per core on a host that runs the gateway alone; 1 in a pod scaled by replicas.
   */
  GATEWAY_WORKERS: int(1, 64).default(1),
  /**
   * `haproxy`: HAProxy (2.2+) stands in front of the workers, on GATEWAY_HOST/GATEWAY_PORT, and
   * sheds floods itself (429 + Retry-After) so the workers' event loops only see what they can
   * serve; the workers listen on a Unix socket. `none`: the workers listen on the port.
   */
  GATEWAY_EDGE: z.enum(['none', 'haproxy']).default('none'),
  /** The HAProxy binary for GATEWAY_EDGE=haproxy. */
  GATEWAY_EDGE_BIN: z.string().min(1).default('haproxy'),
  /** Publish requests the edge passes to the workers at once (all workers together). */
  GATEWAY_EDGE_MAX_IN_FLIGHT: int(1, 100000).default(32),
  /** Publish requests that may wait at the edge for a free slot; past this the edge answers 429. */
  GATEWAY_EDGE_QUEUE: int(0, 100000).default(8),
  /** HAProxy threads (0: one per core). */
  GATEWAY_EDGE_THREADS: int(0, 64).default(0),
  /** Listen on this Unix socket instead of GATEWAY_HOST/PORT (set by the edge for its workers). */
  GATEWAY_SOCKET: z.string().min(1).optional(),
  /**
   * API keys and their scopes, `;`-separated: `[name@]<key or sha256:hex>=scope|scope…`, e.g.
   * `crm@sha256:9f86…=publish:cdc.*|read:cdc.*|memory:read:cdc.*;ana@k-…=user:ana|publish:interactions.*`.
   * Scopes are parsed by `@phoenix/access` (a bare topic glob, as before, means publish + read on
   * it). On the local stack a development key with every scope is used when this is not set.
   */
  PHOENIX_API_KEYS: z.string().optional(),
  /**
   * The credential Phoenix's pods present to each other (the workers to the memory-writer's data
   * MCP servers); a key or `sha256:<hex>` on the serving side. Required in production.
   */
  PHOENIX_SERVICE_KEY: z.string().optional(),
  GATEWAY_IDEMPOTENCY_TTL_MS: int(1000).default(24 * 3600 * 1000),
  /**
   * Code repository webhooks, `;`-separated `<repository or *>=<secret>`: the secret GitHub signs
   * each delivery with (X-Hub-Signature-256), per repository (`owner/name`) or for every one (`*`).
   * A repository with no entry (and no `*`) has its deliveries refused.
   */
  GITHUB_WEBHOOK_SECRETS: z.string().optional(),
  /** GitLab's secret token (X-Gitlab-Token), per project path (`group/sub/project`) or `*`. */
  GITLAB_WEBHOOK_TOKENS: z.string().optional(),
  /** GitLab's signing token (`whsec_<base64>`), per project or `*`: where set, the webhook-signature must verify too. */
  GITLAB_WEBHOOK_SIGNING_TOKENS: z.string().optional(),
  /** Where code hosts reach the gateway (printed by `phoenix webhooks secret`); the gateway's own address when unset. */
  PHOENIX_PUBLIC_URL: z.url().optional(),

  HEALTH_PORT: int(0, 65535).default(9464),
  /** MCP servers this worker process serves (comma-separated names); all configured when unset. */
  MCP_WORKER_SERVERS: csv.optional(),
  /** OpenAI-compatible endpoint for the LLM planner (and later LLM features); off when unset. */
  LLM_BASE_URL: z.url().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_MODEL: z.string().default('gpt-4o-mini'),
  /** Per request to the LLM endpoint; a local model that serves one request at a time may need more while others queue. */
  LLM_TIMEOUT_MS: int(1000, 3600000).default(60000),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),

  /** duckdb (embedded, default when no Snowflake account is set) or snowflake. */
  WAREHOUSE: z.enum(['duckdb', 'snowflake']).optional(),
  WAREHOUSE_DUCKDB_PATH: z.string().optional(),
  SNOWFLAKE_ACCOUNT: z.string().optional(),
  SNOWFLAKE_USERNAME: z.string().optional(),
  SNOWFLAKE_PASSWORD: z.string().optional(),
  SNOWFLAKE_DATABASE: z.string().default('PHOENIX'),
  SNOWFLAKE_SCHEMA: z.string().default('PUBLIC'),
  SNOWFLAKE_WAREHOUSE: z.string().optional(),
  SNOWFLAKE_ROLE: z.string().optional(),
  /** Overrides the account URL (e.g. a local fakesnow for tests). */
  SNOWFLAKE_ACCESS_URL: z.url().optional(),
  /** Rows a warehouse query tool may return. */
  WAREHOUSE_QUERY_MAX_ROWS: int(1, 100000).default(200),
  MEMORY_WRITER_BATCH: int(1, 100000).default(2000),
  MEMORY_WRITER_WAIT_MS: int(0, 60000).default(250),
  PHOENIX_CONFIG_DIR: z.string().optional(),
  PHOENIX_DATA_DIR: z.string().optional(),
  /** Where downloaded models live (outside the repo). */
  PHOENIX_MODELS_DIR: z.string().optional(),
});

export type PhoenixEnv = z.infer<typeof envSchema>;
