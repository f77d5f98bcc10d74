import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKafka, Progress } from './artifacts';
import { run } from './processes';
import { StackOptions } from './stack.options';
import { StackService } from './stack-service';

/** A single-node KRaft Apache Kafka broker (broker + controller in one JVM). */
export class KafkaService implements StackService {
  readonly name = 'kafka' as const;
  readonly startupTimeoutMs = 120000;

  constructor(private readonly o: StackOptions) {}

  get home(): string {
    return path.join(this.o.dir, 'kafka');
  }
  get port(): number {
    return this.o.kafka.port;
  }
  get url(): string {
    return `127.0.0.1:${this.o.kafka.port}`;
  }
  get marker(): string {
    return path.join(this.home, 'server.properties');
  }

  async prepare(progress: Progress): Promise<{ cmd: string; args: string[] }> {
    const libs = await ensureKafka(this.o.cacheDir, this.o.kafka.version, progress);
    fs.mkdirSync(this.home, { recursive: true });
    const { port, controllerPort } = this.o.kafka;
    const props = [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${path.join(this.home, 'data')}`,
      'num.partitions=3',
      'default.replication.factor=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=10',
      // Otherwise every new consumer group waits ~3 s before its first assignment.
      'group.initial.rebalance.delay.ms=0',
      // Topics come from the catalogue (`phoenix topics apply`); a typo must not create one.
      'auto.create.topics.enable=false',
      'delete.topic.enable=true',
      'log.segment.bytes=268435456',
    ];
    fs.writeFileSync(this.marker, props.join('\n') + '\n');
    const log4j = path.join(this.home, 'log4j.properties');
    fs.writeFileSync(
      log4j,
      [
        'log4j.rootLogger=WARN, stdout',
        'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
        'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
        'log4j.logger.kafka.server.KafkaRaftServer=INFO',
        'log4j.logger.kafka.server.BrokerServer=INFO',
      ].join('\n') + '\n',
    );
    const classpath = `${libs}/*`;
    const clusterIdFile = path.join(this.home, 'cluster.id');
    if (!fs.existsSync(clusterIdFile)) {
      const id = run('java', ['-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid']).trim().split('\n').pop()!;
      fs.writeFileSync(clusterIdFile, id);
    }
    const clusterId = fs.readFileSync(clusterIdFile, 'utf8').trim();
    run('java', [`-Dlog4j.configuration=file:${log4j}`, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', this.marker, '--ignore-formatted']);
    return {
      cmd: 'java',
      args: [
        `-Xms${this.o.kafka.heap}`,
        `-Xmx${this.o.kafka.heap}`,
        '-XX:+UseG1GC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        `-Dlog4j.configuration=file:${log4j}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        this.marker,
      ],
    };
  }

  async ready(): Promise<boolean> {
    const kafka = new Kafka({ clientId: 'phoenix-stack', brokers: [this.url], logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 && cluster.controller !== null;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
