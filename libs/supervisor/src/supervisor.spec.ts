import { ServerCapabilities, TaskRequest } from '@phoenix/contracts';
import { Plan, validatePlan } from './plan';
import { LlmClient } from '@phoenix/llm';
import { LlmPlanner, PlanningError, planSchema, PlaybookPlanner } from './planners';
import { playbookSchema } from './playbooks';
import { answerPrompt, firstLine } from './answer';
import { finalStatus, TaskRuntime } from './task-runtime';
import { parseTaskRuntime, TaskStateInvalidError } from './task-state.schema';

const caps: ServerCapabilities[] = [
  { server: 'hubspot', serverName: null, serverVersion: null, description: null, transport: 'stdio', status: 'up', tools: [{ name: 'search_deals', description: null, inputSchema: { type: 'object' }, outputSchema: null }] },
];
const step = (id: string, over: Partial<Plan['steps'][number]> = {}): Plan['steps'][number] => ({ id, kind: 'tool', server: 'hubspot', tool: 'search_deals', arguments: {}, dependsOn: [], timeoutMs: 1000, optional: false, ...over });
const plan = (steps: Plan['steps']): Plan => ({ planner: 't', steps, policy: { onStepFailure: 'continue', minSucceeded: 1 } });
const task = (over: Partial<TaskRequest> = {}): TaskRequest => ({ taskId: 't1', goal: 'Analyze last week sales calls', inputs: { since: 'monday' }, constraints: { timeoutMs: null, maxSteps: null, playbook: null, planner: null, memory: null }, requestedBy: 'spec', ...over });

describe('validatePlan', () => {
  it('accepts a valid plan', () => {
    expect(validatePlan(plan([step('a'), step('b', { dependsOn: ['a'] }), step('s', { kind: 'synthesize', dependsOn: ['a', 'b'] })]), caps)).toEqual([]);
  });
  it('names unknown servers and tools, unknown dependencies, cycles, duplicates and step limits', () => {
    const problems = validatePlan(
      plan([step('a', { server: 'gong' }), step('b', { tool: 'nope' }), step('c', { dependsOn: ['zz'] }), step('d', { dependsOn: ['e'] }), step('e', { dependsOn: ['d'] }), step('a')]),
      caps,
      3,
    ).join('\n');
    expect(problems).toContain('MCP server "gong" is not in the capability registry');
    expect(problems).toContain('server "hubspot" has no tool "nope"');
    expect(problems).toContain('depends on unknown step "zz"');
    expect(problems).toContain('cycle');
    expect(problems).toContain('step id "a" is used twice');
    expect(problems).toContain('the task allows 3');
  });
});

describe('PlaybookPlanner', () => {
  const book = playbookSchema.parse({
    name: 'sales',
    match: ['sales call'],
    defaults: { since: '7 days ago', region: 'emea' },
    steps: [{ id: 'deals', server: 'hubspot', tool: 'search_deals', arguments: { since: '{{ $.inputs.since }}' } }, { id: 'sum', kind: 'synthesize', dependsOn: ['deals'] }],
  });
  const planner = new PlaybookPlanner([book]);

  it('chooses by goal words, merges defaults under the task inputs', async () => {
    const p = await planner.plan(task());
    expect(p.planner).toBe('playbook:sales');
    expect(p.inputs).toEqual({ since: 'monday', region: 'emea' });
    expect(p.steps.map((s) => s.kind)).toEqual(['tool', 'synthesize']);
  });
  it('explains when nothing fits or a named playbook is missing', async () => {
    await expect(planner.plan(task({ goal: 'water the plants' }))).rejects.toThrow(/no playbook matches/);
    await expect(planner.plan(task({ constraints: { timeoutMs: null, maxSteps: null, playbook: 'nope', planner: null, memory: null } }))).rejects.toThrow(/no playbook named "nope"/);
  });
});

