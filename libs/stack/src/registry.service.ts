import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureApicurio, findJava, Progress } from './artifacts';
import { kafkaBootstrap, StackOptions } from './stack.options';
import { StackService } from './stack-service';

/** Apicurio Registry with its Confluent-compatible API at /apis/ccompat/v7. */
export class RegistryService implements StackService {
  readonly name = 'registry' as const;
  readonly startupTimeoutMs = 180000;

  constructor(private readonly o: StackOptions) {}

  get home(): string {
    return path.join(this.o.dir, 'registry');
  }
  get port(): number {
    return this.o.registry.port;
  }
  get url(): string {
    return `http://127.0.0.1:${this.o.registry.port}/apis/ccompat/v7`;
  }
  /** Unique to this instance, so a pid is only ours if its command line has it. */
  get marker(): string {
    return `-Dphoenix.stack=${this.o.dir}`;
  }

  async prepare(progress: Progress): Promise<{ cmd: string; args: string[]; cwd: string }> {
    const dist = await ensureApicurio(this.o.cacheDir, this.o.registry.version, progress);
    const java = findJava(21, this.o.registry.javaHome);
    fs.mkdirSync(this.home, { recursive: true });
    const r = this.o.registry;
    const storage =
      r.storage === 'kafkasql'
        ? ['-Dapicurio.storage.kind=kafkasql', `-Dapicurio.kafkasql.bootstrap.servers=${kafkaBootstrap(this.o)}`]
        : [];
    return {
      cmd: java,
      cwd: dist,
      args: [
        `-Xmx${r.heap}`,
        '-XX:TieredStopAtLevel=1',
        this.marker,
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${r.port}`,
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${r.managementPort}`,
        // Without a global rule Apicurio accepts any change; Phoenix relies on BACKWARD.
        '-Dapicurio.rules.global.compatibility=BACKWARD',
        '-Dquarkus.log.level=WARN',
        '-Dquarkus.log.category."io.apicurio".level=INFO',
        ...storage,
        '-jar',
        path.join(dist, 'quarkus-run.jar'),
      ],
    };
  }

  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/subjects`, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  }
}
