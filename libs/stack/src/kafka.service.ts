import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureKafka, Progress } from './artifacts';
import { run } from './processes';
import { kafkaBootstrap, kafkaNodePorts, ServiceName, StackOptions } from './stack.options';
import { StackService } from './stack-service';

/**
 * One KRaft Apache Kafka node (broker + controller in one JVM): the whole cluster when the stack
 * has one broker, node `node` of a quorum of `STACK_KAFKA_BROKERS` otherwise.
 */
export class KafkaService implements StackService {
  readonly name: ServiceName;
  readonly startupTimeoutMs = 120000;

  constructor(
    private readonly o: StackOptions,
    readonly node = 1,
  ) {
    this.name = node === 1 ? 'kafka' : `kafka-${node}`;
  }

  get home(): string {
    return path.join(this.o.dir, this.node === 1 ? 'kafka' : `kafka-${this.node}`);
  }
  private get ports() {
    return kafkaNodePorts(this.o)[this.node - 1];
  }
  get port(): number {
    return this.ports.port;
  }
  get url(): string {
    return `127.0.0.1:${this.port}`;
  }
  get marker(): string {
    return path.join(this.home, 'server.properties');
  }

  async prepare(progress: Progress): Promise<{ cmd: string; args: string[] }> {
    const libs = await ensureKafka(this.o.cacheDir, this.o.kafka.version, progress);
    fs.mkdirSync(this.home, { recursive: true });
    const { port, controllerPort } = this.ports;
    const nodes = kafkaNodePorts(this.o);
    const rf = Math.min(3, nodes.length);
    const props = [
      'process.roles=broker,controller',
      `node.id=${this.node}`,
      `controller.quorum.voters=${nodes.map((n) => `${n.node}@127.0.0.1:${n.controllerPort}`).join(',')}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${path.join(this.home, 'data')}`,
      'num.partitions=3',
      `default.replication.factor=${rf}`,
      `min.insync.replicas=${rf >= 3 ? 2 : 1}`,
      `offsets.topic.replication.factor=${rf}`,
      'offsets.topic.num.partitions=10',
      `transaction.state.log.replication.factor=${rf}`,
      `transaction.state.log.min.isr=${rf >= 3 ? 2 : 1}`,
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
    // One id for every node of the cluster.
    const clusterIdFile = path.join(this.o.dir, 'kafka', 'cluster.id');
    fs.mkdirSync(path.dirname(clusterIdFile), { recursive: true });
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
    const kafka = new Kafka({ clientId: 'phoenix-stack', brokers: this.node === 1 && this.o.kafka.brokers === 1 ? [this.url] : kafkaBootstrap(this.o).split(','), logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      // A node of a cluster is ready when the cluster knows it as a broker.
      return cluster.controller !== null && cluster.brokers.some((b) => b.nodeId === this.node) && (this.o.kafka.brokers === 1 || cluster.brokers.length >= Math.min(2, this.o.kafka.brokers));
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
