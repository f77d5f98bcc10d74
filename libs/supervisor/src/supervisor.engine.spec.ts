import { InMemoryBus } from '@phoenix/bus';
import { createEnvelope, Envelope, followUp, mcpCommandsTopic, McpCommand, McpResult, ServerCapabilities, TaskOutcome, TaskRequest, TaskState, TOPICS } from '@phoenix/contracts';
import { NoopMemoryReader } from '@phoenix/memory';
import { createLogger } from '@phoenix/observability';
import { PlaybookPlanner } from './planners';
import { playbookSchema } from './playbooks';
import { SupervisorService } from './supervisor.service';

/**
 * The whole supervisor engine on the in-memory bus: tasks in, commands out, results in, the
 * outcome out, state on `supervisor.state` — a restart resumes from that state. Fast and without
 * Kafka; supervisor.int-spec.ts runs the same engine against the real broker and MCP workers.
 */
const logger = createLogger({ level: 'silent', pretty: false, name: 'spec' });
const crm: ServerCapabilities = { server: 'crm', serverName: null, serverVersion: null, description: null, transport: 'stdio', status: 'up', tools: [{ name: 'get', description: null, inputSchema: { type: 'object' }, outputSchema: null }] };
const playbooks = new PlaybookPlanner([
  playbookSchema.parse({
    name: 'review',
    match: ['review'],
    steps: [
      { id: 'deal', server: 'crm', tool: 'get', arguments: { id: '{{ $.inputs.deal }}' } },
      { id: 'notes', server: 'crm', tool: 'get', arguments: { id: 'notes' }, timeoutMs: 100, optional: true },
      { id: 'sum', kind: 'synthesize', dependsOn: ['deal', 'notes'] },
    ],
  }),
]);

async function setup(bus = new InMemoryBus()) {
  await bus.publish(TOPICS.mcpCapabilities, createEnvelope({ type: 'mcp.capabilities.updated', source: 'spec', key: 'crm', payload: crm }));
  const supervisor = new SupervisorService({ producer: bus, states: bus.view<TaskState>(TOPICS.supervisorState), capabilities: bus.view<ServerCapabilities>(TOPICS.mcpCapabilities), memory: new NoopMemoryReader(), playbooks, logger });
  return { bus, supervisor };
}

const taskEvent = (taskId: string): Envelope<TaskRequest> => createEnvelope({ type: 'task.requested', source: 'spec', key: taskId, payload: { taskId, goal: 'review the deal', inputs: { deal: 'd-7' }, constraints: { timeoutMs: null, maxSteps: null, playbook: null, planner: null, memory: null }, requestedBy: 'spec' } });
const resultFor = (command: Envelope<McpCommand>, status: McpResult['status'], over: Partial<McpResult> = {}): Envelope<McpResult> =>
  followUp(command, { type: `mcp.result.${status}`, source: 'spec', key: command.payload.taskId, payload: { server: 'crm', tool: 'get', idempotencyKey: command.payload.idempotencyKey, taskId: command.payload.taskId, stepId: command.payload.stepId, status, content: null, structuredContent: { got: command.payload.arguments }, error: null, attempts: 1, duplicateOf: null, durationMs: 1, ...over } });

describe('supervisor engine on the in-memory bus', () => {
  it('fans out the independent steps, gathers the results, publishes one outcome', async () => {
    const { bus, supervisor } = await setup();
    await supervisor.onTask(taskEvent('t1'));
    const commands = bus.published<McpCommand>(mcpCommandsTopic('crm')).map((r) => r.event);
    expect(commands.map((c) => [c.payload.stepId, c.payload.idempotencyKey, c.payload.arguments])).toEqual([
      ['deal', 't1:deal', { id: 'd-7' }],
      ['notes', 't1:notes', { id: 'notes' }],
    ]);
    // The state that dispatched them was written first: a crash now resumes and re-sends them.
    const dispatched = bus.published<TaskState>(TOPICS.supervisorState).map((r) => r.offset);
    expect(dispatched.length).toBeGreaterThanOrEqual(2);
    await supervisor.onResult(resultFor(commands[0], 'ok'));
    await supervisor.onResult(resultFor(commands[0], 'ok', { duplicateOf: 'x' }));
    await supervisor.onResult(resultFor(commands[1], 'ok'));
    const outcomes = bus.published<TaskOutcome>(TOPICS.supervisorOutcomes);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0].event.payload).toMatchObject({ taskId: 't1', status: 'succeeded', summary: { goal: 'review the deal', results: { deal: { got: { id: 'd-7' } }, notes: { got: { id: 'notes' } } }, missing: [] } });
    expect(bus.view<TaskState>(TOPICS.supervisorState).get('t1')?.payload.terminal).toBe(true);
    // A duplicate request for a finished task is ignored.
    await supervisor.onTask(taskEvent('t1'));
    expect(bus.published(mcpCommandsTopic('crm'))).toHaveLength(2);
    supervisor.stop();
  });

  it('times out a step with no result and finishes partial (the timed-out step was optional)', async () => {
    const { bus, supervisor } = await setup();
    await supervisor.onTask(taskEvent('t2'));
    const [deal] = bus.published<McpCommand>(mcpCommandsTopic('crm')).map((r) => r.event);
    await supervisor.onResult(resultFor(deal, 'ok'));
    const outcome = await bus.next<TaskOutcome>(TOPICS.supervisorOutcomes);
    expect(outcome.event.payload.status).toBe('succeeded');
    expect(outcome.event.payload.steps.find((s) => s.stepId === 'notes')).toMatchObject({ status: 'timeout', error: 'no result before the step deadline' });
    supervisor.stop();
  });

  it('a new supervisor (after a crash) resumes from supervisor.state: re-sends only what is still waiting, finishes once', async () => {
    const first = await setup();
    await first.supervisor.onTask(taskEvent('t3'));
    const sent = first.bus.published<McpCommand>(mcpCommandsTopic('crm')).map((r) => r.event);
    await first.supervisor.onResult(resultFor(sent[0], 'ok'));
    first.supervisor.stop();
    const second = await setup(first.bus);
    await second.supervisor.onAssignment([0, 1, 2, 3, 4, 5]);
    const resent = first.bus.published<McpCommand>(mcpCommandsTopic('crm')).slice(sent.length).map((r) => r.event.payload.idempotencyKey);
    // The step whose result was recorded is not sent again; the other keeps its idempotency key
    // (the worker's ledger runs each step once whoever sends it).
    expect(resent).toEqual(['t3:notes']);
    await second.supervisor.onResult(resultFor(sent[1], 'ok'));
    expect(first.bus.published<TaskOutcome>(TOPICS.supervisorOutcomes).map((r) => r.event.payload.status)).toEqual(['succeeded']);
    second.supervisor.stop();
  });

  it('a task no playbook fits fails with the planner named and the reason, and sends nothing', async () => {
    const { bus, supervisor } = await setup();
    await supervisor.onTask(createEnvelope({ type: 'task.requested', source: 'spec', key: 't4', payload: { ...taskEvent('t4').payload, goal: 'water the plants' } }));
    const [outcome] = bus.published<TaskOutcome>(TOPICS.supervisorOutcomes);
    expect(outcome.event.payload).toMatchObject({ status: 'failed', planner: 'playbook:none' });
    expect(outcome.event.payload.error).toMatch(/^NO_PLAYBOOK: /);
    expect(bus.published(mcpCommandsTopic('crm'))).toHaveLength(0);
    supervisor.stop();
  });
});
