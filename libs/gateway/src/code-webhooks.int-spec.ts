import * as fs from 'node:fs';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { v4 as uuidv4 } from 'uuid';
import { githubSignature, standardWebhookSignature } from '@phoenix/code';
import { CodeEvent } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { DecodedMessage, endOffsets, readEvents } from '../../../test/support/topics';
import { createGatewayApp } from './gateway.app';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/code');
const fixture = (file: string) => fs.readFileSync(path.join(FIXTURES, file), 'utf8');

const GITHUB_SECRET = 'gh-public-repo-secret-0123';
const HELLO_SECRET = 'gh-hello-world-secret-0123';
const GITLAB_TOKEN = 'gl-diaspora-token-0123';
const GITLAB_TEST_TOKEN = 'gl-gitlab-test-token-0123';
const SIGNING_TOKEN = `whsec_${Buffer.from('phoenix-gitlab-signing-key-0123456789').toString('base64')}`;

type Answer = { status: number; body: { outcome?: string; id?: string | null; topic?: string; deliveryId?: string; error?: { code: string; message: string } } };

/**
 * GitHub and GitLab deliveries with the providers' documented payloads and signatures, against a
 * real broker and registry: valid ones are published once (also when redelivered, to this
 * gateway or another replica), forged, unsigned, unconfigured and malformed ones get their status
 * and publish nothing, pings are answered.
 */
