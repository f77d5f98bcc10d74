import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { Command } from 'commander';
import { ContractError, ContractErrorCode, envelopeFromInput, eventInputSchema, zodViolations } from '@phoenix/contracts';
import { cliRuntime } from '../cli-context';
import { CliError, info } from '../output';

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

type Input = { line: number; value?: unknown; error?: string };

async function* ndjson(stream: NodeJS.ReadableStream): AsyncGenerator<Input> {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield { line: n, value: JSON.parse(line) };
    } catch (err) {
      yield { line: n, error: `line ${n} is not valid JSON: ${(err as Error).message}` };
    }
  }
}

export function registerPublishCommand(program: Command): void {
  program
    .command('publish')
    .description('Publish events: one from flags, or NDJSON (one event object per line) from --file or stdin')
    .option('-t, --topic <topic>', 'catalogue topic, e.g. events.app')
    .option('--type <type>', 'event type, e.g. deal.updated')
    .option('-k, --key <key>', 'entity key (keeps per-key order)')
    .option('-s, --source <source>', 'producing system', 'cli')
    .option('-p, --payload <json>', 'payload as JSON, or @file.json')
    .option('--correlation-id <id>')
    .option('-f, --file <ndjson>', 'NDJSON file of events ({"topic","type","payload",…} per line); "-" for stdin')
    .action(async (opts: { topic?: string; type?: string; key?: string; source: string; payload?: string; correlationId?: string; file?: string }) => {
      const inputs: AsyncIterable<Input> = opts.file
        ? ndjson(opts.file === '-' ? process.stdin : fs.createReadStream(opts.file))
        : (async function* () {
            if (!opts.topic || !opts.type || opts.payload === undefined) {
              throw new CliError('give --topic, --type and --payload, or --file <ndjson> (use "-" for stdin)');
            }
            const payloadText = opts.payload.startsWith('@') ? fs.readFileSync(opts.payload.slice(1), 'utf8') : opts.payload;
            yield {
              line: 0,
              value: { topic: opts.topic, type: opts.type, key: opts.key, source: opts.source, payload: parseJson(payloadText, '--payload'), correlationId: opts.correlationId },
            };
          })();

      const { bus } = cliRuntime();
      let ok = 0;
      let failed = 0;
      const pending: Promise<void>[] = [];
      try {
        for await (const { line, value, error } of inputs) {
          const where = line ? `line ${line}` : 'event';
          if (error) {
            failed++;
            process.stderr.write(`${error}\n`);
            continue;
          }
          const parsed = eventInputSchema.safeParse(value);
          if (!parsed.success) {
            failed++;
            process.stderr.write(`${where}: invalid event\n${zodViolations(parsed.error).map((v) => `  ${v.path}: ${v.message}`).join('\n')}\n`);
            continue;
          }
          const envelope = envelopeFromInput(parsed.data, opts.source);
          pending.push(
            bus.producer.publish(parsed.data.topic, envelope).then(
              (r) => {
                ok++;
                process.stdout.write(JSON.stringify({ id: envelope.id, topic: r.topic, partition: r.partition, offset: r.offset }) + '\n');
              },
              (err: unknown) => {
                failed++;
                const detail = err instanceof ContractError && err.code === ContractErrorCode.EventInvalid ? err.details.violations?.map((v) => `\n  ${v.path}: ${v.message}`).join('') ?? '' : '';
                process.stderr.write(`${where}: ${(err as Error).message}${detail}\n`);
              },
            ),
          );
          // Keep memory bounded on large files while still batching.
          if (pending.length >= 5000) await Promise.all(pending.splice(0));
        }
        await Promise.all(pending);
      } finally {
        await bus.close();
      }
      if (opts.file) info(`published ${ok}, failed ${failed}`);
      if (failed > 0) throw new CliError(`${failed} event(s) not published`);
    });
}
