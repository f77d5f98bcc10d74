import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { v4 as uuidv4 } from 'uuid';
import { CodeEvent, McpResult, TaskOutcome } from '@phoenix/contracts';
import { createGatewayApp } from '@phoenix/gateway';
import { McpWorker, McpWorkerModule } from '@phoenix/mcp';
import { createMemoryWriter, MemoryWriter } from '@phoenix/memory-writer';
import { Router, ROUTER_TOPIC_PATTERNS, RoutingModule } from '@phoenix/routing';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { Supervisor, SUPERVISOR_TOPICS, SupervisorModule } from '@phoenix/supervisor';
import { venvBin } from '../../../test/setup/test-tools';
import { testContext } from '../../../test/support/context';
import { endOffsets, readEvents } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { githubSignature } from './webhook-signatures';

const ROOT = path.resolve(__dirname, '../../..');
const SECRET = 'phoenix-demo-webhook-secret';
const REPO = 'acme/phoenix-demo';

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Ana Lima', GIT_AUTHOR_EMAIL: 'ana@acme.dev', GIT_COMMITTER_NAME: 'Ana Lima', GIT_COMMITTER_EMAIL: 'ana@acme.dev' } }).trim();

/** The push GitHub would deliver for `before..after` of a local repository (its documented push payload's shape). */
function pushDelivery(repo: string, before: string, after: string): string {
  const ids = git(repo, 'rev-list', '--reverse', `${before}..${after}`).split('\n');
  const commits = ids.map((id) => {
    const [message, timestamp] = [git(repo, 'log', '-1', '--format=%B', id), git(repo, 'log', '-1', '--format=%aI', id)];
    const files = git(repo, 'show', '--name-status', '--format=', id).split('\n').map((l) => l.split('\t'));
    const of = (s: string) => files.filter(([st]) => st === s).map(([, f]) => f);
    const person = { name: 'Ana Lima', email: 'ana@acme.dev', username: 'ana' };
    return { id, tree_id: git(repo, 'rev-parse', `${id}^{tree}`), distinct: true, message, timestamp, url: `https://github.com/${REPO}/commit/${id}`, author: person, committer: person, added: of('A'), removed: of('D'), modified: of('M') };
  });
  const repository = { id: 1296269, name: 'phoenix-demo', full_name: REPO, private: true, html_url: `https://github.com/${REPO}`, default_branch: 'main', pushed_at: Math.floor(Date.now() / 1000) };
  return JSON.stringify({ ref: 'refs/heads/main', before, after, created: false, deleted: false, forced: false, base_ref: null, compare: `https://github.com/${REPO}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`, commits, head_commit: commits[commits.length - 1], repository, pusher: { name: 'ana', email: 'ana@acme.dev' }, sender: { login: 'ana', id: 583231, type: 'User' } });
}

/**
 * The third source end to end: a commit pushed to a local git repository, the matching signed
 * GitHub push delivery posted to the gateway; the shipped `code-push-review` route (turned on)
 * calls the reference git MCP server (`mcp-server-git` from PyPI, over stdio, on that repository)
 * and starts the `code_review` playbook; the push is in the warehouse and searchable in memory,
 * and the second push's review reads the first review from memory.
 */
