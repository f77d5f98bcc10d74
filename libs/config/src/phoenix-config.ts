import { SASLOptions } from 'kafkajs';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from './config.exception';
import { envSchema, PhoenixEnv, SECRET_VARS } from './config.schema';
import { findProjectRoot } from './project-root';

/**
 * One configured API key: its name (who, in audit events and metrics), the SHA-256 of the key
 * (keys may be configured hashed, `sha256:<hex>`, so config holds no usable secret) and its
 * scopes as written (`publish:events.*`, `memory:read`, `user:ana` …; `@phoenix/access` parses
 * and checks them at boot).
 */
export interface ApiKeyGrant {
  name: string;
  /** Hex SHA-256 of the key. */
  sha256: string;
  scopes: string[];
}

/**
 * Webhook secrets of one provider: per repository (keys lower-cased: hosts compare repository
 * names without case) and, optionally, one for every other repository.
 */
export interface RepoSecrets {
  repos: Record<string, string>;
  any?: string;
}

/** Typed, validated configuration shared by every app and lib. */
export interface PhoenixConfig {
  env: 'local' | 'production';
  instance: string;
  log: { level: string; pretty: boolean };
  kafka: {
    brokers: string[];
    clientId: string;
    ssl: boolean;
    sasl?: SASLOptions;
    connectionTimeoutMs: number;
    requestTimeoutMs: number;
    defaultPartitions: number;
    replicationFactor: number;
  };
  registry: {
    url: string;
    basicAuth?: { username: string; password: string };
    autoRegister: boolean;
  };
  bus: {
    lingerMs: number;
    /** kafkajs, or librdkafka via @confluentinc/kafka-javascript (BUS_PRODUCER_CLIENT). */
    producerClient: 'kafkajs' | 'confluent';
    batchMaxMessages: number;
    bufferMaxMessages: number;
    sendTimeoutMs: number;
    maxAttempts: number;
    retryBackoffMs: number;
    retryBackoffMaxMs: number;
    partitionsConcurrency: number;
    sessionTimeoutMs: number;
    lagSampleMs: number;
    /** How often consumers look for new topics matching their patterns (0: never). */
    topicRefreshMs: number;
    chunkMaxMs: number;
  };
  gateway: {
    host: string;
    port: number;
    maxBodyBytes: number;
    batchMaxEvents: number;
    maxInFlight: number;
    workers: number;
    /** Where the workers listen instead of host:port (behind the edge). */
    socket?: string;
    /** HAProxy in front of the workers (GATEWAY_EDGE), or none. */
    edge: { kind: 'none' | 'haproxy'; bin: string; maxInFlight: number; queue: number; threads: number };
    apiKeys: ApiKeyGrant[];
    /** The credential Phoenix's own pods present to each other (workers → the data MCP servers). */
    serviceKey: ApiKeyGrant;
    idempotencyTtlMs: number;
    /** The console's feed: on or off, look-back per partition and lineage index size. */
    console: { feed: boolean; lookback: number; lineageMax: number; idleMs: number };
  };
  health: { port: number };
  mcp: { workerServers?: string[] };
  llm?: { baseUrl: string; apiKey?: string; model: string; timeoutMs: number };
  warehouse: {
    kind: 'duckdb' | 'snowflake';
    duckdbPath: string;
    snowflake?: { account: string; username: string; password: string; database: string; schema: string; warehouse?: string; role?: string; accessUrl?: string };
    queryMaxRows: number;
  };
  memoryWriter: { batch: number; waitMs: number };
  /** Code repository webhooks: the secrets each provider signs with, and the URL hosts reach the gateway at. */
  codeRepos: { github: RepoSecrets; gitlab: { tokens: RepoSecrets; signingTokens: RepoSecrets }; publicUrl?: string };
  tracing: { otlpEndpoint?: string; serviceName?: string };
  paths: { root: string; config: string; data: string; models: string };
}

/** The key the local stack accepts when PHOENIX_API_KEYS is not set. Never valid in production. */
export const LOCAL_DEV_API_KEY = 'phoenix-local-dev-key';
/** The service credential of the local stack when PHOENIX_SERVICE_KEY is not set. Never valid in production. */
export const LOCAL_SERVICE_KEY = 'phoenix-local-service-key';
/** What the service credential may do: read every topic's rows and memories, write memories, follow tasks. */
export const SERVICE_SCOPES = ['read:*', 'memory:read', 'memory:write', 'tasks:read'];

