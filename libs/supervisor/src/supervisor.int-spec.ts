import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { v4 as uuidv4 } from 'uuid';
import { TopicView } from '@phoenix/bus';
import { createEnvelope, TaskOutcome, TaskRequest, TaskState } from '@phoenix/contracts';
import { McpWorker, McpWorkerModule } from '@phoenix/mcp';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { endOffsets, readEvents } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { SUPERVISOR_TOPICS, Supervisor, SupervisorModule } from './supervisor.module';
import { TaskRuntime } from './task-runtime';

const ROOT = path.resolve(__dirname, '../../..');
const run = Date.now();
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-fixture-'));
const env = { PHOENIX_CONFIG_DIR: 'test/fixtures/config', FIXTURE_STATE_DIR: stateDir };

describe('supervisor (real Kafka, MCP workers on fixture servers)', () => {
  let ctx: AppContext;
  let worker: INestApplication;
  let supervisorApp: INestApplication;
  let supervisor: Supervisor;
  let fromOutcomes: Map<number, string>;

  const task = (goal: string, inputs: Record<string, string>, playbook: string | null = null) =>
    createEnvelope<TaskRequest>({
      type: 'task.requested',
      source: 'spec',
      key: `task-${uuidv4()}`,
      payload: { taskId: `task-${uuidv4()}`, goal, inputs, constraints: { timeoutMs: 60000, maxSteps: null, playbook, planner: null, memory: null }, requestedBy: 'spec' },
    });

  const outcomeOf = async (taskId: string) =>
    (await readEvents<TaskOutcome>(ctx.bus.codec, 'supervisor.outcomes', (es) => es.some((e) => e.event.payload.taskId === taskId), { from: fromOutcomes, timeoutMs: 90000 })).find(
      (e) => e.event.payload.taskId === taskId,
    )!.event;

  const calls = (label: string) => {
    const file = path.join(stateDir, 'counter.calls');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l === label).length : 0;
  };

  beforeAll(async () => {
    ctx = testContext('supervisor-test', { ...env, PHOENIX_INSTANCE: `sup-test-${run}` });
    await ctx.bus.admin.apply();
    fromOutcomes = await endOffsets('supervisor.outcomes');
    const w = McpWorker.fromConfig(ctx, ['hubspot', 'gong', 'counter']);
    await w.start();
    worker = await createConsumerApp(ctx, { app: 'mcp-worker', module: McpWorkerModule.forWorker(w), groupId: w.groupId(false), topics: w.topics, ownsContext: false });
    await worker.startAllMicroservices();
    await worker.init();
    supervisor = new Supervisor(ctx);
    await supervisor.start();
    await waitFor('capabilities of the fixture servers', () => ['hubspot', 'gong', 'counter'].every((s) => supervisor.capabilities.get(s)?.payload.status === 'up'), 60000);
    supervisorApp = await createConsumerApp(ctx, { app: 'supervisor', module: SupervisorModule.forSupervisor(supervisor), groupId: `sup-test-${run}-supervisor`, topics: SUPERVISOR_TOPICS, ownsContext: false, transport: supervisor.transport() });
    await supervisorApp.startAllMicroservices();
    await supervisorApp.init();
  });

  afterAll(async () => {
    await supervisorApp?.close();
    await worker?.close();
    await ctx?.close();
  });

  it('fans out to three workers in parallel; one times out; the outcome reports the partial result and the timeout', async () => {
    const t = task('Analyze last week\'s sales calls', { since: '2026-11-18' });
    await ctx.bus.producer.publish('supervisor.tasks', t);
    const outcome = await outcomeOf(t.payload.taskId);
    const o = outcome.payload;
    expect(o.planner).toBe('playbook:sales_pipeline_analysis');
    expect(o.status).toBe('partial');
    const byId = Object.fromEntries(o.steps.map((s) => [s.stepId, s]));
    expect(byId.deals.status).toBe('ok');
    expect(byId.calls.status).toBe('ok');
    expect(byId.notes.status).toBe('timeout');
    expect(byId.notes.durationMs).toBeGreaterThanOrEqual(900);
    // The three calls ran in parallel: they all started before the first finished.
    const starts = ['deals', 'calls', 'notes'].map((id) => byId[id].startedAt!);
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(200);
    const summary = o.summary as { results: Record<string, { deals?: unknown[]; calls?: unknown[] }>; missing: { step: string; status: string }[] };
    expect(summary.results.deals.deals).toHaveLength(2);
    expect(summary.results.calls.calls).toHaveLength(2);
    expect(summary.missing).toEqual([expect.objectContaining({ step: 'notes', status: 'timeout' })]);
    expect(outcome.correlationId).toBe(t.correlationId);
    expect(o.durationMs).toBeGreaterThan(0);
  });

  it('refuses a plan that names a server the registry does not have, with a clear error, before any step runs', async () => {
    const t = task('whatever', {}, 'ghost_server');
    await ctx.bus.producer.publish('supervisor.tasks', t);
    const o = (await outcomeOf(t.payload.taskId)).payload;
    expect(o.status).toBe('failed');
    expect(o.planner).toBe('playbook:ghost_server');
    expect(o.error).toBe('INVALID_PLAN: plan playbook:ghost_server is not executable: step "haunt": MCP server "ghost" is not in the capability registry');
    // Nothing ran: not even the step on a server that exists.
    expect(o.steps).toEqual([]);
  });

  it('refuses a task that names a playbook that does not exist', async () => {
    const t = task('whatever', {}, 'no_such_playbook');
    await ctx.bus.producer.publish('supervisor.tasks', t);
    const o = (await outcomeOf(t.payload.taskId)).payload;
    expect(o.status).toBe('failed');
    expect(o.error).toMatch(/UNKNOWN_PLAYBOOK: no playbook named "no_such_playbook"/);
  });

  describe('a supervisor killed mid-task (SIGKILL)', () => {
    let child: ChildProcess | undefined;
    const childEnv = { ...process.env, ...env, PHOENIX_INSTANCE: `sup-kill-${run}`, HEALTH_PORT: '0', LOG_LEVEL: 'info' };
    const startChild = () => {
      const log = fs.openSync(path.join(stateDir, 'supervisor.log'), 'a');
      child = spawn('node', [path.join(ROOT, 'dist/apps/supervisor/src/main.js')], { cwd: ROOT, env: childEnv, stdio: ['ignore', log, log] });
    };

    afterAll(() => {
      child?.kill('SIGKILL');
    });

    it('resumes after restart and runs every step exactly once', async () => {
      // Hand the topics over to the child process (its own consumer group).
      await supervisorApp.close();
      const states = new TopicView<TaskState>(ctx.bus.kafka, ctx.bus.codec, 'supervisor.state', ctx.logger);
      await states.start();
      startChild();
      const label = `resume-${run}`;
      const t = task('resume probe', { label }, 'resume_probe');
      await ctx.bus.producer.publish('supervisor.tasks', t);

      await waitFor('the wait step to be in flight', () => {
        const rt = states.get(t.payload.taskId)?.payload.state as unknown as TaskRuntime | undefined;
        return rt?.steps?.wait?.status === 'dispatched';
      }, 90000);
      child!.kill('SIGKILL');
      await waitFor('the supervisor to die', () => child!.exitCode !== null || child!.signalCode !== null);
      startChild();

      const o = (await outcomeOf(t.payload.taskId)).payload;
      await states.stop();
      if (o.status !== 'succeeded') console.log(JSON.stringify(o.steps, null, 1));
      expect(o.status).toBe('succeeded');
      expect(o.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
      expect(calls(`${label}-first`)).toBe(1);
      expect(calls(`${label}-last`)).toBe(1);
    });
  });
});