describe('PlaybookPlanner.memoryRead and model answers', () => {
  const answerBook = playbookSchema.parse({ name: 'qa', memory: { scope: { runId: '{{ $.inputs.conversation }}' }, limit: 10 }, defaults: { conversation: '' }, steps: [{ id: 'answer', kind: 'synthesize', with: 'model' }] });
  const planner = new PlaybookPlanner([answerBook]);
  const qa = (inputs: Record<string, string>, memory: boolean | null = null) => task({ goal: 'When did Melanie paint a sunrise?', inputs, constraints: { timeoutMs: null, maxSteps: null, playbook: 'qa', planner: null, memory } });

  it('renders the playbook scope from the inputs; an empty one searches everywhere; memory: false reads nothing', () => {
    expect(planner.memoryRead(qa({ conversation: 'conv-26' }), planner)).toEqual({ query: 'When did Melanie paint a sunrise?', scope: { runId: 'conv-26' }, limit: 10 });
    expect(planner.memoryRead(qa({}), planner)).toEqual({ query: 'When did Melanie paint a sunrise?', scope: {}, limit: 10 });
    expect(planner.memoryRead(qa({ conversation: 'conv-26' }, false), planner)).toBeNull();
    // Without a playbook memory section: the task's own run and requester, as before.
    expect(new PlaybookPlanner([]).memoryRead(task(), new PlaybookPlanner([]))).toEqual({ query: task().goal, scope: { runId: 't1', userId: 'spec' }, limit: 5 });
  });
  it('a `with: model` synthesis needs no dependencies and is planned as an answer step; a results synthesis still needs them', async () => {
    const p = await planner.plan(qa({ conversation: 'c' }));
    expect(p.steps).toEqual([expect.objectContaining({ id: 'answer', kind: 'synthesize', answer: true, dependsOn: [] })]);
    expect(() => playbookSchema.parse({ name: 'x', steps: [{ id: 's', kind: 'synthesize' }] })).toThrow(/needs dependsOn/);
  });
  it('the answer prompt numbers the memories as stored and ends with the question', () => {
    const prompt = answerPrompt('What did Melanie paint?', [{ id: 'm1', text: 'Melanie said on 3 June 2023: I painted a lake.', score: 0.9, metadata: {} }], {});
    expect(prompt).toBe('Memories:\n1. Melanie said on 3 June 2023: I painted a lake.\n\nQuestion: What did Melanie paint?\n\nAnswer:');
    expect(answerPrompt('q?', [], {})).toContain('Memories: none.');
    // The list marker a small model copies from the prompt is not part of the answer.
    expect(['1. A stained glass window\nand more', '- Lisbon', '  Paris  '].map(firstLine)).toEqual(['A stained glass window', 'Lisbon', 'Paris']);
  });
});

describe('LlmPlanner (OpenAI-compatible endpoint; the HTTP exchange is faked here)', () => {
  const answer = (content: string, status = 200) =>
    (async () => new Response(JSON.stringify({ choices: [{ message: { content } }] }), { status })) as unknown as typeof fetch;

  it('sends the tools and goal, and turns a JSON answer into a plan', async () => {
    let sent: { messages: { content: string }[]; response_format: unknown } | undefined;
    const fetchFn = (async (_url: string, init: RequestInit) => {
      sent = JSON.parse(String(init.body));
      return new Response(JSON.stringify({ choices: [{ message: { content: '```json\n{"steps":[{"id":"deals","server":"hubspot","tool":"search_deals","arguments":{"since":"monday"}}]}\n```' } }] }));
    }) as unknown as typeof fetch;
    const p = await new LlmPlanner(new LlmClient({ baseUrl: 'http://llm', model: 'm1' }, fetchFn)).plan(task(), { capabilities: caps, memories: [] });
    expect(p.planner).toBe('llm:m1');
    expect(p.steps[0]).toMatchObject({ id: 'deals', server: 'hubspot', tool: 'search_deals', kind: 'tool', timeoutMs: 30000 });
    expect(sent!.messages[0].content).toContain('search_deals');
    // The answer is decoded under a schema that only admits the registry's tools.
    const rf = sent!.response_format as { type: string; json_schema: { schema: { properties: { steps: { items: { anyOf: { properties: { server: unknown; tool: unknown } }[] } } } } } };
    expect(rf.type).toBe('json_schema');
    const variants = rf.json_schema.schema.properties.steps.items.anyOf.map((v) => [v.properties.server, v.properties.tool]);
    expect(variants).toEqual(caps.flatMap((c) => c.tools.map((t) => [{ const: c.server }, { const: t.name }])));
  });
  it('constrains arguments by each tool\'s schema, except a schema with references (they would point nowhere nested)', () => {
    const withRefs: ServerCapabilities = { ...caps[0], server: 'refs', tools: [{ name: 'put', description: null, inputSchema: { type: 'object', properties: { meta: { $ref: '#/$defs/meta' } }, $defs: { meta: { type: 'object' } } }, outputSchema: null }] };
    const plain: ServerCapabilities = { ...caps[0], tools: [{ name: 'search_deals', description: null, inputSchema: { type: 'object', properties: { since: { type: 'string' } }, required: ['since'] }, outputSchema: null }] };
    const schema = planSchema([plain, withRefs], 3) as { properties: { steps: { maxItems: number; items: { anyOf: { properties: { arguments: unknown } }[] } } } };
    expect(schema.properties.steps.maxItems).toBe(3);
    expect(schema.properties.steps.items.anyOf.map((v) => v.properties.arguments)).toEqual([{ type: 'object', properties: { since: { type: 'string' } }, required: ['since'] }, { type: 'object' }]);
  });
  it('rejects non-JSON, malformed plans and HTTP errors', async () => {
    await expect(new LlmPlanner(new LlmClient({ baseUrl: 'http://llm', model: 'm' }, answer('sure! first…'))).plan(task(), { capabilities: caps, memories: [] })).rejects.toBeInstanceOf(PlanningError);
    await expect(new LlmPlanner(new LlmClient({ baseUrl: 'http://llm', model: 'm' }, answer('{"steps":[{"id":"x"}]}'))).plan(task(), { capabilities: caps, memories: [] })).rejects.toThrow(/malformed/);
    await expect(new LlmPlanner(new LlmClient({ baseUrl: 'http://llm', model: 'm' }, answer('', 500))).plan(task(), { capabilities: caps, memories: [] })).rejects.toThrow(/answered 500/);
  });
});

