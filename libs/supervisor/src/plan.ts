import { JsonValue, ServerCapabilities, StepStatus } from '@phoenix/contracts';

/** One step of a plan: a tool call on a worker, or a synthesis of earlier results. */
export interface PlanStep {
  id: string;
  kind: 'tool' | 'synthesize';
  server?: string;
  tool?: string;
  /** May contain `{{ $.inputs.x }}`, `{{ $.goal }}`, `{{ $.steps.<id>.result }}` placeholders. */
  arguments: JsonValue;
  dependsOn: string[];
  timeoutMs: number;
  /** A failed optional step does not count against the task. */
  optional: boolean;
  /** A synthesis the configured model writes: the answer to the goal from memory and the results. */
  answer?: boolean;
}

export interface FailurePolicy {
  /** continue: run the other steps and report a partial outcome; fail: stop at the first failure. */
  onStepFailure: 'continue' | 'fail';
  /** A task with fewer successful required steps than this fails. */
  minSucceeded: number;
}

export interface Plan {
  planner: string;
  steps: PlanStep[];
  policy: FailurePolicy;
}

export const TERMINAL_STEP: ReadonlySet<StepStatus> = new Set(['ok', 'tool_error', 'timeout', 'rejected', 'failed', 'skipped']);

/**
 * Checks a plan before anything runs: unique ids, known dependencies, no cycles, and every tool
 * step names a server and tool present in the capability registry. Returns the problems.
 */
export function validatePlan(plan: Plan, capabilities: ServerCapabilities[], maxSteps?: number | null): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const s of plan.steps) {
    if (ids.has(s.id)) problems.push(`step id "${s.id}" is used twice`);
    ids.add(s.id);
  }
  if (plan.steps.length === 0) problems.push('the plan has no steps');
  if (maxSteps && plan.steps.length > maxSteps) problems.push(`the plan has ${plan.steps.length} steps; the task allows ${maxSteps}`);
  for (const s of plan.steps) {
    for (const d of s.dependsOn) if (!ids.has(d)) problems.push(`step "${s.id}" depends on unknown step "${d}"`);
    if (s.kind === 'tool') {
      const server = capabilities.find((c) => c.server === s.server);
      if (!server) problems.push(`step "${s.id}": MCP server "${s.server}" is not in the capability registry`);
      else if (!server.tools.some((t) => t.name === s.tool)) problems.push(`step "${s.id}": server "${s.server}" has no tool "${s.tool}" (has: ${server.tools.map((t) => t.name).join(', ')})`);
    }
  }
  // Cycle check (Kahn).
  const indegree = new Map(plan.steps.map((s) => [s.id, s.dependsOn.filter((d) => ids.has(d)).length]));
  const queue = [...indegree].filter(([, n]) => n === 0).map(([id]) => id);
  let seen = 0;
  while (queue.length) {
    const id = queue.shift()!;
    seen++;
    for (const s of plan.steps) {
      if (s.dependsOn.includes(id)) {
        const n = indegree.get(s.id)! - 1;
        indegree.set(s.id, n);
        if (n === 0) queue.push(s.id);
      }
    }
  }
  if (seen < plan.steps.length) problems.push('step dependencies form a cycle');
  return problems;
}
