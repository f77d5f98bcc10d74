import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { secretFor } from '@phoenix/code';
import { loadConfig, PhoenixConfig, RepoSecrets } from '@phoenix/config';
import { CliError } from '../output';

type Provider = 'github' | 'gitlab';

const SETUP: Record<Provider, { where: string; secretLabel: string; variable: string; events: string }> = {
  github: { where: 'Settings → Webhooks → Add webhook', secretLabel: 'Secret', variable: 'GITHUB_WEBHOOK_SECRETS', events: 'Pushes, Pull requests, Pull request reviews, Workflow runs, Releases (or "Send me everything")' },
  gitlab: { where: 'Settings → Webhooks → Add new webhook', secretLabel: 'Secret token', variable: 'GITLAB_WEBHOOK_TOKENS', events: 'Push events, Tag push events, Merge request events, Comments, Pipeline events, Releases events' },
};

/**
 * How to point a repository's webhook at Phoenix: the URL, content type, secret and events; and,
 * when Phoenix has no secret for the repository yet, a new one and the variable to set. Pure, so
 * a spec can read it; `--show` prints a secret already configured.
 */
export function webhookSetup(provider: Provider, repo: string, config: PhoenixConfig, opts: { show: boolean; generate: () => string }): string[] {
  const s = SETUP[provider];
  const secrets: RepoSecrets = provider === 'github' ? config.codeRepos.github : config.codeRepos.gitlab.tokens;
  const configured = secretFor(secrets, repo);
  const own = Object.hasOwn(secrets.repos, repo.toLowerCase());
  const base = config.codeRepos.publicUrl ?? `http://${config.gateway.host}:${config.gateway.port}`;
  const fresh = configured === undefined ? opts.generate() : undefined;
  const shown = fresh ?? (opts.show ? configured! : `(configured for ${own ? repo : 'every repository: *'} in ${s.variable}; --show prints it)`);
  const lines = [
    `${provider === 'github' ? 'GitHub' : 'GitLab'} webhook for ${repo} (${s.where}):`,
    `  URL           ${base}/v1/webhooks/${provider}`,
    `  Content type  application/json`,
    `  ${s.secretLabel.padEnd(12)}  ${shown}`,
    `  Events        ${s.events}`,
    `  SSL           verify (serve the gateway over HTTPS; set PHOENIX_PUBLIC_URL to the address ${provider === 'github' ? 'GitHub' : 'GitLab'} reaches)`,
  ];
  if (fresh) {
    lines.push('', `Phoenix has no secret for ${repo} yet; give the gateway this one (add it with ; to entries already there):`, `  ${s.variable}="${repo}=${fresh}"`);
  }
  if (provider === 'gitlab') lines.push('', 'A signing token (if your GitLab offers one) adds a signature Phoenix checks too: GITLAB_WEBHOOK_SIGNING_TOKENS="<project>=whsec_…".');
  return lines;
}

export function registerWebhooksCommand(program: Command): void {
  const webhooks = program.command('webhooks').description('Code repository webhooks (GitHub, GitLab) into POST /v1/webhooks/<provider>');
  webhooks
    .command('secret')
    .description('Print how to configure a repository’s webhook for Phoenix: URL, content type, secret, events')
    .argument('<provider>', 'github or gitlab')
    .argument('<repository>', 'owner/name (GitLab: the project path, group/sub/project)')
    .option('--show', 'print the secret already configured for the repository')
    .action((provider: string, repository: string, opts: { show?: boolean }) => {
      if (provider !== 'github' && provider !== 'gitlab') throw new CliError(`unknown provider "${provider}" (github or gitlab)`);
      if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(repository)) throw new CliError(`"${repository}" is not owner/name`);
      const lines = webhookSetup(provider, repository, loadConfig(), { show: opts.show === true, generate: () => randomBytes(24).toString('hex') });
      process.stdout.write(lines.join('\n') + '\n');
    });
}