describe('finalStatus', () => {
  const rt = (statuses: Record<string, string>, policy: Plan['policy'] = { onStepFailure: 'continue', minSucceeded: 1 }) =>
    ({
      status: 'running',
      plan: { planner: 't', policy, steps: Object.keys(statuses).map((id) => step(id, { optional: id.startsWith('opt') })) },
      steps: Object.fromEntries(Object.entries(statuses).map(([id, status]) => [id, { status }])),
    }) as unknown as TaskRuntime;
  it('succeeded, partial or failed by policy; optional steps do not count', () => {
    expect(finalStatus(rt({ a: 'ok', b: 'ok', opt: 'failed' }))).toBe('succeeded');
    expect(finalStatus(rt({ a: 'ok', b: 'timeout' }))).toBe('partial');
    expect(finalStatus(rt({ a: 'failed', b: 'timeout' }))).toBe('failed');
    expect(finalStatus(rt({ a: 'ok', b: 'timeout' }, { onStepFailure: 'fail', minSucceeded: 1 }))).toBe('failed');
  });
});

describe('parseTaskRuntime (task state read back from supervisor.state)', () => {
  const state = (): TaskRuntime => ({
    taskId: 't1',
    task: task(),
    correlationId: 'c1',
    sourceEventId: 'e1',
    status: 'running',
    planner: 'playbook:sales',
    plan: plan([step('a'), step('s', { kind: 'synthesize', dependsOn: ['a'] })]),
    inputs: { since: 'monday' },
    memory: [{ id: 'm1', text: 'x', score: 0.5, metadata: { topic: 'events.app' } }],
    steps: { a: { status: 'ok', startedAt: 1, finishedAt: 2, deadline: null, result: { n: 1 }, error: null }, s: { status: 'pending', startedAt: null, finishedAt: null, deadline: null, result: null, error: null } },
    startedAt: 1,
    finishedAt: null,
    deadline: null,
    error: null,
    outcomeEventId: null,
    revision: 3,
  });

  it('accepts what the supervisor writes (after a JSON round trip, as from the topic)', () => {
    const s = JSON.parse(JSON.stringify(state())) as unknown;
    expect(parseTaskRuntime(s, 'supervisor.state/t1')).toEqual(s);
  });

  it('refuses a corrupted state, naming what is wrong', () => {
    expect(() => parseTaskRuntime({ ...state(), status: 'exploded' }, 'supervisor.state/t1')).toThrow(TaskStateInvalidError);
    expect(() => parseTaskRuntime({ ...state(), status: 'exploded' }, 'supervisor.state/t1')).toThrow(/supervisor\.state\/t1 is not a version-1 supervisor task state: status/);
    expect(() => parseTaskRuntime({ ...state(), steps: { a: state().steps.a } }, 'x')).toThrow(/no state for plan steps s/);
    expect(() => parseTaskRuntime({ ...state(), stateVersion: 2 }, 'x')).toThrow(/stateVersion/);
    expect(() => parseTaskRuntime('garbage', 'x')).toThrow(TaskStateInvalidError);
  });
});
