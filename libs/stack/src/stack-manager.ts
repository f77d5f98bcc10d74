import * as fs from 'node:fs';
import * as path from 'node:path';
import { Progress } from './artifacts';
import { KafkaService } from './kafka.service';
import { LlmService } from './llm.service';
import { N8nService } from './n8n.service';
import { isAlive, killAndWait, ownedPid, portInUse, startDetached, stopProcess, waitFor, withLock } from './processes';
import { RegistryService } from './registry.service';
import { ALL_SERVICES, DEFAULT_SERVICES, ServiceName, stackClientEnv, StackOptions, stackOptions } from './stack.options';
import { StackService } from './stack-service';

export interface ServiceStatus {
  service: ServiceName;
  pid?: number;
  running: boolean;
  ready: boolean;
  url: string;
  log: string;
}

/**
 * Starts and stops the local stack (Kafka, schema registry) without Docker. `up` is idempotent
 * and waits for real readiness; `down` stops only the processes this stack started.
 */
export class StackManager {
  private readonly services: Map<ServiceName, StackService>;
  /** The Kafka nodes (`kafka`, `kafka-2` …): started together, since a quorum needs a majority. */
  private readonly kafkaNodes: KafkaService[];

  constructor(
    readonly options: StackOptions,
    private readonly progress: Progress = () => undefined,
  ) {
    this.kafkaNodes = Array.from({ length: options.kafka.brokers }, (_, i) => new KafkaService(options, i + 1));
    this.services = new Map<ServiceName, StackService>([...this.kafkaNodes.map((k) => [k.name, k] as const), ['registry', new RegistryService(options)], ['n8n', new N8nService(options)], ['llm', new LlmService(options)]]);
  }

  private pidFile(s: ServiceName) {
    return path.join(this.options.dir, 'run', `${s}.pid`);
  }
  logFile(s: ServiceName) {
    return path.join(this.options.dir, 'logs', `${s}.log`);
  }

  /** Environment variables that point apps at this stack. */
  clientEnv(): Record<string, string> {
    return stackClientEnv(this.options);
  }

  private service(s: ServiceName): StackService {
    const svc = this.services.get(s);
    if (!svc) throw new Error(`unknown stack service "${s}" (this stack has ${[...this.services.keys()].join(', ')})`);
    return svc;
  }

  /** Every service name of this stack (Kafka nodes expanded). */
  names(services: ServiceName[]): ServiceName[] {
    return [...new Set(services.flatMap((s) => (s === 'kafka' ? this.kafkaNodes.map((k) => k.name) : [s])))];
  }

  pid(s: ServiceName): number | undefined {
    return ownedPid(this.pidFile(s), this.service(s).marker);
  }

  async up(services: ServiceName[] = DEFAULT_SERVICES): Promise<ServiceStatus[]> {
    // The registry keeps its schemas in Kafka (kafkasql), so Kafka always comes first.
    const wanted = ALL_SERVICES.filter((s) => services.includes(s) || (s === 'kafka' && services.includes('registry') && this.options.registry.storage === 'kafkasql'));
    fs.mkdirSync(path.join(this.options.dir, 'run'), { recursive: true });
    return withLock(path.join(this.options.dir, 'run', 'stack.lock'), async () => {
      for (const name of wanted) {
        if (name === 'kafka') await this.startKafka();
        else await this.startOne(this.service(name));
      }
      return this.status(this.names(wanted));
    });
  }

  /** Launches every Kafka node, then waits for each (a lone node of a quorum never gets ready). */
  private async startKafka(nodes: ServiceName[] = this.kafkaNodes.map((k) => k.name)): Promise<void> {
    const waits = [];
    for (const name of nodes) waits.push(await this.startOne(this.service(name), false));
    for (const wait of waits) await wait();
  }

  /** Starts the Kafka nodes that are not running (after a kill). */
  async upKafkaNodes(nodes: ServiceName[]): Promise<void> {
    await withLock(path.join(this.options.dir, 'run', 'stack.lock'), () => this.startKafka(nodes));
  }

  private async startOne(svc: StackService, wait = true): Promise<() => Promise<void>> {
    const ready = await this.launch(svc);
    if (wait) await ready();
    return ready;
  }

  private async launch(svc: StackService): Promise<() => Promise<void>> {
    const existing = this.pid(svc.name);
    if (existing) {
      return async () => {
        await waitFor(svc.name, () => svc.ready(), svc.startupTimeoutMs, () => !isAlive(existing));
        this.progress(`${svc.name}: already running (pid ${existing}) at ${svc.url}`);
      };
    }
    if (await portInUse(svc.port)) {
      if (await svc.ready()) {
        this.progress(`${svc.name}: port ${svc.port} is served by a process this stack did not start; using it`);
        return async () => undefined;
      }
      throw new Error(`${svc.name}: port ${svc.port} is in use by another program; choose another with STACK_${svc.name.toUpperCase()}_PORT`);
    }
    const { cmd, args, cwd, env } = await svc.prepare(this.progress);
    this.progress(`${svc.name}: starting on ${svc.url}`);
    const started = Date.now();
    const pid = startDetached(cmd, args, { cwd: cwd ?? this.options.dir, logFile: this.logFile(svc.name), pidFile: this.pidFile(svc.name), env });
    return async () => {
      try {
        await waitFor(svc.name, () => svc.ready(), svc.startupTimeoutMs, () => !isAlive(pid));
      } catch (err) {
        throw new Error(`${(err as Error).message}; see ${this.logFile(svc.name)}:\n${this.tail(svc.name, 20)}`);
      }
      this.progress(`${svc.name}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid})`);
    };
  }

  async down(services: ServiceName[] = ALL_SERVICES): Promise<void> {
    for (const name of this.names([...ALL_SERVICES]).reverse()) {
      if (!this.names(services).includes(name)) continue;
      const pid = this.pid(name);
      if (!pid) continue;
      this.progress(`${name}: stopping (pid ${pid})`);
      await stopProcess(pid);
      fs.rmSync(this.pidFile(name), { force: true });
    }
  }

  /** SIGKILL, as a crash would (for failure tests); resolves once the process is gone and its port free. */
  async kill(service: ServiceName): Promise<void> {
    const pid = this.pid(service);
    if (pid) await killAndWait(pid, this.service(service).port);
  }

  async status(services: ServiceName[] = DEFAULT_SERVICES): Promise<ServiceStatus[]> {
    return Promise.all(
      this.names(services).map(async (name) => {
        const svc = this.service(name);
        const pid = this.pid(name);
        return { service: name, pid, running: !!pid, ready: await svc.ready(), url: svc.url, log: this.logFile(name) };
      }),
    );
  }

  tail(service: ServiceName, lines = 50): string {
    const file = this.logFile(service);
    if (!fs.existsSync(file)) return '';
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  }

  /** Deletes this instance's data (stop it first). */
  async wipe(): Promise<void> {
    await this.down();
    fs.rmSync(this.options.dir, { recursive: true, force: true });
  }
}

/**
 * For `npm start`: brings the local stack up unless PHOENIX_STACK=off, and returns the
 * environment with the stack's addresses filled in where the user did not set their own.
 */
export async function ensureLocalStack(progress: Progress, env: NodeJS.ProcessEnv = process.env): Promise<NodeJS.ProcessEnv> {
  if (env.PHOENIX_STACK === 'off') return env;
  const stack = new StackManager(stackOptions(env), progress);
  await stack.up();
  return { ...stack.clientEnv(), ...env };
}
