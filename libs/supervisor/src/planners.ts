import { z } from 'zod';
import { JsonValue, render, ServerCapabilities, TaskRequest } from '@phoenix/contracts';
import { LlmClient, LlmError, LlmErrorCode } from '@phoenix/llm';
import { MemoryHit, MemoryScope } from '@phoenix/memory';
import { Plan, PlanStep } from './plan';
import { Playbook } from './playbooks';
import { PhoenixError } from '@phoenix/errors';

export interface PlanningContext {
  capabilities: ServerCapabilities[];
  memories: MemoryHit[];
}

export enum PlanningErrorCode {
  NoPlaybook = 'NO_PLAYBOOK',
  UnknownPlaybook = 'UNKNOWN_PLAYBOOK',
  LlmNotConfigured = 'LLM_NOT_CONFIGURED',
  LlmFailed = 'LLM_FAILED',
  InvalidPlan = 'INVALID_PLAN',
}

/** No executable plan for a task: the task fails with the code and reason (planning is not retried). */
export class PlanningError extends PhoenixError<PlanningErrorCode> {
  constructor(code: PlanningErrorCode, message: string) {
    super(code, message, { kind: 'record' });
  }
}

/** Turns a task into a plan of tool calls. */
export interface Planner {
  readonly kind: 'playbook' | 'llm';
  /** Who plans `task` (`playbook:<name>`, `llm:<model>`): named in the outcome even when planning fails. */
  label(task: TaskRequest): string;
  plan(task: TaskRequest, ctx: PlanningContext): Promise<Plan & { inputs: JsonValue }>;
}

const asRecord = (v: JsonValue): Record<string, JsonValue> => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});

/** Deterministic plans from YAML playbooks (config/playbooks), chosen by name or by the goal's words. */
export class PlaybookPlanner implements Planner {
  readonly kind = 'playbook';

  constructor(private readonly playbooks: Playbook[]) {}

  /**
   * What to read from memory before planning `task`: its playbook's `memory` (query and scope
   * rendered against the goal and inputs), else the goal in the task's own run and requester.
   * Null when the task asks for no memory.
   */
  memoryRead(task: TaskRequest, planner: Planner): { query: string; scope: MemoryScope; limit: number } | null {
    if (task.constraints.memory === false) return null;
    const fallback = { query: task.goal, scope: { runId: task.taskId, userId: task.requestedBy }, limit: 5 };
    const book = planner === this ? this.choose(task) : undefined;
    const spec = book?.memory;
    if (!book || !spec) return fallback;
    const doc = { goal: task.goal, inputs: { ...(book.defaults as Record<string, JsonValue>), ...asRecord(task.inputs) } };
    const text = (t: string | undefined) => {
      const v = t === undefined ? undefined : render(t, doc);
      return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
    };
    const scope: MemoryScope = spec.scope
      ? Object.fromEntries(Object.entries(spec.scope).flatMap(([k, v]) => (text(v) === undefined ? [] : [[k, text(v)!]])))
      : fallback.scope;
    return { query: text(spec.query) ?? task.goal, scope, limit: spec.limit };
  }

  label(task: TaskRequest): string {
    return `playbook:${this.choose(task)?.name ?? task.constraints.playbook ?? 'none'}`;
  }

  /** The playbook for a task, or undefined when none applies. */
  choose(task: TaskRequest): Playbook | undefined {
    if (task.constraints.playbook) return this.playbooks.find((p) => p.name === task.constraints.playbook);
    return this.playbooks.find((p) => p.match.some((m) => new RegExp(m, 'i').test(task.goal)));
  }

  async plan(task: TaskRequest): Promise<Plan & { inputs: JsonValue }> {
    const book = this.choose(task);
    if (!book) {
      if (task.constraints.playbook) throw new PlanningError(PlanningErrorCode.UnknownPlaybook, `no playbook named "${task.constraints.playbook}" (have: ${this.playbooks.map((p) => p.name).join(', ') || 'none'})`);
      throw new PlanningError(PlanningErrorCode.NoPlaybook, `no playbook matches the goal "${task.goal}"`);
    }
    const steps: PlanStep[] = book.steps.map((s) =>
      'kind' in s
        ? { id: s.id, kind: 'synthesize', arguments: {}, dependsOn: s.dependsOn, timeoutMs: 0, optional: s.optional, ...(s.with === 'model' ? { answer: true } : {}) }
        : { id: s.id, kind: 'tool', server: s.server, tool: s.tool, arguments: s.arguments as JsonValue, dependsOn: s.dependsOn, timeoutMs: s.timeoutMs, optional: s.optional },
    );
    const given = asRecord(task.inputs);
    return { planner: `playbook:${book.name}`, steps, policy: book.policy, inputs: { ...(book.defaults as Record<string, JsonValue>), ...given } };
  }
}

const llmPlanSchema = z.object({
  steps: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i),
        server: z.string(),
        tool: z.string(),
        arguments: z.record(z.string(), z.json()).default({}),
        dependsOn: z.array(z.string()).default([]),
        timeoutMs: z.number().int().min(100).max(600000).default(30000),
        optional: z.boolean().default(false),
      }),
    )
    .min(1),
});

