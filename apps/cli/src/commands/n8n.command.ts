import * as path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '@phoenix/config';
import { loadN8nConfig, N8nAdmin, n8nWorkflowEnv, readWorkflows } from '@phoenix/n8n';
import { CliError, info, printTable } from '../output';

export function registerN8nCommand(program: Command): void {
  const n8n = program.command('n8n').description('n8n workflows (config/n8n-flows.yaml, n8n/workflows/*.json)');
  const setup = () => {
    const config = loadConfig();
    const cfg = loadN8nConfig(config.paths.config);
    return { cfg, dir: path.resolve(config.paths.root, cfg.n8n.workflowsDir) };
  };

  n8n
    .command('deploy')
    .description("Import (or update) and activate the repo's workflows in the n8n at n8n.baseUrl")
    .action(async () => {
      const { cfg, dir } = setup();
      const workflows = readWorkflows(dir);
      if (!workflows.length) throw new CliError(`no workflows in ${dir}`);
      const results = await new N8nAdmin(cfg).deploy(workflows);
      printTable(results.map((r) => ({ workflow: r.name, id: r.id, action: r.action, active: r.active ? 'yes' : 'no', webhook: r.webhooks.map((w) => `${cfg.n8n.baseUrl}/webhook/${w}`).join(' ') })));
    });

  n8n
    .command('trigger')
    .description('Call a workflow through its production webhook and print the answer')
    .requiredOption('-w, --workflow <name>', 'workflow name (see n8n/workflows)')
    .option('-d, --data <json>', 'JSON body', '{}')
    .action(async (opts: { workflow: string; data: string }) => {
      const { cfg, dir } = setup();
      const wf = readWorkflows(dir).find((w) => w.name === opts.workflow || w.file === `${opts.workflow}.json`);
      if (!wf || !wf.webhooks.length) throw new CliError(`no workflow "${opts.workflow}" with a webhook in ${dir}`);
      let data: unknown;
      try {
        data = JSON.parse(opts.data);
      } catch (err) {
        throw new CliError(`--data is not valid JSON: ${(err as Error).message}`);
      }
      const flow = cfg.flows.find((f) => f.outbound?.webhook === wf.webhooks[0]);
      const res = await new N8nAdmin(cfg).trigger(wf.webhooks[0], data, flow?.outbound?.secret);
      process.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
      if (res.status >= 300) throw new CliError(`n8n answered ${res.status}`);
      info(`n8n answered ${res.status}`);
    });

  n8n
    .command('env')
    .description('Print the environment an n8n instance needs for these workflows (PHOENIX_URL, flow secrets)')
    .action(() => {
      const { cfg } = setup();
      for (const [k, v] of Object.entries(n8nWorkflowEnv(cfg))) process.stdout.write(`${k}=${v}\n`);
    });
}
