import { ConfigError } from './config.exception';
import { createHash } from 'node:crypto';
import { LOCAL_DEV_API_KEY, LOCAL_SERVICE_KEY, loadConfig, redactedEnv, SERVICE_SCOPES } from './phoenix-config';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('loadConfig', () => {
  it('has working local defaults', () => {
    const c = loadConfig({});
    expect(c.env).toBe('local');
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.registry.url).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(c.registry.autoRegister).toBe(true);
    expect(c.gateway.apiKeys).toEqual([{ name: 'local-dev', sha256: sha(LOCAL_DEV_API_KEY), scopes: ['*'] }]);
    expect(c.gateway.serviceKey).toEqual({ name: 'service', sha256: sha(LOCAL_SERVICE_KEY), scopes: SERVICE_SCOPES });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ KAFKA_BROKERS: 'nohostport', GATEWAY_PORT: 'eighty', BUS_LINGER_MS: '-1' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/KAFKA_BROKERS/);
      expect(problems).toMatch(/GATEWAY_PORT/);
      expect(problems).toMatch(/BUS_LINGER_MS/);
    }
  });

  it('production needs real API keys and no auto-registration', () => {
    expect(() => loadConfig({ PHOENIX_ENV: 'production' })).toThrow(/PHOENIX_API_KEYS: required/);
    expect(() => loadConfig({ PHOENIX_ENV: 'production', PHOENIX_API_KEYS: 'k-0123456789abcdef', SCHEMA_AUTO_REGISTER: 'true' })).toThrow(/SCHEMA_AUTO_REGISTER/);
    expect(() => loadConfig({ PHOENIX_ENV: 'production', PHOENIX_API_KEYS: 'k-0123456789abcdef' })).toThrow(/PHOENIX_SERVICE_KEY: required/);
    const c = loadConfig({ PHOENIX_ENV: 'production', PHOENIX_SERVICE_KEY: 'svc-0123456789abcdef', PHOENIX_API_KEYS: `k-0123456789abcdef=events.*|cdc.*;other-0123456789abcd;crm@sha256:${sha('crm-key-0123456789')}=publish:cdc.*|read:cdc.*` });
    expect(c.registry.autoRegister).toBe(false);
    expect(c.gateway.apiKeys).toEqual([
      { name: 'key-1', sha256: sha('k-0123456789abcdef'), scopes: ['events.*', 'cdc.*'] },
      { name: 'key-2', sha256: sha('other-0123456789abcd'), scopes: ['*'] },
      { name: 'crm', sha256: sha('crm-key-0123456789'), scopes: ['publish:cdc.*', 'read:cdc.*'] },
    ]);
    expect(c.gateway.serviceKey.sha256).toBe(sha('svc-0123456789abcdef'));
  });

  it('rejects short API keys and SASL without credentials', () => {
    expect(() => loadConfig({ PHOENIX_API_KEYS: 'short=*' })).toThrow(/shorter than 16/);
    expect(() => loadConfig({ PHOENIX_API_KEYS: 'a@sha256:abc=*' })).toThrow(/not 64 hex digits/);
    expect(() => loadConfig({ PHOENIX_API_KEYS: 'a@k-0123456789abcdef=*;a@k-0123456789abcdeg=*' })).toThrow(/the name a is used twice/);
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME/);
  });

  it('reads code webhook secrets per repository and per provider, and refuses bad ones', () => {
    const c = loadConfig({ GITHUB_WEBHOOK_SECRETS: 'Acme/API=api-secret-1;*=every-repo-secret', GITLAB_WEBHOOK_TOKENS: 'group/sub/project=gl-token-123', GITLAB_WEBHOOK_SIGNING_TOKENS: `*=whsec_${Buffer.alloc(24, 7).toString('base64')}` });
    expect(c.codeRepos.github).toEqual({ repos: { 'acme/api': 'api-secret-1' }, any: 'every-repo-secret' });
    expect(c.codeRepos.gitlab.tokens).toEqual({ repos: { 'group/sub/project': 'gl-token-123' } });
    expect(c.codeRepos.gitlab.signingTokens.any).toMatch(/^whsec_/);
    expect(loadConfig({}).codeRepos.github).toEqual({ repos: {} });
    expect(() => loadConfig({ GITHUB_WEBHOOK_SECRETS: 'acme/api=short' })).toThrow(/GITHUB_WEBHOOK_SECRETS: the secret for acme\/api is shorter than 8/);
    expect(() => loadConfig({ GITHUB_WEBHOOK_SECRETS: 'no-slash=long-enough-secret' })).toThrow(/entry 1 must be <owner\/name or \*>=<secret>/);
    expect(() => loadConfig({ GITHUB_WEBHOOK_SECRETS: 'a/b=long-enough-1;A/B=long-enough-2' })).toThrow(/a\/b is listed twice/);
    expect(() => loadConfig({ GITLAB_WEBHOOK_SIGNING_TOKENS: '*=whsec_!!' })).toThrow(/not whsec_<base64/);
    expect(redactedEnv({ GITHUB_WEBHOOK_SECRETS: 'a/b=long-enough-1', GITLAB_WEBHOOK_TOKENS: 'x', GITLAB_WEBHOOK_SIGNING_TOKENS: 'y' })).toEqual({ GITHUB_WEBHOOK_SECRETS: '***', GITLAB_WEBHOOK_TOKENS: '***', GITLAB_WEBHOOK_SIGNING_TOKENS: '***' });
  });

  it('redacts secrets when printing the environment', () => {
    const out = redactedEnv({ KAFKA_BROKERS: 'b:1', KAFKA_SASL_PASSWORD: 'hunter2', PHOENIX_API_KEYS: 'x', UNRELATED: 'y' });
    expect(out).toEqual({ KAFKA_BROKERS: 'b:1', KAFKA_SASL_PASSWORD: '***', PHOENIX_API_KEYS: '***' });
  });
});
