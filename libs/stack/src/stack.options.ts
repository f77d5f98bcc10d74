import * as os from 'node:os';
import * as path from 'node:path';
import { findProjectRoot } from '@phoenix/config';

/** `kafka` is the cluster's first node; `kafka-2` … exist when STACK_KAFKA_BROKERS > 1. */
export type ServiceName = 'kafka' | 'registry' | 'n8n' | 'llm' | `kafka-${number}`;
/** Started by `stack up` without arguments; n8n and the local model only on request (`stack up n8n llm`). */
export const DEFAULT_SERVICES: ServiceName[] = ['kafka', 'registry'];
export const ALL_SERVICES: ServiceName[] = ['kafka', 'registry', 'n8n', 'llm'];

export interface StackOptions {
  /** Instance name; separate instances (other ports) can run side by side. */
  name: string;
  /** Where this instance keeps data, configs, logs and pid files. */
  dir: string;
  /** Downloads shared by every instance and checkout (Kafka jars, Apicurio). */
  cacheDir: string;
  /**
   * `brokers` KRaft nodes (each broker + controller); node n listens on port + 10·(n-1) and
   * controllerPort + 10·(n-1). With 3 or more: replication factor 3, min.insync.replicas 2.
   */
  kafka: { version: string; port: number; controllerPort: number; heap: string; brokers: number };
  registry: {
    version: string;
    port: number;
    managementPort: number;
    heap: string;
    /** kafkasql keeps schemas in Kafka, so they survive restarts like the data that uses them. */
    storage: 'kafkasql' | 'mem';
    javaHome?: string;
  };
  n8n: {
    port: number;
    /** Where n8n workflows reach Phoenix (its gateway). */
    phoenixUrl: string;
    /** Extra environment for workflows (secrets they sign with): PHOENIX_N8N_* variables. */
    env: Record<string, string>;
  };
  /**
   * The local model server (OpenAI-compatible, `${url}/v1`): SmolLM2-135M-Instruct unless `model`
   * names another GGUF file. One thread on two cores (a second only busy-waits). A context of 12k
   * tokens: Mem0's fact-extraction prompt alone is ~8.6k.
   */
  llm: { port: number; threads: number; ctx: number; model?: string };
}

const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);

/** Stack settings from the environment (all optional), e.g. `STACK_KAFKA_PORT=19092`. */
export function stackOptions(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<{ name: string; portOffset: number; registryStorage: 'kafkasql' | 'mem'; n8nEnv: Record<string, string>; phoenixUrl: string }> = {},
): StackOptions {
  const root = findProjectRoot();
  const name = overrides.name ?? env.PHOENIX_STACK_NAME ?? 'default';
  const offset = overrides.portOffset ?? 0;
  return {
    name,
    dir: path.resolve(root, env.PHOENIX_STACK_DIR ?? '.data/stack', name),
    cacheDir: env.PHOENIX_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'phoenix'),
    kafka: {
      version: '3.9.2',
      port: num(env.STACK_KAFKA_PORT, 9092) + offset,
      controllerPort: num(env.STACK_KAFKA_CONTROLLER_PORT, 9093) + offset,
      heap: env.STACK_KAFKA_HEAP ?? '512m',
      brokers: Math.min(5, Math.max(1, num(env.STACK_KAFKA_BROKERS, 1))),
    },
    registry: {
      version: '3.3.3',
      port: num(env.STACK_REGISTRY_PORT, 8081) + offset,
      managementPort: num(env.STACK_REGISTRY_MANAGEMENT_PORT, 9001) + offset,
      heap: env.STACK_REGISTRY_HEAP ?? '384m',
      storage: overrides.registryStorage ?? (env.STACK_REGISTRY_STORAGE === 'mem' ? 'mem' : 'kafkasql'),
      javaHome: env.STACK_REGISTRY_JAVA_HOME,
    },
    n8n: {
      port: num(env.STACK_N8N_PORT, 5678) + offset,
      phoenixUrl: overrides.phoenixUrl ?? env.STACK_N8N_PHOENIX_URL ?? 'http://127.0.0.1:8080',
      env: { ...overrides.n8nEnv, ...Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith('PHOENIX_N8N_') && e[1] !== undefined)) },
    },
    llm: {
      port: num(env.STACK_LLM_PORT, 8089) + offset,
      threads: Math.max(1, num(env.STACK_LLM_THREADS, 1)),
      ctx: num(env.STACK_LLM_CTX, 12288),
      model: env.STACK_LLM_GGUF || undefined,
    },
  };
}

/** The environment apps need to talk to this stack. */
export function kafkaNodePorts(o: StackOptions): { node: number; port: number; controllerPort: number }[] {
  return Array.from({ length: o.kafka.brokers }, (_, i) => ({ node: i + 1, port: o.kafka.port + 10 * i, controllerPort: o.kafka.controllerPort + 10 * i }));
}

/** host:port of every broker of the stack's cluster. */
export function kafkaBootstrap(o: StackOptions): string {
  return kafkaNodePorts(o)
    .map((n) => `127.0.0.1:${n.port}`)
    .join(',');
}

export function stackClientEnv(o: StackOptions): Record<string, string> {
  return {
    KAFKA_BROKERS: kafkaBootstrap(o),
    ...(o.kafka.brokers >= 3 ? { KAFKA_REPLICATION_FACTOR: '3' } : {}),
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${o.registry.port}/apis/ccompat/v7`,
  };
}