const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** `<key>` or `sha256:<64 hex>`, optionally named `<name>@…`. */
function parseKey(raw: string, index: number, problems: string[]): { name: string; sha256: string } {
  const at = raw.indexOf('@');
  const name = at > 0 ? raw.slice(0, at) : `key-${index + 1}`;
  const secret = at > 0 ? raw.slice(at + 1) : raw;
  if (at > 0 && !/^[A-Za-z0-9._-]{1,64}$/.test(name)) problems.push(`PHOENIX_API_KEYS: entry ${index + 1} has a name that is not 1-64 of [A-Za-z0-9._-]`);
  if (secret.startsWith('sha256:')) {
    const hex = secret.slice(7).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) problems.push(`PHOENIX_API_KEYS: entry ${index + 1} has a sha256: digest that is not 64 hex digits`);
    return { name, sha256: hex };
  }
  if (secret.length < 16) problems.push(`PHOENIX_API_KEYS: entry ${index + 1} has a key shorter than 16 characters`);
  return { name, sha256: sha256Hex(secret) };
}

function parseApiKeys(raw: string | undefined, env: PhoenixConfig['env']): ApiKeyGrant[] {
  if (!raw) {
    if (env === 'production') {
      throw new ConfigError(['PHOENIX_API_KEYS: required when PHOENIX_ENV=production']);
    }
    return [{ name: 'local-dev', sha256: sha256Hex(LOCAL_DEV_API_KEY), scopes: ['*'] }];
  }
  const problems: string[] = [];
  const grants = raw
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const eq = entry.indexOf('=');
      const { name, sha256 } = parseKey(eq < 0 ? entry : entry.slice(0, eq), i, problems);
      const scopes = eq < 0 ? ['*'] : entry.slice(eq + 1).split('|').map((s) => s.trim()).filter(Boolean);
      if (scopes.length === 0) problems.push(`PHOENIX_API_KEYS: entry ${i + 1} has no scopes`);
      return { name, sha256, scopes };
    });
  const names = grants.map((g) => g.name);
  for (const n of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`PHOENIX_API_KEYS: the name ${n} is used twice`);
  if (problems.length) throw new ConfigError(problems);
  return grants;
}

function parseServiceKey(raw: string | undefined, env: PhoenixConfig['env']): ApiKeyGrant {
  if (!raw) {
    if (env === 'production') throw new ConfigError(['PHOENIX_SERVICE_KEY: required when PHOENIX_ENV=production (the data MCP servers refuse calls without it)']);
    return { name: 'service', sha256: sha256Hex(LOCAL_SERVICE_KEY), scopes: SERVICE_SCOPES };
  }
  const problems: string[] = [];
  const { sha256 } = parseKey(raw, 0, problems);
  if (problems.length) throw new ConfigError(problems.map((p) => p.replace('PHOENIX_API_KEYS: entry 1', 'PHOENIX_SERVICE_KEY')));
  return { name: 'service', sha256, scopes: SERVICE_SCOPES };
}

/** `<repository or *>=<secret>;…` → {@link RepoSecrets}; `check` names what a secret must be. */
function parseRepoSecrets(variable: string, raw: string | undefined, problems: string[], check: (secret: string) => string | null = (v) => (v.length < 8 ? 'shorter than 8 characters' : null)): RepoSecrets {
  const out: RepoSecrets = { repos: {} };
  (raw ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const eq = entry.indexOf('=');
      const repo = eq < 0 ? '' : entry.slice(0, eq).trim().toLowerCase();
      const secret = eq < 0 ? '' : entry.slice(eq + 1).trim();
      if (!repo || !(repo === '*' || /^[a-z0-9_.-]+(\/[a-z0-9_.-]+)+$/.test(repo))) {
        problems.push(`${variable}: entry ${i + 1} must be <owner/name or *>=<secret>`);
        return;
      }
      const bad = check(secret);
      if (bad) problems.push(`${variable}: the secret for ${repo} is ${bad}`);
      if (repo === '*' ? out.any !== undefined : repo in out.repos) problems.push(`${variable}: ${repo} is listed twice`);
      if (repo === '*') out.any = secret;
      else out.repos[repo] = secret;
    });
  return out;
}

