import { Command } from 'commander';
import { ALL_SERVICES, DEFAULT_SERVICES, ServiceName, StackManager, stackOptions } from '@phoenix/stack';
import { loadConfig } from '@phoenix/config';
import { loadN8nConfig, n8nWorkflowEnv } from '@phoenix/n8n';
import { CliError, info, printTable } from '../output';

function services(list: string[], fallback: ServiceName[] = ALL_SERVICES): ServiceName[] {
  if (list.length === 0) return fallback;
  for (const s of list) {
    if (!ALL_SERVICES.includes(s as ServiceName)) throw new CliError(`unknown service "${s}"; services: ${ALL_SERVICES.join(', ')}`);
  }
  return list as ServiceName[];
}

export function registerStackCommand(program: Command): void {
  const stack = program
    .command('stack')
    .description('Local Kafka (KRaft) + Apicurio schema registry, without Docker. Ports: STACK_KAFKA_PORT, STACK_REGISTRY_PORT; heaps: STACK_KAFKA_HEAP, STACK_REGISTRY_HEAP.');
  // n8n gets the secrets of the flows in config/n8n-flows.yaml, so Phoenix's workflows can sign.
  const manager = () => {
    const config = loadConfig();
    return new StackManager(stackOptions(undefined, { n8nEnv: n8nWorkflowEnv(loadN8nConfig(config.paths.config)) }), info);
  };

  stack
    .command('up')
    .argument('[services...]', `some of: ${ALL_SERVICES.join(', ')}`)
    .description('Start (or reuse) the stack and wait until it is ready (kafka and registry by default; add n8n or llm by name)')
    .action(async (list: string[]) => {
      const m = manager();
      const status = await m.up(services(list, DEFAULT_SERVICES));
      printTable(status.map((s) => ({ service: s.service, pid: s.pid, ready: s.ready ? 'yes' : 'no', url: s.url })));
      const env = m.clientEnv();
      info(`\napps reach it with: ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      const llm = status.find((s) => s.service === 'llm');
      // Not exported by default: with LLM_BASE_URL set, memory's fact extraction (infer: auto) turns on too.
      if (llm) info(`the local model (planner, NL→SQL, answers): LLM_BASE_URL=${llm.url} LLM_MODEL=smollm2-135m-instruct`);
    });

  stack
    .command('down')
    .argument('[services...]')
    .description('Stop the processes this stack started')
    .action(async (list: string[]) => {
      await manager().down(services(list));
    });

  stack
    .command('status')
    .description('Show each service, its pid and readiness; exit 1 if any is not ready')
    .action(async () => {
      const m = manager();
      const status = await m.status(ALL_SERVICES.filter((s) => DEFAULT_SERVICES.includes(s) || m.pid(s)));
      printTable(status.map((s) => ({ service: s.service, pid: s.pid ?? '-', running: s.running ? 'yes' : 'no', ready: s.ready ? 'yes' : 'no', url: s.url })));
      if (status.some((s) => !s.ready)) process.exitCode = 1;
    });

  stack
    .command('logs')
    .argument('[service]', 'kafka or registry (default: both)')
    .option('-n, --lines <n>', 'lines to show', '50')
    .description('Print the tail of the service logs')
    .action((service: string | undefined, opts: { lines: string }) => {
      const m = manager();
      for (const s of services(service ? [service] : [])) {
        process.stdout.write(`==> ${m.logFile(s)} <==\n${m.tail(s, Number(opts.lines))}\n`);
      }
    });

  stack
    .command('kill')
    .argument('<service>')
    .description('SIGKILL a service, as a crash would (for failure drills)')
    .action((service: string) => {
      manager().kill(services([service])[0]);
    });

  stack
    .command('env')
    .description('Print the environment variables that point apps at this stack')
    .action(() => {
      for (const [k, v] of Object.entries(manager().clientEnv())) process.stdout.write(`${k}=${v}\n`);
    });
}
