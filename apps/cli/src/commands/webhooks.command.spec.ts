import { loadConfig } from '@phoenix/config';
import { webhookSetup } from './webhooks.command';

describe('phoenix webhooks secret', () => {
  const generate = () => 'f'.repeat(48);

  it('prints URL, content type and a new secret with the variable to set when the repository has none', () => {
    const lines = webhookSetup('github', 'acme/api', loadConfig({ PHOENIX_PUBLIC_URL: 'https://phoenix.acme.dev/' }), { show: false, generate });
    expect(lines).toContain('  URL           https://phoenix.acme.dev/v1/webhooks/github');
    expect(lines).toContain('  Content type  application/json');
    expect(lines).toContain(`  Secret        ${'f'.repeat(48)}`);
    expect(lines).toContain(`  GITHUB_WEBHOOK_SECRETS="acme/api=${'f'.repeat(48)}"`);
  });

  it('names a configured secret without printing it, unless --show', () => {
    const config = loadConfig({ GITHUB_WEBHOOK_SECRETS: 'acme/api=configured-secret-1', GITLAB_WEBHOOK_TOKENS: '*=every-project-token' });
    const hidden = webhookSetup('github', 'Acme/API', config, { show: false, generate });
    expect(hidden.join('\n')).not.toContain('configured-secret-1');
    expect(hidden).toContain('  Secret        (configured for Acme/API in GITHUB_WEBHOOK_SECRETS; --show prints it)');
    expect(webhookSetup('github', 'acme/api', config, { show: true, generate })).toContain('  Secret        configured-secret-1');
    const gitlab = webhookSetup('gitlab', 'group/sub/project', config, { show: false, generate });
    expect(gitlab).toContain('  URL           http://127.0.0.1:8080/v1/webhooks/gitlab');
    expect(gitlab).toContain('  Secret token  (configured for every repository: * in GITLAB_WEBHOOK_TOKENS; --show prints it)');
  });
});
