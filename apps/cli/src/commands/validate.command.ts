import { Command } from 'commander';
import { TopicView } from '@phoenix/bus';
import { ServerCapabilities, TOPICS } from '@phoenix/contracts';
import { CheckStatus, FleetValidator, loadDeploymentConfig } from '@phoenix/validate';
import { AppContext } from '@phoenix/runtime';
import { CliError, printTable } from '../output';

const MARK: Record<CheckStatus, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };
const colour = (s: CheckStatus, text: string) => (process.stdout.isTTY ? `\x1b[${s === 'ok' ? 32 : s === 'warn' ? 33 : 31}m${text}\x1b[0m` : text);

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Check a deployed Phoenix: every app ready, every MCP server reachable with tools/list answering through its worker, the capability registry matching, each server\'s error rate and latency from its worker\'s metrics, consumer lag per group, dead letters. Exit 1 when anything fails.')
    .option('-f, --deployment <file>', 'deployment file (default: config/deployment.yaml, else the local `npm start` ports)')
    .option('--app <name=url...>', 'check these apps instead (repeatable)')
    .option('--max-lag <n>', 'fail a consumer group more than this many messages behind')
    .option('--max-dlq <n>', 'fail a DLQ holding more than this many dead letters (default: warn only)')
    .option('--max-error-rate <ratio>', 'fail an MCP server whose failed + timed-out calls exceed this share (0 to 1)')
    .option('--max-p95-ms <ms>', 'fail an MCP server whose estimated p95 call time exceeds this')
    .option('--strict', 'warnings fail too')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { deployment?: string; app?: string[]; maxLag?: string; maxDlq?: string; maxErrorRate?: string; maxP95Ms?: string; strict?: boolean; json?: boolean }) => {
      const ctx = AppContext.forCli('validate');
      const { config, bus } = ctx;
      try {
        const cfg = loadDeploymentConfig(config.paths.config, ctx.env, opts.deployment);
        if (opts.app?.length) {
          cfg.apps = opts.app.map((a) => {
            const m = /^([^=]+)=(https?:\/\/.+)$/.exec(a);
            if (!m) throw new CliError(`--app: expected name=http(s)://host:port, got "${a}"`);
            return { name: m[1], url: m[2] };
          });
          cfg.kubernetes = undefined;
        }
        const num = (v: string | undefined, flag: string) => {
          if (v === undefined) return undefined;
          if (!/^\d+$/.test(v)) throw new CliError(`${flag}: expected a whole number, got "${v}"`);
          return Number(v);
        };
        cfg.maxLag = num(opts.maxLag, '--max-lag') ?? cfg.maxLag;
        cfg.maxDeadLetters = num(opts.maxDlq, '--max-dlq') ?? cfg.maxDeadLetters;
        cfg.mcp.maxP95Ms = num(opts.maxP95Ms, '--max-p95-ms') ?? cfg.mcp.maxP95Ms;
        if (opts.maxErrorRate !== undefined) {
          const rate = Number(opts.maxErrorRate);
          if (!/^\d*\.?\d+$/.test(opts.maxErrorRate) || rate > 1) throw new CliError(`--max-error-rate: expected a share from 0 to 1, got "${opts.maxErrorRate}"`);
          cfg.mcp.maxErrorRate = rate;
        }
        const capabilities = async (): Promise<ServerCapabilities[]> => {
          const view = new TopicView<ServerCapabilities>(bus.kafka, bus.codec, TOPICS.mcpCapabilities, ctx.logger);
          try {
            await view.start();
            await view.ready();
            return view.values().map((e) => e.payload);
          } finally {
            await view.stop().catch(() => undefined);
          }
        };
        const report = await new FleetValidator(cfg, { admin: () => bus.admin.raw(), catalogue: bus.catalogue, instance: config.instance, env: ctx.env, capabilities }).run();
        const healthy = report.healthy && (!opts.strict || report.results.every((r) => r.status === 'ok'));
        if (opts.json) process.stdout.write(JSON.stringify({ ...report, healthy }, null, 2) + '\n');
        else {
          printTable(report.results.map((r) => ({ check: r.check, target: r.target, status: colour(r.status, MARK[r.status]), detail: r.detail })));
          const fails = report.results.filter((r) => r.status === 'fail').length;
          const warns = report.results.filter((r) => r.status === 'warn').length;
          process.stdout.write(`\n${healthy ? colour('ok', 'healthy') : colour('fail', 'UNHEALTHY')}: ${fails} failing, ${warns} warning(s), ${report.results.length} checks (instance ${report.instance})\n`);
        }
        process.exitCode = healthy ? 0 : 1;
      } finally {
        await ctx.close();
      }
    });
}
