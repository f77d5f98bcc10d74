import { z } from 'zod';
import { JsonValue, ServerCapabilities, TaskRequest } from '@phoenix/contracts';
import { MemoryHit } from '@phoenix/memory';
import { Plan, PlanStep } from './plan';
import { Playbook } from './playbooks';

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

export class PlanningError extends Error {
  constructor(
    readonly code: PlanningErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PlanningError';
  }
}

/** Turns a task into a plan of tool calls. */
export interface Planner {
  readonly kind: 'playbook' | 'llm';
  plan(task: TaskRequest, ctx: PlanningContext): Promise<Plan & { inputs: JsonValue }>;
}

/** Deterministic plans from YAML playbooks (config/playbooks), chosen by name or by the goal's words. */
export class PlaybookPlanner implements Planner {
  readonly kind = 'playbook';

  constructor(private readonly playbooks: Playbook[]) {}

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
        ? { id: s.id, kind: 'synthesize', arguments: {}, dependsOn: s.dependsOn, timeoutMs: 0, optional: s.optional }
        : { id: s.id, kind: 'tool', server: s.server, tool: s.tool, arguments: s.arguments as JsonValue, dependsOn: s.dependsOn, timeoutMs: s.timeoutMs, optional: s.optional },
    );
    const given = (task.inputs && typeof task.inputs === 'object' && !Array.isArray(task.inputs) ? task.inputs : {}) as Record<string, JsonValue>;
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

export interface LlmSettings {
  baseUrl: string;
  apiKey?: string;
  model: string;
}

/**
 * Plans with a model behind any OpenAI-compatible `/chat/completions` endpoint. The model sees
 * the capability registry (tools with their JSON schemas), the goal, inputs and memory; its
 * answer must be a JSON plan, which the supervisor validates before anything runs.
 */
export class LlmPlanner implements Planner {
  readonly kind = 'llm';

  constructor(
    private readonly settings: LlmSettings,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async plan(task: TaskRequest, ctx: PlanningContext): Promise<Plan & { inputs: JsonValue }> {
    const tools = ctx.capabilities.flatMap((c) => c.tools.map((t) => ({ server: c.server, tool: t.name, description: t.description, inputSchema: t.inputSchema })));
    const system = [
      'You plan tasks for Phoenix, an orchestration backbone. Break the goal into tool calls on the MCP servers listed.',
      'Answer with JSON only: {"steps":[{"id":"short-id","server":"<server>","tool":"<tool>","arguments":{...},"dependsOn":["<id>"],"timeoutMs":30000}]}.',
      'Arguments must satisfy the tool\'s inputSchema. Steps without dependsOn run in parallel. A later step may use an earlier result with "{{ $.steps.<id>.result }}".',
      `Available tools: ${JSON.stringify(tools)}`,
    ].join('\n');
    const user = JSON.stringify({ goal: task.goal, inputs: task.inputs, memory: ctx.memories.map((m) => m.text) });
    let res: Response;
    try {
      res = await this.fetchFn(`${this.settings.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.settings.apiKey ? { authorization: `Bearer ${this.settings.apiKey}` } : {}) },
        body: JSON.stringify({ model: this.settings.model, temperature: 0, response_format: { type: 'json_object' }, messages: [{ role: 'system', content: system }, { role: 'user', content: user }] }),
        signal: AbortSignal.timeout(60000),
      });
    } catch (err) {
      throw new PlanningError(PlanningErrorCode.LlmFailed, `LLM endpoint unreachable: ${(err as Error).message}`);
    }
    if (!res.ok) throw new PlanningError(PlanningErrorCode.LlmFailed, `LLM endpoint answered ${res.status}`);
    const body = (await res.json()) as { choices?: { message?: { content?: string } }[] };
    const content = body.choices?.[0]?.message?.content ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(content.replace(/^```(?:json)?\s*|\s*```$/g, ''));
    } catch {
      throw new PlanningError(PlanningErrorCode.InvalidPlan, 'the LLM did not answer with JSON');
    }
    const plan = llmPlanSchema.safeParse(parsed);
    if (!plan.success) throw new PlanningError(PlanningErrorCode.InvalidPlan, `the LLM's plan is malformed: ${plan.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return {
      planner: `llm:${this.settings.model}`,
      steps: plan.data.steps.map((s) => ({ ...s, kind: 'tool' as const, arguments: s.arguments as JsonValue })),
      policy: { onStepFailure: 'continue', minSucceeded: 1 },
      inputs: task.inputs,
    };
  }
}