/** Steps an LLM plan may have at most (the task's maxSteps can lower it). */
const LLM_MAX_STEPS = 6;

/**
 * The JSON schema an LLM plan is decoded under: each step one of the registry's tools, with that
 * tool's own input schema for its arguments, so the model cannot name a tool that does not exist.
 * (It can still pick the wrong tool or repeat itself; {@link validatePlan} and the schema decide.)
 */
export function planSchema(capabilities: ServerCapabilities[], maxSteps: number): Record<string, unknown> {
  const variants = capabilities.flatMap((c) =>
    c.tools.map((t) => ({
      type: 'object',
      properties: {
        id: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,30}$' },
        server: { const: c.server },
        tool: { const: t.name },
        arguments: toolArguments(t.inputSchema),
        dependsOn: { type: 'array', items: { type: 'string' }, maxItems: maxSteps },
      },
      required: ['id', 'server', 'tool', 'arguments', 'dependsOn'],
      additionalProperties: false,
    })),
  );
  return { type: 'object', properties: { steps: { type: 'array', minItems: 1, maxItems: maxSteps, items: { anyOf: variants } } }, required: ['steps'], additionalProperties: false };
}

/** A tool's argument names for the prompt, required ones marked `*`. */
function argumentNames(schema: unknown): string[] {
  const s = (schema && typeof schema === 'object' ? schema : {}) as { properties?: Record<string, unknown>; required?: unknown };
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : []);
  return Object.keys(s.properties ?? {}).map((k) => (required.has(k) ? `${k}*` : k));
}

/**
 * A tool's input schema as the decoder's constraint: an object schema, or any object. A schema
 * with references (`$ref` into its own `$defs`) would point nowhere once nested in the plan's
 * schema, so it constrains to an object only; the worker still validates the arguments.
 */
function toolArguments(schema: unknown): Record<string, unknown> {
  if (schema && typeof schema === 'object' && !Array.isArray(schema) && (schema as { type?: unknown }).type === 'object' && !JSON.stringify(schema).includes('"$ref"')) {
    const { $schema: _s, ...rest } = schema as Record<string, unknown>;
    return rest;
  }
  return { type: 'object' };
}

/**
 * Plans with a model behind any OpenAI-compatible `/chat/completions` endpoint. The model sees
 * the capability registry (tools with their JSON schemas), the goal, inputs and memory, and
 * answers under {@link planSchema}; the supervisor validates the plan before anything runs.
 */
export class LlmPlanner implements Planner {
  readonly kind = 'llm';

  constructor(private readonly llm: LlmClient) {}

  label(): string {
    return this.llm.name;
  }

  async plan(task: TaskRequest, ctx: PlanningContext): Promise<Plan & { inputs: JsonValue }> {
    // Servers that are up; the prompt names each tool and its arguments, while the full input
    // schemas go into the decoding constraint only (a prompt of every schema is thousands of
    // tokens — a minute of prompt processing for a small local model).
    const servers = ctx.capabilities.filter((c) => c.status === 'up');
    const tools = servers.flatMap((c) => c.tools.map((t) => ({ server: c.server, tool: t.name, description: t.description?.slice(0, 160) ?? null, arguments: argumentNames(t.inputSchema) })));
    if (!tools.length) throw new PlanningError(PlanningErrorCode.InvalidPlan, 'no MCP tools are registered (and up) to plan with');
    const maxSteps = Math.min(LLM_MAX_STEPS, task.constraints.maxSteps ?? LLM_MAX_STEPS);
    const system = [
      'You plan tasks for Phoenix, an orchestration backbone. Break the goal into as few tool calls as it needs on the MCP servers listed.',
      'Answer with JSON only: {"steps":[{"id":"short-id","server":"<server>","tool":"<tool>","arguments":{...},"dependsOn":["<id>"]}]}. Every id is different.',
      'Arguments are the tool\'s (required ones marked *). Steps without dependsOn run in parallel. A later step may use an earlier result with "{{ $.steps.<id>.result }}".',
      `Available tools: ${JSON.stringify(tools)}`,
    ].join('\n');
    const user = JSON.stringify({ goal: task.goal, inputs: task.inputs, memory: ctx.memories.map((m) => m.text) });
    let parsed: unknown;
    try {
      parsed = await this.llm.json({ messages: [{ role: 'system', content: system }, { role: 'user', content: user }], maxTokens: 160 * maxSteps, schema: { name: 'plan', schema: planSchema(servers, maxSteps) } });
    } catch (err) {
      if (!(err instanceof LlmError)) throw err;
      throw new PlanningError(err.code === LlmErrorCode.BadAnswer ? PlanningErrorCode.InvalidPlan : PlanningErrorCode.LlmFailed, err.message);
    }
    const plan = llmPlanSchema.safeParse(parsed);
    if (!plan.success) throw new PlanningError(PlanningErrorCode.InvalidPlan, `the LLM's plan is malformed: ${plan.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return {
      planner: this.llm.name,
      steps: plan.data.steps.map((s) => ({ ...s, kind: 'tool' as const, arguments: s.arguments as JsonValue })),
      policy: { onStepFailure: 'continue', minSucceeded: 1 },
      inputs: task.inputs,
    };
  }
}
