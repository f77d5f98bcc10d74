import { Command } from 'commander';
import { BusRuntime } from '@phoenix/bus';
import { DeadLetter, MAX_REDRIVE, scanDeadLetters } from '@phoenix/console';
import { cliRuntime } from '../cli-context';
import { CliError, info, printTable } from '../output';

const iso = (ms: number) => new Date(ms).toISOString();
const position = (d: DeadLetter) => `${d.partition}/${d.offset}`;

function dlqTopic(bus: BusRuntime, topic: string): void {
  if (!topic.endsWith('.dlq') || !bus.catalogue.resolve(topic)) throw new CliError(`unknown DLQ topic "${topic}" (see \`phoenix dlq list\`)`);
}

/** `p/o` → partition and offset. */
function parsePosition(text: string): { partition: number; offset: string } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new CliError(`"${text}" is not a position: expected <partition>/<offset>, e.g. 0/42`);
  return { partition: Number(m[1]), offset: m[2] };
}

async function withBus<T>(fn: (bus: BusRuntime) => Promise<T>): Promise<T> {
  const { bus } = cliRuntime();
  try {
    return await fn(bus);
  } finally {
    await bus.close();
  }
}

/** `phoenix dlq list|show|redrive`: the console's dead-letters page on the command line, read from Kafka. */
export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('Dead letters: list the DLQ topics, show one, redrive messages back to the topic they failed on');

  dlq
    .command('list')
    .description('DLQ topics with how many messages they hold')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) =>
      withBus(async (bus) => {
        const admin = await bus.admin.raw();
        const existing = new Set(await admin.listTopics());
        const rows = [];
        for (const t of bus.catalogue.allTopics().filter((t) => t.name.endsWith('.dlq') && existing.has(t.name))) {
          const offsets = await admin.fetchTopicOffsets(t.name);
          rows.push({ topic: t.name, held: offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0) });
        }
        if (opts.json) process.stdout.write(JSON.stringify({ topics: rows }, null, 2) + '\n');
        else printTable(rows.filter((r) => r.held > 0), ['topic', 'held']);
      }),
    );

  dlq
    .command('show')
    .argument('<topic>', 'a DLQ topic, e.g. events.app.dlq')
    .description('Each dead letter with its reason headers, original position and whether it was redriven')
    .option('--json', 'JSON output (the same objects as GET /v1/dlq/{topic})')
    .action(async (topic: string, opts: { json?: boolean }) =>
      withBus(async (bus) => {
        dlqTopic(bus, topic);
        const letters = (await scanDeadLetters(bus, topic)).list(topic);
        if (opts.json) {
          process.stdout.write(JSON.stringify({ topic, deadLetters: letters }, null, 2) + '\n');
          return;
        }
        printTable(
          letters.map((d) => ({
            position: position(d),
            failedAt: iso(d.timestamp),
            event: d.event ? `${d.event.type} ${d.event.id}` : 'undecodable',
            reason: `${d.errorKind ?? ''} ${d.errorCode ?? ''}: ${(d.errorMessage ?? '').slice(0, 80)}`.trim(),
            from: d.originalPosition ?? '',
            redriven: d.redriven ? `→ ${d.redriven.topic} ${d.redriven.partition}/${d.redriven.offset}` : 'no',
          })),
          ['position', 'failedAt', 'event', 'reason', 'from', 'redriven'],
        );
      }),
    );

  dlq
    .command('redrive')
    .argument('<topic>', 'a DLQ topic')
    .argument('[positions...]', 'positions to redrive, <partition>/<offset> (see `phoenix dlq show`)')
    .option('--all', 'every dead letter not yet redriven')
    .option('--json', 'JSON output')
    .description('Publish dead letters back to the topic they failed on, marked as redriven (the consumer there handles them again)')
    .action(async (topic: string, positions: string[], opts: { all?: boolean; json?: boolean }) =>
      withBus(async (bus) => {
        dlqTopic(bus, topic);
        if (!opts.all && positions.length === 0) throw new CliError('name positions to redrive (<partition>/<offset> …) or pass --all');
        if (opts.all && positions.length) throw new CliError('--all redrives every dead letter; leave out the positions');
        const wanted = positions.map(parsePosition);
        const store = await scanDeadLetters(bus, topic);
        const targets = opts.all ? store.list(topic).filter((d) => !d.redriven).slice(0, MAX_REDRIVE) : wanted;
        if (targets.length === 0) info(`nothing to redrive on ${topic}`);
        const results = [];
        for (const [i, t] of targets.entries()) {
          const already = store.get(topic, t.partition, t.offset)?.redriven;
          const r = already ? { position: `${topic}/${t.partition}/${t.offset}`, error: `already redriven to ${already.topic} ${already.partition}/${already.offset}` } : await store.redrive(bus.producer, topic, t.partition, t.offset);
          results.push(r);
          if (!opts.json) info(`[${i + 1}/${targets.length}] ${'error' in r ? `${r.position}: ${r.error}` : `${r.position} → ${r.to} ${r.partition}/${r.offset}`}`);
        }
        const failed = results.filter((r) => 'error' in r).length;
        if (opts.json) process.stdout.write(JSON.stringify({ topic, redriven: results.length - failed, failed, results }, null, 2) + '\n');
        else info(`redriven ${results.length - failed}, failed ${failed}`);
        if (failed) process.exitCode = 1;
      }),
    );
}