/** A Standard Webhooks key: `whsec_` and base64 of at least 16 bytes. */
function signingTokenProblem(v: string): string | null {
  const b64 = v.replace(/^whsec_/, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || Buffer.from(b64, 'base64').length < 16) return 'not whsec_<base64 of at least 16 bytes>';
  return null;
}

function toConfig(e: PhoenixEnv): PhoenixConfig {
  const problems: string[] = [];
  let sasl: SASLOptions | undefined;
  if (e.KAFKA_SASL_MECHANISM) {
    if (!e.KAFKA_SASL_USERNAME || !e.KAFKA_SASL_PASSWORD) {
      problems.push('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD: required with KAFKA_SASL_MECHANISM');
    } else {
      sasl = { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD } as SASLOptions;
    }
  }
  if (e.BUS_RETRY_BACKOFF_MAX_MS < e.BUS_RETRY_BACKOFF_MS) {
    problems.push('BUS_RETRY_BACKOFF_MAX_MS: must be >= BUS_RETRY_BACKOFF_MS');
  }
  if (e.PHOENIX_ENV === 'production' && e.SCHEMA_AUTO_REGISTER) {
    problems.push('SCHEMA_AUTO_REGISTER: must stay off in production; register schemas with `phoenix schemas register`');
  }
  const warehouseKind = e.WAREHOUSE ?? (e.SNOWFLAKE_ACCOUNT ? 'snowflake' : 'duckdb');
  if (warehouseKind === 'snowflake' && (!e.SNOWFLAKE_ACCOUNT || !e.SNOWFLAKE_USERNAME || !e.SNOWFLAKE_PASSWORD)) {
    problems.push('SNOWFLAKE_ACCOUNT, SNOWFLAKE_USERNAME and SNOWFLAKE_PASSWORD: required with WAREHOUSE=snowflake');
  }
  const codeRepos: PhoenixConfig['codeRepos'] = {
    github: parseRepoSecrets('GITHUB_WEBHOOK_SECRETS', e.GITHUB_WEBHOOK_SECRETS, problems),
    gitlab: {
      tokens: parseRepoSecrets('GITLAB_WEBHOOK_TOKENS', e.GITLAB_WEBHOOK_TOKENS, problems),
      signingTokens: parseRepoSecrets('GITLAB_WEBHOOK_SIGNING_TOKENS', e.GITLAB_WEBHOOK_SIGNING_TOKENS, problems, signingTokenProblem),
    },
    publicUrl: e.PHOENIX_PUBLIC_URL?.replace(/\/+$/, ''),
  };
  if (problems.length) throw new ConfigError(problems);

  const root = findProjectRoot();
  const data = path.resolve(root, e.PHOENIX_DATA_DIR ?? '.data');
  return {
    env: e.PHOENIX_ENV,
    instance: e.PHOENIX_INSTANCE,
    // Readable lines on a terminal, JSON lines otherwise (pipes, files, containers), unless set.
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? process.stdout.isTTY === true },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID ?? e.PHOENIX_INSTANCE,
      ssl: e.KAFKA_SSL,
      sasl,
      connectionTimeoutMs: e.KAFKA_CONNECTION_TIMEOUT_MS,
      requestTimeoutMs: e.KAFKA_REQUEST_TIMEOUT_MS,
      defaultPartitions: e.KAFKA_DEFAULT_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
    },
    registry: {
      url: e.SCHEMA_REGISTRY_URL.replace(/\/+$/, ''),
      basicAuth:
        e.SCHEMA_REGISTRY_USERNAME && e.SCHEMA_REGISTRY_PASSWORD
          ? { username: e.SCHEMA_REGISTRY_USERNAME, password: e.SCHEMA_REGISTRY_PASSWORD }
          : undefined,
      autoRegister: e.SCHEMA_AUTO_REGISTER ?? e.PHOENIX_ENV === 'local',
    },
    bus: {
      lingerMs: e.BUS_LINGER_MS,
      producerClient: e.BUS_PRODUCER_CLIENT,
      batchMaxMessages: e.BUS_BATCH_MAX_MESSAGES,
      bufferMaxMessages: e.BUS_BUFFER_MAX_MESSAGES,
      sendTimeoutMs: e.BUS_SEND_TIMEOUT_MS,
      maxAttempts: e.BUS_MAX_ATTEMPTS,
      retryBackoffMs: e.BUS_RETRY_BACKOFF_MS,
      retryBackoffMaxMs: e.BUS_RETRY_BACKOFF_MAX_MS,
      partitionsConcurrency: e.BUS_PARTITIONS_CONCURRENCY,
      sessionTimeoutMs: e.BUS_SESSION_TIMEOUT_MS,
      lagSampleMs: e.BUS_LAG_SAMPLE_MS,
      topicRefreshMs: e.BUS_TOPIC_REFRESH_MS,
      chunkMaxMs: e.BUS_CHUNK_MAX_MS,
    },
    gateway: {
      host: e.GATEWAY_HOST,
      port: e.GATEWAY_PORT,
      maxBodyBytes: e.GATEWAY_MAX_BODY_BYTES,
      batchMaxEvents: e.GATEWAY_BATCH_MAX_EVENTS,
      maxInFlight: e.GATEWAY_MAX_IN_FLIGHT,
      workers: e.GATEWAY_WORKERS,
      socket: e.GATEWAY_SOCKET,
      edge: { kind: e.GATEWAY_EDGE, bin: e.GATEWAY_EDGE_BIN, maxInFlight: e.GATEWAY_EDGE_MAX_IN_FLIGHT, queue: e.GATEWAY_EDGE_QUEUE, threads: e.GATEWAY_EDGE_THREADS },
      apiKeys: parseApiKeys(e.PHOENIX_API_KEYS, e.PHOENIX_ENV),
      serviceKey: parseServiceKey(e.PHOENIX_SERVICE_KEY, e.PHOENIX_ENV),
      idempotencyTtlMs: e.GATEWAY_IDEMPOTENCY_TTL_MS,
      console: { feed: e.CONSOLE_FEED, lookback: e.CONSOLE_LOOKBACK, lineageMax: e.CONSOLE_LINEAGE_MAX, idleMs: e.CONSOLE_IDLE_MS },
    },
    health: { port: e.HEALTH_PORT },
    mcp: { workerServers: e.MCP_WORKER_SERVERS && e.MCP_WORKER_SERVERS.length ? e.MCP_WORKER_SERVERS : undefined },
    warehouse: {
      kind: warehouseKind,
      duckdbPath: path.resolve(root, e.WAREHOUSE_DUCKDB_PATH ?? path.join(data, 'warehouse', 'phoenix.duckdb')),
      snowflake:
        warehouseKind === 'snowflake'
          ? { account: e.SNOWFLAKE_ACCOUNT!, username: e.SNOWFLAKE_USERNAME!, password: e.SNOWFLAKE_PASSWORD!, database: e.SNOWFLAKE_DATABASE, schema: e.SNOWFLAKE_SCHEMA, warehouse: e.SNOWFLAKE_WAREHOUSE, role: e.SNOWFLAKE_ROLE, accessUrl: e.SNOWFLAKE_ACCESS_URL }
          : undefined,
      queryMaxRows: e.WAREHOUSE_QUERY_MAX_ROWS,
    },
    memoryWriter: { batch: e.MEMORY_WRITER_BATCH, waitMs: e.MEMORY_WRITER_WAIT_MS },
    codeRepos,
    llm: e.LLM_BASE_URL ? { baseUrl: e.LLM_BASE_URL.replace(/\/+$/, ''), apiKey: e.LLM_API_KEY, model: e.LLM_MODEL, timeoutMs: e.LLM_TIMEOUT_MS } : undefined,
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME },
    paths: {
      root,
      config: path.resolve(root, e.PHOENIX_CONFIG_DIR ?? 'config'),
      data,
      models: e.PHOENIX_MODELS_DIR ?? path.join(os.homedir(), '.cache', 'phoenix', 'models'),
    },
  };
}

/**
 * Loads and validates configuration from the environment. Throws {@link ConfigError} listing
 * every problem at once, so a misconfigured pod fails at boot with one readable message.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PhoenixConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return toConfig(parsed.data);
}

/** The environment Phoenix reads, with secrets masked — safe to log or print. */
export function redactedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const known = Object.keys(envSchema.shape);
  const out: Record<string, string> = {};
  for (const name of known) {
    const value = env[name];
    if (value === undefined) continue;
    out[name] = SECRET_VARS.has(name) ? '***' : value;
  }
  return out;
}
