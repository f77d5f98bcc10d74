import { createHash } from 'node:crypto';
import { AccessError, AccessErrorCode } from './access.errors';
import { AccessConfigError, AccessPolicy, effectiveUserId, presentedKey } from './access-policy';
import { KeyRateLimits } from './key-rate-limit';
import { globMatches, parseScopes } from './scopes';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const grant = (name: string, key: string, scopes: string[]) => ({ name, sha256: sha(key), scopes });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as AccessError).code;
  }
  return 'passed';
};

describe('scopes', () => {
  it('parses actions, bindings and rates', () => {
    const { scopes, problems } = parseScopes(['publish:events.*', 'read:cdc.*', 'memory:read:cdc.*', 'memory:write', 'tasks:read', 'user:ana', 'tenant:acme', 'rate:5']);
    expect(problems).toEqual([]);
    expect(scopes).toMatchObject({ admin: false, publish: ['events.*'], read: ['cdc.*'], memoryRead: ['cdc.*'], memoryWrite: true, tasksStart: false, tasksRead: true, userId: 'ana', tenant: 'acme', ratePerSecond: 5 });
  });

  it('keeps keys written before actions existed working: a bare glob is publish + read on it', () => {
    const { scopes } = parseScopes(['events.*', 'supervisor.tasks']);
    expect(scopes.publish).toEqual(['events.*', 'supervisor.tasks']);
    expect(scopes.read).toEqual(['events.*', 'supervisor.tasks']);
    expect(scopes.memoryRead).toEqual([]);
    expect(scopes.tasksStart).toBe(true);
    expect(parseScopes(['*']).scopes.admin).toBe(true);
  });

  it('names every scope it cannot parse', () => {
    const { problems } = parseScopes(['publish:', 'memory:delete', 'rate:fast', 'user:a b', 'read:ev ents']);
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/"rate:fast"/);
  });

  it('matches topic globs exactly', () => {
    expect(globMatches('cdc.*', 'cdc.hubspot.deals')).toBe(true);
    expect(globMatches('cdc.*', 'events.app')).toBe(false);
    expect(globMatches('cdc.*.deals', 'cdc.hubspot.deals')).toBe(true);
    expect(globMatches('cdc.*.deals', 'cdc.hubspot.contacts')).toBe(false);
    expect(globMatches('events.app', 'events.apps')).toBe(false);
    expect(globMatches('a*a', 'a')).toBe(false);
    expect(globMatches('*', 'anything')).toBe(true);
  });
});

describe('AccessPolicy', () => {
  const policy = new AccessPolicy([grant('crm', 'crm-key-0123456789', ['publish:cdc.*', 'read:cdc.*']), grant('ana', 'ana-key-0123456789', ['user:ana', 'memory:read', 'publish:interactions.*'])], grant('service', 'svc-key-0123456789', ['read:*', 'memory:read']));

  it('authenticates by key, 401 for a missing or wrong one', () => {
    expect(policy.authenticate('crm-key-0123456789').name).toBe('crm');
    expect(policy.authenticate('svc-key-0123456789').kind).toBe('service');
    expect(code(() => policy.authenticate(undefined))).toBe(AccessErrorCode.Unauthenticated);
    expect(code(() => policy.authenticate('crm-key-012345678'))).toBe(AccessErrorCode.Unauthenticated);
  });

  it('answers per action and per topic', () => {
    const crm = policy.authenticate('crm-key-0123456789');
    expect(crm.can('publish')).toBe(true);
    expect(crm.can('memory:read')).toBe(false);
    expect(crm.mayPublish('cdc.hubspot.deals')).toBe(true);
    expect(crm.mayPublish('events.app')).toBe(false);
    expect(crm.readableTopics()).toEqual(['cdc.*']);
    expect(policy.authenticate('svc-key-0123456789').readableTopics()).toBeNull();
  });

  it('binds a user-bound key to its user', () => {
    const ana = policy.authenticate('ana-key-0123456789');
    expect(effectiveUserId(ana, undefined)).toBe('ana');
    expect(effectiveUserId(ana, 'ana')).toBe('ana');
    expect(code(() => effectiveUserId(ana, 'bob'))).toBe(AccessErrorCode.Forbidden);
    expect(effectiveUserId(policy.authenticate('crm-key-0123456789'), 'bob')).toBe('bob');
  });

  it('reads the tasks a key started, not another key’s (admin and service read all)', () => {
    const crm = policy.authenticate('crm-key-0123456789');
    expect(crm.mayReadTask('mcp/crm')).toBe(true);
    expect(crm.mayReadTask('gateway/crm')).toBe(true);
    expect(crm.mayReadTask('mcp/ana')).toBe(false);
    expect(crm.mayReadTask('router/crm')).toBe(false);
    expect(policy.authenticate('svc-key-0123456789').mayReadTask('mcp/ana')).toBe(true);
  });

  it('refuses at boot a key whose scopes do not parse', () => {
    expect(() => new AccessPolicy([grant('x', 'x-key-0123456789ab', ['publish:events.*', 'tasks:everything'])])).toThrow(AccessConfigError);
  });

  it('spends a key’s own rate and answers 429 with Retry-After past it, other keys untouched', () => {
    const p = new AccessPolicy([grant('noisy', 'noisy-key-0123456789', ['rate:2', 'publish:*']), grant('calm', 'calm-key-0123456789', ['publish:*'])]);
    const noisy = p.authenticate('noisy-key-0123456789');
    p.admit(noisy);
    p.admit(noisy);
    try {
      p.admit(noisy);
      throw new Error('expected 429');
    } catch (err) {
      expect((err as AccessError).code).toBe(AccessErrorCode.RateLimited);
      expect((err as AccessError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    }
    for (let i = 0; i < 100; i++) p.admit(p.authenticate('calm-key-0123456789'));
  });

  it('reads the key from Bearer or X-API-Key', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'def' })).toBe('def');
    expect(presentedKey({ authorization: 'Basic abc' })).toBeUndefined();
  });
});

describe('KeyRateLimits', () => {
  it('refills at the key’s rate', () => {
    let now = 0;
    const limits = new KeyRateLimits(() => now);
    expect(limits.take('k', 1).ok).toBe(true);
    expect(limits.take('k', 1)).toEqual({ ok: false, retryAfterSeconds: 1 });
    now += 1000;
    expect(limits.take('k', 1).ok).toBe(true);
  });
});
