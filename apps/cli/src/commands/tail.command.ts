import { Command } from 'commander';
import { EachMessagePayload } from 'kafkajs';
import { v4 as uuidv4 } from 'uuid';
import { HEADERS, headerString, KafkaHeaders } from '@phoenix/bus';
import { cliRuntime } from '../cli-context';
import { CliError } from '../output';

const iso = (ms: number) => new Date(ms).toISOString();

export function registerTailCommand(program: Command): void {
  program
    .command('tail')
    .argument('<topic>', 'topic to read (catalogue, retry or DLQ topic)')
    .description('Print events on a topic, decoded through the schema registry')
    .option('-b, --from-beginning', 'start at the oldest event instead of new ones')
    .option('-n, --limit <n>', 'exit after this many events')
    .option('--json', 'one JSON object per line (for scripts)')
    .option('--timeout <ms>', 'exit with status 2 if nothing arrives for this long')
    .action(async (topic: string, opts: { fromBeginning?: boolean; limit?: string; json?: boolean; timeout?: string }) => {
      const { bus } = cliRuntime();
      const resolved = bus.catalogue.resolve(topic);
      if (!resolved) throw new CliError(`unknown topic "${topic}"`);
      const limit = opts.limit ? Number(opts.limit) : Infinity;
      const consumer = bus.kafka.consumer({ groupId: `phoenix-tail-${uuidv4()}`, maxWaitTimeInMs: 200 });
      let seen = 0;
      let idleTimer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve, reject) => {
        const finish = (err?: Error) => {
          clearTimeout(idleTimer);
          consumer
            .disconnect()
            .catch(() => undefined)
            .then(() => bus.close())
            .then(() => (err ? reject(err) : resolve()));
        };
        const armIdle = () => {
          if (!opts.timeout) return;
          clearTimeout(idleTimer);
          idleTimer = setTimeout(() => {
            process.exitCode = 2;
            finish();
          }, Number(opts.timeout));
        };
        process.once('SIGINT', () => finish());
        armIdle();
        (async () => {
          await consumer.connect();
          await consumer.subscribe({ topic, fromBeginning: !!opts.fromBeginning });
          await consumer.run({
            autoCommit: false,
            eachMessage: async ({ partition, message }: EachMessagePayload) => {
              if (seen >= limit) return;
              seen++;
              armIdle();
              const headers = (message.headers ?? {}) as KafkaHeaders;
              let event: unknown;
              let decodeError: string | undefined;
              try {
                event = await bus.codec.decode(resolved.spec.name, message.value);
              } catch (err) {
                decodeError = (err as Error).message;
              }
              const failure =
                resolved.role !== 'main'
                  ? {
                      errorCode: headerString(headers, HEADERS.errorCode),
                      errorMessage: headerString(headers, HEADERS.errorMessage),
                      attempt: headerString(headers, HEADERS.attempt),
                      origin: `${headerString(headers, HEADERS.originalTopic)}[${headerString(headers, HEADERS.originalPartition)}]@${headerString(headers, HEADERS.originalOffset)}`,
                    }
                  : undefined;
              const record = { topic, partition, offset: message.offset, timestamp: iso(Number(message.timestamp)), ...(failure ? { failure } : {}), ...(decodeError ? { decodeError } : { event }) };
              if (opts.json) {
                process.stdout.write(JSON.stringify(record) + '\n');
              } else {
                const e = event as { type?: string; id?: string; key?: string; occurredAt?: number } | undefined;
                const head = `── ${topic}[${partition}]@${message.offset} ${e?.type ?? '(undecodable)'} key=${e?.key ?? message.key?.toString() ?? '∅'} ${e?.occurredAt ? iso(e.occurredAt) : ''}`;
                process.stdout.write(`${head}\n${JSON.stringify(failure ? { failure, ...(decodeError ? { decodeError } : { event }) } : (decodeError ? { decodeError } : event), null, 2)}\n`);
              }
              if (seen >= limit) setImmediate(() => finish());
            },
          });
        })().catch((err: Error) => finish(err));
      });
    });
}