describe('code host webhooks (real Kafka + registry, two gateway replicas)', () => {
  let ctx: AppContext;
  let apps: INestApplication[] = [];
  let bases: string[] = [];

  const env = {
    GITHUB_WEBHOOK_SECRETS: `baxterthehacker/public-repo=${GITHUB_SECRET};Codertocat/Hello-World=${HELLO_SECRET}`,
    GITLAB_WEBHOOK_TOKENS: `mike/diaspora=${GITLAB_TOKEN};gitlab-org/gitlab-test=${GITLAB_TEST_TOKEN}`,
    GITLAB_WEBHOOK_SIGNING_TOKENS: `gitlab-org/gitlab-test=${SIGNING_TOKEN}`,
  };

  const post = async (replica: number, provider: 'github' | 'gitlab', body: string, headers: Record<string, string>): Promise<Answer> => {
    const res = await fetch(`${bases[replica]}/v1/webhooks/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
  const github = (event: string, body: string, over: { delivery?: string; secret?: string; replica?: number; signature?: string | null } = {}) => {
    const headers: Record<string, string> = { 'x-github-event': event, 'x-github-delivery': over.delivery ?? uuidv4(), 'user-agent': 'GitHub-Hookshot/044aadd' };
    if (over.signature !== null) headers['x-hub-signature-256'] = over.signature ?? githubSignature(over.secret ?? GITHUB_SECRET, body);
    return post(over.replica ?? 0, 'github', body, headers);
  };
  const gitlab = (event: string, body: string, over: { uuid?: string; token?: string | null; replica?: number; signing?: { id?: string; timestamp?: number; token?: string } } = {}) => {
    const headers: Record<string, string> = { 'x-gitlab-event': event, 'x-gitlab-event-uuid': over.uuid ?? uuidv4(), 'user-agent': 'GitLab/17.11.0' };
    if (over.token !== null) headers['x-gitlab-token'] = over.token ?? GITLAB_TOKEN;
    if (over.signing) {
      const id = over.signing.id ?? `msg_${uuidv4()}`;
      const ts = String(over.signing.timestamp ?? Math.floor(Date.now() / 1000));
      Object.assign(headers, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': standardWebhookSignature(over.signing.token ?? SIGNING_TOKEN, id, ts, body) });
    }
    return post(over.replica ?? 0, 'gitlab', body, headers);
  };

  /** Reads `topic` from `from` until `last` is there; returns every code event in between, in order. */
  const publishedUntil = async (topic: string, from: Map<number, string>, last: string): Promise<DecodedMessage<CodeEvent>[]> =>
    readEvents<CodeEvent>(ctx.bus.codec, topic, (es) => es.some((e) => e.event.payload.deliveryId === last), { from, timeoutMs: 30000 });

  beforeAll(async () => {
    ctx = testContext('code-webhooks-test', env);
    for (let i = 0; i < 2; i++) {
      const app = await createGatewayApp(testContext(`code-webhooks-gw-${i}`, env), { ownsContext: true });
      await app.listen(0, '127.0.0.1');
      apps.push(app);
      bases.push((await app.getUrl()).replace('[::1]', '127.0.0.1'));
    }
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
    bases = [];
    await ctx?.close();
  });

  it('GitHub: a signed push is published once — a redelivery to either replica is a duplicate, never a second event', async () => {
    const from = await endOffsets('code.pushes');
    const body = fixture('github/push.json');
    const delivery = uuidv4();
    const first = await github('push', body, { delivery });
    expect(first).toMatchObject({ status: 201, body: { outcome: 'published', topic: 'code.pushes', deliveryId: delivery } });
    const again = await github('push', body, { delivery });
    const other = await github('push', body, { delivery, replica: 1 });
    expect(again).toEqual({ status: 200, body: { outcome: 'duplicate', deliveryId: delivery, id: first.body.id, topic: 'code.pushes' } });
    expect(other).toEqual(again);
    // The same delivery id with other bytes is not a redelivery.
    expect((await github('push', body.replace('Update README.md', 'Update README!'), { delivery })).status).toBe(409);

    const sentinel = uuidv4();
    expect((await github('push', body, { delivery: sentinel })).status).toBe(201);
    const events = await publishedUntil('code.pushes', from, sentinel);
    const mine = events.filter((e) => e.event.payload.deliveryId === delivery);
    expect(mine).toHaveLength(1);
    expect(mine[0].event).toMatchObject({ id: first.body.id, type: 'branch.pushed', source: 'github', key: 'github:baxterthehacker/public-repo' });
    expect(mine[0].event.payload).toMatchObject({ provider: 'github', kind: 'push', branch: 'changes', push: { files: ['README.md'], totalCommits: 1 } });
    expect(mine[0].event.payload.raw).toEqual(JSON.parse(body));
  });

  it('GitHub: forged, unsigned, tampered and unconfigured deliveries are 401 and publish nothing; ping 200, unpublished events 202', async () => {
    const from = await endOffsets('code.pushes');
    const body = fixture('github/push.json');
    const refused = [uuidv4(), uuidv4(), uuidv4(), uuidv4()];
    const forged = await github('push', body, { delivery: refused[0], secret: 'not-the-secret-of-this-repo' });
    expect(forged).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED', message: 'X-Hub-Signature-256 does not match the body' } } });
    expect((await github('push', body, { delivery: refused[1], signature: null })).body.error!.message).toMatch(/not signed/);
    expect((await github('push', body.replace('"forced": false', '"forced": true'), { delivery: refused[2], signature: githubSignature(GITHUB_SECRET, body) })).status).toBe(401);
    // Signed with the secret of another repository: each repository's own secret counts.
    expect((await github('push', body, { delivery: refused[3], secret: HELLO_SECRET })).status).toBe(401);
    const unconfigured = await github('workflow_run', fixture('github/workflow_run-completed.json'), { secret: GITHUB_SECRET });
    expect(unconfigured).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/no webhook secret is configured for GitHub repository octo-org\/octo-repo/) } } });

    expect(await github('ping', fixture('github/ping.json'), { secret: HELLO_SECRET })).toMatchObject({ status: 200, body: { outcome: 'ping' } });
    expect(await github('pull_request', fixture('github/pull_request-labeled.json'))).toMatchObject({ status: 202, body: { outcome: 'ignored' } });
    expect(await github('star', JSON.stringify({ action: 'created', repository: { full_name: 'baxterthehacker/public-repo', name: 'public-repo' } }))).toMatchObject({ status: 202 });

    const form = await fetch(`${bases[0]}/v1/webhooks/github`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push', 'x-github-delivery': uuidv4() }, body: `payload=${encodeURIComponent(body)}` });
    expect(form.status).toBe(415);
    expect((await github('push', '[]')).status).toBe(400);
    const noDelivery = await fetch(`${bases[0]}/v1/webhooks/github`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': githubSignature(GITHUB_SECRET, body) }, body });
    expect(noDelivery.status).toBe(400);

    const sentinel = uuidv4();
    expect((await github('push', body, { delivery: sentinel })).status).toBe(201);
    const events = await publishedUntil('code.pushes', from, sentinel);
    // Same repository, same partition: anything refused above would sit before the sentinel.
    expect(events.map((e) => e.event.payload.deliveryId).filter((d) => refused.includes(d))).toEqual([]);
  });

  it('GitHub: pull requests, reviews and releases go to their own topics', async () => {
    const opened = await github('pull_request', fixture('github/pull_request-opened.json'));
    const merged = await github('pull_request', fixture('github/pull_request-merged.json'));
    const review = await github('pull_request_review', fixture('github/pull_request_review-submitted.json'));
    const release = await github('release', fixture('github/release-published.json'), { secret: HELLO_SECRET });
    expect([opened, merged, review, release].map((a) => [a.status, a.body.topic])).toEqual([
      [201, 'code.pull-requests'],
      [201, 'code.pull-requests'],
      [201, 'code.reviews'],
      [201, 'code.releases'],
    ]);
  });

  it('GitLab: the secret token and, where configured, the signing token; test deliveries and unfinished pipelines publish nothing', async () => {
    const from = await endOffsets('code.pushes');
    const body = fixture('gitlab/push.json');
    const uuid = uuidv4();
    const ok = await gitlab('Push Hook', body, { uuid });
    expect(ok).toMatchObject({ status: 201, body: { outcome: 'published', topic: 'code.pushes' } });
    expect(await gitlab('Push Hook', body, { uuid, replica: 1 })).toMatchObject({ status: 200, body: { outcome: 'duplicate', id: ok.body.id } });
    const refused = [uuidv4(), uuidv4()];
    expect(await gitlab('Push Hook', body, { uuid: refused[0], token: 'not-the-token' })).toMatchObject({ status: 401, body: { error: { message: expect.stringMatching(/X-Gitlab-Token does not match/) } } });
    expect((await gitlab('Push Hook', body, { uuid: refused[1], token: null })).status).toBe(401);
    expect(await gitlab('Merge Request Hook', fixture('gitlab/merge_request-test.json'))).toMatchObject({ status: 200, body: { outcome: 'ping' } });
    expect((await gitlab('Tag Push Hook', fixture('gitlab/tag_push.json'))).body.error!.message).toMatch(/no webhook token is configured for GitLab project jsmith\/example/);

    // gitlab-org/gitlab-test has a signing token too: both must verify.
    const pipeline = fixture('gitlab/pipeline-success.json');
    expect(await gitlab('Pipeline Hook', pipeline, { token: GITLAB_TEST_TOKEN, signing: {} })).toMatchObject({ status: 201, body: { topic: 'code.pipelines' } });
    expect((await gitlab('Pipeline Hook', pipeline, { token: GITLAB_TEST_TOKEN })).body.error!.message).toMatch(/webhook-id, webhook-timestamp and webhook-signature are required/);
    expect((await gitlab('Pipeline Hook', pipeline, { token: GITLAB_TEST_TOKEN, signing: { timestamp: Math.floor(Date.now() / 1000) - 600 } })).body.error!.message).toMatch(/outside the 5-minute window/);
    expect((await gitlab('Pipeline Hook', pipeline, { token: GITLAB_TEST_TOKEN, signing: { token: `whsec_${Buffer.from('another-signing-key-0123456789').toString('base64')}` } })).body.error!.message).toMatch(/webhook-signature does not match/);
    expect(await gitlab('Pipeline Hook', fixture('gitlab/pipeline-running.json'), { token: GITLAB_TEST_TOKEN, signing: {} })).toMatchObject({ status: 202, body: { outcome: 'ignored' } });

    const sentinel = uuidv4();
    expect((await gitlab('Push Hook', body, { uuid: sentinel })).status).toBe(201);
    const events = (await publishedUntil('code.pushes', from, sentinel)).filter((e) => e.event.key === 'gitlab:mike/diaspora');
    expect(events.map((e) => e.event.payload.deliveryId)).toEqual([uuid, sentinel]);
    expect(events[0].event).toMatchObject({ type: 'branch.pushed', source: 'gitlab', payload: { actor: { login: 'jsmith' }, push: { totalCommits: 4 } } });
  });
});
