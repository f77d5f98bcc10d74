import { secretFor } from './repo-secrets';
import { githubSignature, standardWebhookSignature, verifyGithubSignature, verifyGitlabToken, verifyStandardWebhook } from './webhook-signatures';

describe('GitHub X-Hub-Signature-256', () => {
  // The test values of GitHub's "Validating webhook deliveries".
  const secret = "It's a Secret to Everybody";
  const documented = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it('is sha256= + hex HMAC-SHA256 of the raw body (the documented test values)', () => {
    expect(githubSignature(secret, 'Hello, World!')).toBe(documented);
    expect(verifyGithubSignature(secret, documented, Buffer.from('Hello, World!'))).toBe(true);
  });

  it('refuses another body, another secret, another or missing header', () => {
    expect(verifyGithubSignature(secret, documented, Buffer.from('Hello, World?'))).toBe(false);
    expect(verifyGithubSignature('not the secret', documented, Buffer.from('Hello, World!'))).toBe(false);
    expect(verifyGithubSignature(secret, documented.toUpperCase(), Buffer.from('Hello, World!'))).toBe(false);
    expect(verifyGithubSignature(secret, documented.slice(0, -1), Buffer.from('Hello, World!'))).toBe(false);
    expect(verifyGithubSignature(secret, undefined, Buffer.from('Hello, World!'))).toBe(false);
  });
});

describe('GitLab X-Gitlab-Token and signing token', () => {
  it('compares the token whole', () => {
    expect(verifyGitlabToken('glt-secret-token', 'glt-secret-token')).toBe(true);
    expect(verifyGitlabToken('glt-secret-token', 'glt-secret-toke')).toBe(false);
    expect(verifyGitlabToken('glt-secret-token', '')).toBe(false);
    expect(verifyGitlabToken('glt-secret-token', undefined)).toBe(false);
  });

  // The example of the Standard Webhooks specification, which GitLab's signing token follows.
  const token = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const ts = '1614265330';
  const body = Buffer.from('{"test": 2432232314}');
  const at = 1614265330 * 1000;

  it('signs <id>.<timestamp>.<body> with the decoded key (the specification’s example)', () => {
    expect(standardWebhookSignature(token, id, ts, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(verifyStandardWebhook(token, id, ts, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', body, at)).toEqual({ ok: true });
    // Several signatures (a key being rotated): one match is enough.
    expect(verifyStandardWebhook(token, id, ts, 'v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=', body, at)).toEqual({ ok: true });
  });

  it('refuses a tampered body or id, a stale timestamp, missing headers', () => {
    const sig = standardWebhookSignature(token, id, ts, body);
    expect(verifyStandardWebhook(token, id, ts, sig, Buffer.from('{"test": 2432232315}'), at)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyStandardWebhook(token, 'msg_other', ts, sig, body, at)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyStandardWebhook(token, id, ts, sig, body, at + 6 * 60 * 1000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyStandardWebhook(token, id, 'soon', sig, body, at)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyStandardWebhook(token, id, undefined, sig, body, at)).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('secretFor', () => {
  it('takes the repository’s own secret, case-insensitively, else the provider-wide one, else none', () => {
    expect(secretFor({ repos: { 'acme/api': 'api-secret' }, any: 'any-secret' }, 'Acme/API')).toBe('api-secret');
    expect(secretFor({ repos: { 'acme/api': 'api-secret' }, any: 'any-secret' }, 'acme/web')).toBe('any-secret');
    expect(secretFor({ repos: { 'acme/api': 'api-secret' } }, 'acme/web')).toBeUndefined();
    expect(secretFor({ repos: {} }, 'constructor')).toBeUndefined();
  });
});
