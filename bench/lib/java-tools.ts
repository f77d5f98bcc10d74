import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Kafka's own perf tools (kafka-producer-perf-test / kafka-consumer-perf-test) run from the jars
 * the stack runs the broker from: `java -cp <libs>/* org.apache.kafka.tools.…`, with the heap the
 * Kafka scripts give tools (kafka-run-class.sh: -Xmx256M).
 */
export class KafkaTools {
  private readonly log4j: string;

  constructor(
    private readonly libs: string,
    workDir: string,
  ) {
    if (!fs.readdirSync(libs).some((f) => /^kafka-tools-\d.*\.jar$/.test(f))) {
      throw new Error(`kafka-tools jar not found in ${libs} (libs/stack/maven/kafka/pom.xml resolves it)`);
    }
    this.log4j = path.join(workDir, 'tools-log4j.properties');
    fs.mkdirSync(workDir, { recursive: true });
    fs.writeFileSync(
      this.log4j,
      ['log4j.rootLogger=WARN, stderr', 'log4j.appender.stderr=org.apache.log4j.ConsoleAppender', 'log4j.appender.stderr.Target=System.err', 'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout', 'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n', ''].join('\n'),
    );
  }

  private run(mainClass: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('java', ['-Xmx256M', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${this.log4j}`, '-cp', `${this.libs}/*`, mainClass, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve({ stdout, stderr });
        else reject(new Error(`${mainClass} exited with ${code}:\n${stderr.slice(-2000)}\n${stdout.slice(-1000)}`));
      });
    });
  }

  /** ProducerPerformance: records/s and latency percentiles of its final summary line. */
  async producerPerf(o: { brokers: string; topic: string; records: number; recordSize: number; props?: Record<string, string> }): Promise<ProducerPerfResult> {
    const props = { 'bootstrap.servers': o.brokers, acks: 'all', 'compression.type': 'none', ...o.props };
    const { stdout } = await this.run(
      'org.apache.kafka.tools.ProducerPerformance',
      ['--topic', o.topic, '--num-records', String(o.records), '--record-size', String(o.recordSize), '--throughput', '-1', '--producer-props', ...Object.entries(props).map(([k, v]) => `${k}=${v}`)],
      300000,
    );
    // "100000 records sent, 45000.1 records/sec (43.95 MB/sec), 12.3 ms avg latency, 300.0 ms max latency, 10 ms 50th, 20 ms 95th, 30 ms 99th, 40 ms 99.9th."
    const line = stdout.trim().split('\n').reverse().find((l) => /records sent, .* 50th/.test(l));
    if (!line) throw new Error(`unexpected ProducerPerformance output:\n${stdout.slice(-1000)}`);
    const num = (re: RegExp) => Number(re.exec(line)?.[1] ?? NaN);
    return {
      records: num(/^(\d+) records sent/),
      perSecond: num(/([\d.]+) records\/sec/),
      avgLatencyMs: num(/([\d.]+) ms avg latency/),
      p50Ms: num(/(\d+) ms 50th/),
      p99Ms: num(/(\d+) ms 99th/),
      maxLatencyMs: num(/([\d.]+) ms max latency/),
    };
  }

  /** ConsumerPerformance: messages/s over the whole run and over fetching only. */
  async consumerPerf(o: { brokers: string; topic: string; messages: number; group: string }): Promise<ConsumerPerfResult> {
    const { stdout } = await this.run(
      'org.apache.kafka.tools.ConsumerPerformance',
      ['--bootstrap-server', o.brokers, '--topic', o.topic, '--messages', String(o.messages), '--group', o.group, '--timeout', '60000'],
      300000,
    );
    // header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    const lines = stdout.trim().split('\n');
    const h = lines.findIndex((l) => l.startsWith('start.time'));
    if (h < 0 || !lines[h + 1]) throw new Error(`unexpected ConsumerPerformance output:\n${stdout.slice(-1000)}`);
    const names = lines[h].split(',').map((s) => s.trim());
    const values = lines[h + 1].split(',').map((s) => s.trim());
    const v = (n: string) => Number(values[names.indexOf(n)]);
    return { messages: v('data.consumed.in.nMsg'), perSecond: v('nMsg.sec'), fetchPerSecond: v('fetch.nMsg.sec'), rebalanceMs: v('rebalance.time.ms') };
  }
}

export interface ProducerPerfResult {
  records: number;
  perSecond: number;
  avgLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
  maxLatencyMs: number;
}

export interface ConsumerPerfResult {
  messages: number;
  perSecond: number;
  fetchPerSecond: number;
  rebalanceMs: number;
}
