import { Command, CommanderError } from 'commander';
import { ConfigError, phoenixVersion } from '@phoenix/config';
import { BusError, BusErrorCode } from '@phoenix/bus';
import { ContractError, ContractErrorCode } from '@phoenix/contracts';
import { createBridgeCommand } from '@phoenix/mcp-http';
import { registerDlqCommand } from './commands/dlq.command';
import { registerN8nCommand } from './commands/n8n.command';
import { registerPublishCommand } from './commands/publish.command';
import { registerReplayCommand } from './commands/replay.command';
import { registerSchemasCommand } from './commands/schemas.command';
import { registerStackCommand } from './commands/stack.command';
import { registerTailCommand } from './commands/tail.command';
import { registerTopicsCommand } from './commands/topics.command';
import { registerValidateCommand } from './commands/validate.command';
import { registerWebhooksCommand } from './commands/webhooks.command';
import { CliError } from './output';

export function buildProgram(): Command {
  const program = new Command('phoenix')
    .description('Phoenix: events on Kafka, typed and schema-registered, routed to MCP workers, a supervisor and n8n.')
    .version(phoenixVersion())
    .showHelpAfterError()
    .exitOverride();
  registerStackCommand(program);
  registerTopicsCommand(program);
  registerSchemasCommand(program);
  registerPublishCommand(program);
  registerTailCommand(program);
  registerN8nCommand(program);
  registerReplayCommand(program);
  registerDlqCommand(program);
  registerValidateCommand(program);
  registerWebhooksCommand(program);
  program.addCommand(createBridgeCommand());
  return program;
}

function explain(err: unknown): string {
  if (err instanceof CliError || err instanceof ConfigError) return err.message;
  if (err instanceof BusError) {
    const hint = err.code === BusErrorCode.BrokerUnavailable ? ' (is the stack up? `npm run stack -- up`)' : err.code === BusErrorCode.TopicNotFound ? ' (run `phoenix topics apply`)' : '';
    return `${err.code}: ${err.message}${hint}`;
  }
  if (err instanceof ContractError) {
    const v = err.details.violations?.map((x) => `\n  ${x.path}: ${x.message}`).join('') ?? '';
    const hint = err.code === ContractErrorCode.RegistryUnavailable ? ' (is the stack up? `npm run stack -- up`)' : '';
    return `${err.code}: ${err.message}${hint}${v}`;
  }
  return (err as Error)?.message ?? String(err);
}

export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    process.exitCode = process.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`error: ${explain(err)}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}