describe('code push → git MCP server, warehouse, memory (real Kafka, mcp-server-git, DuckDB, Mem0)', () => {
  const run = Date.now().toString(36);
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-git-repo-'));
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-code-config-'));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-code-data-'));
  let ctx: AppContext;
  let writer: MemoryWriter;
  let supervisor: Supervisor;
  let gateway: INestApplication;
  let base: string;
  const apps: INestApplication[] = [];

  const commit = (file: string, text: string, message: string) => {
    fs.writeFileSync(path.join(repo, file), text);
    git(repo, 'add', file);
    git(repo, 'commit', '-q', '-m', message);
    return git(repo, 'rev-parse', 'HEAD');
  };
  const deliver = async (before: string, after: string) => {
    const body = pushDelivery(repo, before, after);
    const res = await fetch(`${base}/v1/webhooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': uuidv4(), 'x-hub-signature-256': githubSignature(SECRET, body) },
      body,
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; topic: string };
  };

  beforeAll(async () => {
    git(repo, 'init', '-q', '-b', 'main');
    commit('README.md', '# phoenix-demo\n', 'Initial commit');

    // The shipped configuration, with the git server and the route turned on (both are off by default).
    const servers = parseYaml(fs.readFileSync(path.join(ROOT, 'config/mcp-servers.yaml'), 'utf8')) as { servers: { name: string; enabled?: boolean }[] };
    const gitServer = servers.servers.find((s) => s.name === 'git')!;
    expect(gitServer.enabled).toBe(false);
    fs.writeFileSync(path.join(configDir, 'mcp-servers.yaml'), toYaml({ servers: [{ ...gitServer, enabled: true }] }));
    const routes = parseYaml(fs.readFileSync(path.join(ROOT, 'config/routes.yaml'), 'utf8')) as { routes: { name: string; enabled?: boolean }[] };
    const route = routes.routes.find((r) => r.name === 'code-push-review')!;
    expect(route.enabled).toBe(false);
    fs.writeFileSync(path.join(configDir, 'routes.yaml'), toYaml({ routes: [{ ...route, enabled: true }] }));
    fs.copyFileSync(path.join(ROOT, 'config/topics.yaml'), path.join(configDir, 'topics.yaml'));
    fs.mkdirSync(path.join(configDir, 'playbooks'));
    fs.copyFileSync(path.join(ROOT, 'config/playbooks/code_review.yaml'), path.join(configDir, 'playbooks/code_review.yaml'));
    fs.writeFileSync(
      path.join(configDir, 'memory.yaml'),
      ['topics: { include: ["code.pushes", "mcp.results", "supervisor.outcomes"] }', 'memories:', '  - match: { topics: "code.*" }', '  - match: { topics: "supervisor.outcomes" }', '  - match: { topics: "mcp.results" }', '    skip: true', ''].join('\n'),
    );

    const env = {
      PHOENIX_CONFIG_DIR: configDir,
      PHOENIX_DATA_DIR: dataDir,
      PHOENIX_INSTANCE: `code-review-${run}`,
      GITHUB_WEBHOOK_SECRETS: `${REPO}=${SECRET}`,
      PHOENIX_GIT_MCP_COMMAND: venvBin('mcp-server-git'),
      PHOENIX_GIT_REPOSITORY: repo,
      HEALTH_PORT: '0',
    };
    ctx = testContext('code-review-test', env);
    await ctx.bus.admin.apply();
    writer = await createMemoryWriter(ctx);
    await writer.start();
    const worker = McpWorker.fromConfig(ctx, undefined);
    expect(worker.servers.map((s) => s.name)).toEqual(['git']);
    await worker.start();
    supervisor = new Supervisor(ctx, writer.memory);
    await supervisor.start();
    const router = new Router(ctx);
    apps.push(
      await createConsumerApp(ctx, { app: 'mcp-worker', module: McpWorkerModule.forWorker(worker), groupId: worker.groupId(true), topics: worker.topics, ownsContext: false }),
      await createConsumerApp(ctx, { app: 'supervisor', module: SupervisorModule.forSupervisor(supervisor), groupId: `code-review-${run}-supervisor`, topics: SUPERVISOR_TOPICS, ownsContext: false, transport: supervisor.transport() }),
      await createConsumerApp(ctx, { app: 'router', module: RoutingModule.forRouter(router, { watch: false }), groupId: `code-review-${run}-router`, topics: router.topics(ctx), transport: { discover: ROUTER_TOPIC_PATTERNS }, ownsContext: false }),
    );
    for (const app of apps) {
      await app.startAllMicroservices();
      await app.init();
    }
    await waitFor('mcp-server-git connected', () => worker.connections.get('git')!.isUp, 60000);
    // Plans are checked against the registry: the supervisor must have seen the server's tools.
    await waitFor('git tools in the supervisor’s registry', () => supervisor.capabilities.get('git')?.payload.tools.some((t) => t.name === 'git_show'), 60000);
    gateway = await createGatewayApp(testContext('code-review-gateway', env), { ownsContext: true });
    await gateway.listen(0, '127.0.0.1');
    base = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await gateway?.close();
    for (const app of apps.reverse()) await app.close();
    await supervisor?.stop();
    await writer?.stop();
    await ctx?.close();
  });

  it('a pushed commit: the git server’s diff in mcp.results, the push in the warehouse and in memory; the next review remembers the first', async () => {
    const [fromResults, fromOutcomes] = await Promise.all([endOffsets('mcp.results'), endOffsets('supervisor.outcomes')]);
    const before = git(repo, 'rev-parse', 'HEAD');
    const after = commit('login.ts', 'export const login = (user: string) => user.trim();\n', `Fix login for padded user names ${run}`);
    const push = await deliver(before, after);
    expect(push.topic).toBe('code.pushes');

    // The route's git_show call on the pushed head: the commit and its diff, from the real server.
    const results = await readEvents<McpResult>(ctx.bus.codec, 'mcp.results', (es) => es.some((e) => e.event.correlationId === push.id && e.event.payload.tool === 'git_show' && !e.event.payload.taskId), { from: fromResults, timeoutMs: 90000 });
    const shown = results.find((e) => e.event.correlationId === push.id && !e.event.payload.taskId)!.event.payload;
    expect(shown).toMatchObject({ server: 'git', tool: 'git_show', status: 'ok' });
    const text = JSON.stringify(shown.content);
    expect(text).toContain(after);
    expect(text).toContain(`Fix login for padded user names ${run}`);
    expect(text).toContain('+export const login');

    // The push and the tool's answer in the warehouse.
    await waitFor('the push and its git_show result in RAW_EVENTS', async () => {
      const r = await writer.warehouse.query(`SELECT topic, type, key FROM RAW_EVENTS WHERE event_id = '${push.id}' OR (topic = 'mcp.results' AND correlation_id = '${push.id}')`);
      return r.rows.length >= 2 ? r.rows : undefined;
    }, 90000).then((rows) => expect(rows).toEqual(expect.arrayContaining([{ topic: 'code.pushes', type: 'branch.pushed', key: `github:${REPO}` }])));

    // Its memory, found by what happened.
    const hit = await waitFor('the push in memory', async () => (await writer.memory.search(`ana pushed a fix for login to ${REPO}`, { limit: 10 })).find((m) => m.metadata.event_id === push.id), 120000);
    expect(hit.text).toMatch(new RegExp(`^ana pushed 1 commit to ${REPO} main: Fix login for padded user names ${run} \\(GitHub, \\d{4}-\\d{2}-\\d{2}\\)$`));

    // The review task: the pushed commits' log and diff from the git server.
    const outcomes = await readEvents<TaskOutcome>(ctx.bus.codec, 'supervisor.outcomes', (es) => es.some((e) => e.event.correlationId === push.id), { from: fromOutcomes, timeoutMs: 90000 });
    const first = outcomes.find((e) => e.event.correlationId === push.id)!.event.payload;
    expect(first).toMatchObject({ goal: `Review the change pushed to ${REPO} main by ana`, status: 'succeeded' });
    expect(JSON.stringify(first.steps.find((s) => s.stepId === 'diff')!.result)).toContain('+export const login');
    await waitFor('the first review in memory', async () => (await writer.memory.search(`Review the change pushed to ${REPO}`, { limit: 10 })).some((m) => m.metadata.correlation_id === push.id && m.metadata.topic === 'supervisor.outcomes'), 120000);

    // A second push: its review starts from the memory of the first.
    const second = await deliver(after, commit('login.ts', 'export const login = (user: string) => user.trim().toLowerCase();\n', `Compare user names without case ${run}`));
    const task = await waitFor('the second review planned', () => supervisor.service.tasks().find((t) => t.correlationId === second.id && t.plan !== null), 90000);
    expect(task.memory.map((m) => m.metadata.correlation_id)).toContain(push.id);
    const events = (await readEvents<CodeEvent>(ctx.bus.codec, 'code.pushes', (es) => es.some((e) => e.event.id === second.id), { from: new Map() })).filter((e) => e.event.key === `github:${REPO}` && [push.id, second.id].includes(e.event.id));
    expect(events.map((e) => e.event.id)).toEqual([push.id, second.id]);
  });
});
