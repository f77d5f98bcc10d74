import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { v4 as uuidv4 } from 'uuid';
import { createEnvelope, TaskConstraints, TaskOutcome, TaskRequest } from '@phoenix/contracts';
import { McpWorker, McpWorkerModule } from '@phoenix/mcp';
import { Mem0MemoryStore, memoryFileSchema } from '@phoenix/memory';
import { AppContext, createConsumerApp } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { localLlm } from '../../../test/support/llm';
import { endOffsets, readEvents } from '../../../test/support/topics';
import { waitFor } from '../../../test/support/wait';
import { SUPERVISOR_TOPICS, Supervisor, SupervisorModule } from './supervisor.module';

const run = Date.now();
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-sup-llm-'));
const SERVERS = ['hubspot', 'gong', 'counter'];

/**
 * The supervisor's model paths against a real model (SmolLM2-135M on the stack's llama.cpp
 * server): the LLM planner over the real capability registry, and a playbook whose answer the
 * model writes from memory. A 135M model is often wrong, so these assert what Phoenix promises
 * whatever the model says: a plan that runs only if it validates, a clean refusal otherwise, and
 * an answer that names its model and the memories it was given.
 */
describe('supervisor with a real model (LLM planner, answers from memory)', () => {
  let ctx: AppContext;
  let worker: INestApplication;
  let supervisorApp: INestApplication;
  let supervisor: Supervisor;
  let store: Mem0MemoryStore;
  let fromOutcomes: Map<number, string>;

  const task = (goal: string, inputs: Record<string, string>, constraints: Partial<TaskConstraints>) =>
    createEnvelope<TaskRequest>({
      type: 'task.requested',
      source: 'spec',
      key: `task-${uuidv4()}`,
      payload: { taskId: `task-${uuidv4()}`, goal, inputs, constraints: { timeoutMs: 180000, maxSteps: null, playbook: null, planner: null, memory: null, ...constraints }, requestedBy: 'spec' },
    });
  const outcomeOf = async (taskId: string) =>
    (await readEvents<TaskOutcome>(ctx.bus.codec, 'supervisor.outcomes', (es) => es.some((e) => e.event.payload.taskId === taskId), { from: fromOutcomes, timeoutMs: 200000 })).find((e) => e.event.payload.taskId === taskId)!.event
      .payload;

  beforeAll(async () => {
    const llm = await localLlm();
    ctx = testContext('supervisor-llm', { PHOENIX_CONFIG_DIR: 'test/fixtures/config', FIXTURE_STATE_DIR: stateDir, PHOENIX_INSTANCE: `sup-llm-${run}`, LLM_BASE_URL: llm.baseUrl, LLM_MODEL: llm.model });
    await ctx.bus.admin.apply();
    fromOutcomes = await endOffsets('supervisor.outcomes');
    const defaults = memoryFileSchema.parse({});
    store = new Mem0MemoryStore({ dir: path.join(stateDir, 'memory'), modelsDir: ctx.config.paths.models, store: defaults.store, search: defaults.search });
    await store.init();
    const say = (i: number, text: string) => ({ eventId: `sup-llm-${run}-${i}`, text, scope: { runId: 'conv-llm-spec' }, metadata: { topic: 'interactions.chat' }, entity: null, namespace: 'live' as const });
    await store.addMany([say(1, 'Melanie said on 3 June 2023: I painted a lake at sunrise last week.'), say(2, 'Melanie said on 3 June 2023: my kids love the beach; we go camping every July.'), say(3, 'John said on 4 June 2023: the office moved to Berlin.')]);

    const w = McpWorker.fromConfig(ctx, SERVERS);
    await w.start();
    worker = await createConsumerApp(ctx, { app: 'mcp-worker', module: McpWorkerModule.forWorker(w), groupId: w.groupId(false), topics: w.topics, ownsContext: false });
    await worker.startAllMicroservices();
    await worker.init();
    supervisor = new Supervisor(ctx, store);
    await supervisor.start();
    await waitFor('capabilities of the fixture servers', () => SERVERS.every((s) => supervisor.capabilities.get(s)?.payload.status === 'up'), 60000);
    supervisorApp = await createConsumerApp(ctx, { app: 'supervisor', module: SupervisorModule.forSupervisor(supervisor), groupId: `sup-llm-${run}-supervisor`, topics: SUPERVISOR_TOPICS, ownsContext: false, transport: supervisor.transport() });
    await supervisorApp.startAllMicroservices();
    await supervisorApp.init();
  }, 300000);

  afterAll(async () => {
    await supervisorApp?.close();
    await worker?.close();
    await store?.close();
    await ctx?.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('LLM planner: the plan runs only if it validates against the capability registry; otherwise the task is refused with the reason', async () => {
    const t = task('Find the deals that closed since Monday and the sales calls about them', { since: '2026-11-30' }, { planner: 'llm', maxSteps: 3 });
    await ctx.bus.producer.publish('supervisor.tasks', t);
    const o = await outcomeOf(t.payload.taskId);
    process.stderr.write(`LLM planner outcome: ${o.status} ${o.error ?? ''} ${JSON.stringify(o.steps.map((s) => [s.server, s.tool, s.status]))}\n`);
    expect(o.planner).toBe('llm:smollm2-135m-instruct');
    if (o.steps.length === 0) {
      // Refused cleanly: a planning error with its code, nothing sent to a worker.
      expect(o.status).toBe('failed');
      expect(o.error).toMatch(/^(INVALID_PLAN|LLM_FAILED): \S/);
      // A 4xx would mean Phoenix sent the model a request it cannot serve (e.g. a plan schema it cannot compile).
      expect(o.error).not.toMatch(/answered 4\d\d/);
    } else {
      // Ran: every step is a tool of a registered server, and each reached an end state.
      const registry = new Map(supervisor.capabilities.values().map((c) => [c.payload.server, new Set(c.payload.tools.map((x) => x.name))]));
      for (const s of o.steps) {
        expect(registry.get(s.server!)?.has(s.tool!)).toBe(true);
        expect(['ok', 'tool_error', 'timeout', 'rejected', 'failed', 'skipped']).toContain(s.status);
      }
      expect(o.steps.length).toBeLessThanOrEqual(3);
      expect(['succeeded', 'partial', 'failed']).toContain(o.status);
    }
  }, 240000);

  it('answer_from_memory: the model answers from the conversation\'s memories; with memory off it gets none', async () => {
    const asked = 'What did Melanie paint?';
    const on = task(asked, { conversation: 'conv-llm-spec' }, { playbook: 'answer_from_memory' });
    const off = task(asked, { conversation: 'conv-llm-spec' }, { playbook: 'answer_from_memory', memory: false });
    await ctx.bus.producer.publish('supervisor.tasks', on);
    await ctx.bus.producer.publish('supervisor.tasks', off);
    const [withMemory, without] = [await outcomeOf(on.payload.taskId), await outcomeOf(off.payload.taskId)];
    for (const o of [withMemory, without]) {
      expect(o.status).toBe('succeeded');
      expect(o.planner).toBe('playbook:answer_from_memory');
      expect(o.steps).toEqual([expect.objectContaining({ stepId: 'answer', status: 'ok', server: null, tool: null })]);
    }
    const a = withMemory.summary as { answer: string; model: string; memories: number; goal: string };
    expect(a).toMatchObject({ goal: asked, model: 'smollm2-135m-instruct' });
    expect(typeof a.answer).toBe('string');
    expect(a.answer.length).toBeGreaterThan(0);
    // Only this conversation's memories, all three of them, reached the model.
    expect(a.memories).toBe(3);
    expect((without.summary as { memories: number }).memories).toBe(0);
  }, 240000);
});
