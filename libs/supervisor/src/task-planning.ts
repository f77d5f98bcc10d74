import { KeyedView } from '@phoenix/bus';
import { JsonValue, ServerCapabilities, TaskRequest } from '@phoenix/contracts';
import { MemoryHit, MemoryReader } from '@phoenix/memory';
import { PhoenixLogger } from '@phoenix/observability';
import { Plan, validatePlan } from './plan';
import { Planner, PlanningError, PlanningErrorCode, PlaybookPlanner } from './planners';

/**
 * Turns a task into an executable plan: chooses the planner (the task's choice, else a playbook
 * that fits, else the LLM), reads memory first where the playbook says so, plans, and validates
 * the plan against the capability registry. Throws {@link PlanningError} when no executable plan
 * comes out.
 */
export class TaskPlanning {
  constructor(
    private readonly d: { playbooks: PlaybookPlanner; llm?: Planner; memory: MemoryReader; capabilities: KeyedView<ServerCapabilities>; logger: PhoenixLogger },
  ) {}

  /** Who plans the task (`playbook:<name>`, `llm:<model>`): named in the outcome even when planning fails. */
  label(task: TaskRequest): string {
    return this.choose(task).label(task);
  }

  /** What the task's planner reads from memory before planning (nothing when memory is off or the read fails). */
  async readMemory(taskId: string, task: TaskRequest): Promise<MemoryHit[]> {
    const read = this.d.playbooks.memoryRead(task, this.choose(task));
    if (!read) return [];
    // The no-op driver returns nothing until a store is configured.
    return this.d.memory.search(read.query, { scope: read.scope, limit: read.limit }).catch((err) => {
      this.d.logger.warn({ taskId, err: (err as Error).message }, 'memory search failed; planning without it');
      return [];
    });
  }

  async plan(task: TaskRequest, memories: MemoryHit[]): Promise<Plan & { inputs: JsonValue }> {
    const capabilities = this.d.capabilities.values().map((e) => e.payload);
    const plan = await this.choose(task).plan(task, { capabilities, memories });
    const problems = validatePlan(plan, capabilities, task.constraints.maxSteps);
    if (problems.length) throw new PlanningError(PlanningErrorCode.InvalidPlan, `plan ${plan.planner} is not executable: ${problems.join('; ')}`);
    return plan;
  }

  /** The task's choice, else a playbook that fits, else the LLM; throws when the choice is not configured. */
  private choose(task: TaskRequest): Planner {
    if (task.constraints.planner === 'llm') {
      if (!this.d.llm) throw new PlanningError(PlanningErrorCode.LlmNotConfigured, 'the task asks for the LLM planner but none is configured (LLM_BASE_URL)');
      return this.d.llm;
    }
    if (task.constraints.planner === 'playbook' || !this.d.llm) return this.d.playbooks;
    return this.d.playbooks.choose(task) ? this.d.playbooks : this.d.llm;
  }
}
