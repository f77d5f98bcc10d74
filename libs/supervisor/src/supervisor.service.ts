import { parseTaskRuntime, TaskStateInvalidError } from './task-state.schema';
import { EventProducer, TopicView } from '@phoenix/bus';
import {
  createEnvelope,
  Envelope,
  followUp,
  JsonValue,
  McpCommand,
  McpResult,
  newEventId,
  ServerCapabilities,
  StepStatus,
  TaskRequest,
  TaskState,
} from '@phoenix/contracts';
import { LlmClient, LlmError } from '@phoenix/llm';
import { MemoryReader } from '@phoenix/memory';
import { answerFromMemory } from './answer';
import { PhoenixLogger } from '@phoenix/observability';
import { render } from '@phoenix/contracts';
import { PlanStep, validatePlan } from './plan';
import { Planner, PlanningError, PlanningErrorCode, PlaybookPlanner } from './planners';
import { finalStatus, isFailedStep, isTerminalStep, TaskRuntime, toOutcome } from './task-runtime';

export const TASKS_TOPIC = 'supervisor.tasks';
export const STATE_TOPIC = 'supervisor.state';
export const PROGRESS_TOPIC = 'supervisor.progress';
export const OUTCOMES_TOPIC = 'supervisor.outcomes';

export interface SupervisorDeps {
  producer: EventProducer;
  states: TopicView<TaskState>;
  capabilities: TopicView<ServerCapabilities>;
  memory: MemoryReader;
  playbooks: PlaybookPlanner;
  llm?: Planner;
  /** Writes the answers of `with: model` syntheses; without it they fail with LLM_NOT_CONFIGURED. */
  answers?: LlmClient;
  logger: PhoenixLogger;
}

/**
 * The supervisor–worker engine. A task is planned (playbook, or an LLM when asked or when no
 * playbook fits), validated against the capability registry, then its steps are fanned out as
 * MCP commands — independent steps in parallel — and results are gathered by task and step id.
 * Per-step timeouts, dependencies and the plan's failure policy decide the final outcome.
 *
 * Every change is written to the compacted `supervisor.state` topic before its effects are
 * published, so a supervisor that is killed resumes its tasks from there; commands carry
 * `<taskId>:<stepId>` as idempotency key, so a step re-sent after a restart runs once.
 */
export class SupervisorService {
  private readonly runtimes = new Map<string, TaskRuntime>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly queues = new Map<string, Promise<void>>();
  private owned: Set<number> | null = null;
  private stopped = false;

  constructor(private readonly d: SupervisorDeps) {}

  /** Serializes all work on one task (task request, results, timers). */
  private run(taskId: string, work: () => Promise<void>): Promise<void> {
    const prev = this.queues.get(taskId) ?? Promise.resolve();
    const next = prev.then(work, work).catch((err) => {
      // Forget the in-memory copy; the next event reloads the last persisted state.
      this.forget(taskId);
      throw err;
    });
    const tail = next.catch(() => undefined);
    this.queues.set(taskId, tail);
    void tail.then(() => {
      if (this.queues.get(taskId) === tail) this.queues.delete(taskId);
    });
    return next;
  }

  async onTask(event: Envelope<TaskRequest>): Promise<void> {
    const task = event.payload;
    await this.run(task.taskId, async () => {
      if (this.runtime(task.taskId)) {
        this.d.logger.info({ taskId: task.taskId }, 'task already known; duplicate request ignored');
        return;
      }
      const rt: TaskRuntime = {
        taskId: task.taskId,
        task,
        correlationId: event.correlationId ?? event.id,
        sourceEventId: event.id,
        status: 'planning',
        planner: 'pending',
        plan: null,
        inputs: task.inputs,
        memory: [],
        steps: {},
        startedAt: Date.now(),
        finishedAt: null,
        deadline: task.constraints.timeoutMs ? Date.now() + task.constraints.timeoutMs : null,
        error: null,
        outcomeEventId: null,
        revision: 0,
      };
      this.runtimes.set(rt.taskId, rt);
      await this.persist(rt);
      await this.planAndStart(rt);
    });
  }

  async onResult(event: Envelope<McpResult>): Promise<void> {
    const r = event.payload;
    if (!r.taskId || !r.stepId) return;
    // A duplicate's answer says nothing new: the first execution's result is on the topic too.
    if (r.duplicateOf) return;
    await this.run(r.taskId, async () => {
      const rt = this.runtime(r.taskId!);
      if (!rt || rt.finishedAt !== null) return;
      const step = rt.steps[r.stepId!];
      if (!step || step.status !== 'dispatched') return;
      step.status = r.status as StepStatus;
      step.finishedAt = Date.now();
      step.result = (r.structuredContent ?? r.content) as JsonValue;
      step.error = r.error;
      this.clearTimer(`${rt.taskId}:${r.stepId}`);
      await this.advance(rt);
    });
  }

  /**
   * Called after every rebalance with the partitions of `supervisor.tasks` this member owns:
   * drops tasks it no longer owns and resumes the unfinished ones it now owns.
   */
  async onAssignment(partitions: number[]): Promise<void> {
    this.owned = new Set(partitions);
    for (const taskId of [...this.runtimes.keys()]) {
      if (!(await this.owns(taskId))) this.forget(taskId);
    }
    for (const { payload } of this.d.states.values()) {
      if (payload.terminal || this.runtimes.has(payload.taskId) || !(await this.owns(payload.taskId))) continue;
      await this.run(payload.taskId, () => this.resume(payload.taskId)).catch((err) =>
        this.d.logger.error({ taskId: payload.taskId, err: (err as Error).message }, 'resume failed; will retry on the next event'),
      );
    }
  }

  /** Tasks in memory (for /tasks and tests). */
  tasks(): TaskRuntime[] {
    return [...this.runtimes.values()];
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async owns(taskId: string): Promise<boolean> {
    if (!this.owned) return true;
    return this.owned.has(await this.d.producer.partitionFor(TASKS_TOPIC, taskId));
  }

  private runtime(taskId: string): TaskRuntime | undefined {
    const mem = this.runtimes.get(taskId);
    if (mem) return mem;
    const stored = this.d.states.get(taskId)?.payload;
    if (!stored) return undefined;
    // Read back from Kafka: checked, never trusted (a corrupted record throws with its problems).
    const rt = parseTaskRuntime(stored.state, `supervisor.state/${taskId}`);
    this.runtimes.set(taskId, rt);
    return rt;
  }

  private forget(taskId: string): void {
    this.runtimes.delete(taskId);
    for (const key of [...this.timers.keys()]) {
      if (key === taskId || key.startsWith(`${taskId}:`)) this.clearTimer(key);
    }
  }

  private async resume(taskId: string): Promise<void> {
    let rt: TaskRuntime | undefined;
    try {
      rt = this.runtime(taskId);
    } catch (err) {
      if (!(err instanceof TaskStateInvalidError)) throw err;
      this.d.logger.error({ taskId, err: err.message }, 'not resuming a task whose stored state is invalid');
      return;
    }
    if (!rt || rt.finishedAt !== null) return;
    this.d.logger.info({ taskId, status: rt.status }, 'resuming task after restart or rebalance');
    if (rt.status === 'planning' || !rt.plan) return this.planAndStart(rt);
    this.armTaskTimer(rt);
    const resend: PlanStep[] = [];
    for (const step of rt.plan.steps) {
      const s = rt.steps[step.id];
      if (s.status !== 'dispatched') continue;
      if (s.deadline !== null && Date.now() >= s.deadline) {
        s.status = 'timeout';
        s.finishedAt = Date.now();
        s.error = 'no result before the step deadline';
      } else {
        resend.push(step);
      }
    }
    // Re-sending is safe: the worker's ledger runs each <taskId>:<stepId> once. An answer the
    // model was writing is simply asked for again.
    const answers = resend.filter((s) => s.answer);
    const commands = resend.filter((s) => !s.answer);
    await Promise.all(commands.map((step) => this.sendCommand(rt, step)));
    for (const step of commands) this.armStepTimer(rt, step.id);
    for (const step of answers) await this.answer(rt, step);
    await this.advance(rt);
  }

  private async planAndStart(rt: TaskRuntime): Promise<void> {
    const task = rt.task;
    try {
      const planner = this.choosePlanner(task);
      rt.planner = planner.label(task);
      // Memory is read before planning; the no-op driver returns nothing until a store is configured.
      const read = this.d.playbooks.memoryRead(task, planner);
      rt.memory = read
        ? await this.d.memory.search(read.query, { scope: read.scope, limit: read.limit }).catch((err) => {
            this.d.logger.warn({ taskId: rt.taskId, err: (err as Error).message }, 'memory search failed; planning without it');
            return [];
          })
        : [];
      const capabilities = this.d.capabilities.values().map((e) => e.payload);
      const plan = await planner.plan(task, { capabilities, memories: rt.memory });
      const problems = validatePlan(plan, capabilities, task.constraints.maxSteps);
      if (problems.length) throw new PlanningError(PlanningErrorCode.InvalidPlan, `plan ${plan.planner} is not executable: ${problems.join('; ')}`);
      rt.plan = { planner: plan.planner, steps: plan.steps, policy: plan.policy };
      rt.inputs = plan.inputs;
      rt.planner = plan.planner;
      rt.status = 'running';
      for (const s of plan.steps) rt.steps[s.id] = { status: 'pending', startedAt: null, finishedAt: null, deadline: null, result: null, error: null };
      this.armTaskTimer(rt);
      await this.advance(rt);
    } catch (err) {
      if (!(err instanceof PlanningError)) throw err;
      rt.status = 'failed';
      rt.error = `${err.code}: ${err.message}`;
      await this.finish(rt);
    }
  }

  private choosePlanner(task: TaskRequest): Planner {
    if (task.constraints.planner === 'llm') {
      if (!this.d.llm) throw new PlanningError(PlanningErrorCode.LlmNotConfigured, 'the task asks for the LLM planner but none is configured (LLM_BASE_URL)');
      return this.d.llm;
    }
    if (task.constraints.planner === 'playbook' || !this.d.llm) return this.d.playbooks;
    return this.d.playbooks.choose(task) ? this.d.playbooks : this.d.llm;
  }

  /** Starts every step whose dependencies are done, runs syntheses, finishes when all are done. */
  private async advance(rt: TaskRuntime): Promise<void> {
    const plan = rt.plan!;
    const toSend: PlanStep[] = [];
    const toAnswer: PlanStep[] = [];
    let progressed = true;
    while (progressed) {
      progressed = false;
      const requiredFailed = plan.steps.some((s) => !s.optional && isFailedStep(rt.steps[s.id].status));
      for (const step of plan.steps) {
        const s = rt.steps[step.id];
        if (s.status !== 'pending') continue;
        const deps = step.dependsOn.map((d) => rt.steps[d]);
        if (!deps.every(isTerminalStep)) continue;
        progressed = true;
        if (plan.policy.onStepFailure === 'fail' && requiredFailed) {
          Object.assign(s, { status: 'skipped', error: 'skipped: a required step failed (policy: fail)', finishedAt: Date.now() });
        } else if (step.kind === 'synthesize' && step.answer) {
          Object.assign(s, { status: 'dispatched', startedAt: Date.now() });
          toAnswer.push(step);
        } else if (step.kind === 'synthesize') {
          this.synthesize(rt, step);
        } else if (deps.some((d) => d.status !== 'ok')) {
          Object.assign(s, { status: 'skipped', error: `skipped: dependency ${step.dependsOn.find((d) => rt.steps[d].status !== 'ok')} did not succeed`, finishedAt: Date.now() });
        } else {
          const now = Date.now();
          const deadline = Math.min(now + step.timeoutMs, rt.deadline ?? Infinity);
          Object.assign(s, { status: 'dispatched', startedAt: now, deadline });
          toSend.push(step);
        }
      }
    }
    const done = plan.steps.every((p) => isTerminalStep(rt.steps[p.id]));
    if (done) return this.finish(rt);
    // State first: if we die after this, resume re-sends exactly these commands (and asks the
    // model again for the answers it was writing).
    await this.persist(rt);
    await Promise.all(toSend.map((step) => this.sendCommand(rt, step)));
    for (const step of toSend) this.armStepTimer(rt, step.id);
    await this.publishProgress(rt);
    if (!toAnswer.length) return;
    // Answers are written here, in the task's turn; then whatever they unblock goes on.
    for (const step of toAnswer) await this.answer(rt, step);
    return this.advance(rt);
  }

  private synthesize(rt: TaskRuntime, step: PlanStep): void {
    const s = rt.steps[step.id];
    const results = Object.fromEntries(step.dependsOn.filter((d) => rt.steps[d].status === 'ok').map((d) => [d, rt.steps[d].result]));
    const missing = step.dependsOn.filter((d) => rt.steps[d].status !== 'ok').map((d) => ({ step: d, status: rt.steps[d].status, error: rt.steps[d].error }));
    const now = Date.now();
    Object.assign(s, {
      status: Object.keys(results).length ? 'ok' : 'failed',
      startedAt: now,
      finishedAt: now,
      result: { goal: rt.task.goal, results, missing } as unknown as JsonValue,
      error: Object.keys(results).length ? null : 'no dependency succeeded',
    });
  }

  /** A `with: model` synthesis: the configured model answers the goal from memory and the results. */
  private async answer(rt: TaskRuntime, step: PlanStep): Promise<void> {
    const s = rt.steps[step.id];
    if (s.status !== 'dispatched') return;
    const results = Object.fromEntries(step.dependsOn.filter((d) => rt.steps[d].status === 'ok').map((d) => [d, rt.steps[d].result as JsonValue]));
    const settle = (status: StepStatus, result: JsonValue | null, error: string | null) => Object.assign(s, { status, result, error, finishedAt: Date.now() });
    if (!this.d.answers) {
      settle('failed', null, `${PlanningErrorCode.LlmNotConfigured}: an answer needs a model (LLM_BASE_URL)`);
      return;
    }
    try {
      const a = await answerFromMemory(this.d.answers, rt.task.goal, rt.memory, results);
      settle('ok', { goal: rt.task.goal, answer: a.answer, model: a.model, memories: a.memories, results } as unknown as JsonValue, null);
    } catch (err) {
      if (!(err instanceof LlmError)) throw err;
      settle('failed', null, `${err.code}: ${err.message}`);
    }
  }

  private sendCommand(rt: TaskRuntime, step: PlanStep): Promise<unknown> {
    const s = rt.steps[step.id];
    const context = {
      goal: rt.task.goal,
      inputs: rt.inputs,
      memory: rt.memory,
      steps: Object.fromEntries(Object.entries(rt.steps).map(([id, st]) => [id, { status: st.status, result: st.result }])),
    };
    const payload: McpCommand = {
      server: step.server!,
      tool: step.tool!,
      arguments: (render(step.arguments, context) ?? {}) as JsonValue,
      idempotencyKey: `${rt.taskId}:${step.id}`,
      deadline: s.deadline,
      timeoutMs: step.timeoutMs,
      taskId: rt.taskId,
      stepId: step.id,
      rule: null,
    };
    const cause = { id: rt.sourceEventId, correlationId: rt.correlationId };
    return this.d.producer.publish(`mcp.commands.${step.server}`, followUp(cause, { type: 'mcp.command', source: 'supervisor', key: rt.taskId, payload }));
  }

  private async finish(rt: TaskRuntime): Promise<void> {
    if (rt.finishedAt === null) rt.finishedAt = Date.now();
    if (rt.plan) rt.status = finalStatus(rt);
    rt.outcomeEventId ??= newEventId();
    for (const key of [...this.timers.keys()]) if (key === rt.taskId || key.startsWith(`${rt.taskId}:`)) this.clearTimer(key);
    // Persisted before publishing, with the outcome id fixed: a crash in between re-publishes the same event.
    await this.persist(rt);
    const synth = rt.plan?.steps.filter((s) => s.kind === 'synthesize').pop();
    const summary = synth ? rt.steps[synth.id].result : null;
    const outcome = toOutcome(rt, summary);
    const cause = { id: rt.sourceEventId, correlationId: rt.correlationId };
    await this.d.producer.publish(OUTCOMES_TOPIC, { ...followUp(cause, { type: `task.${rt.status}`, source: 'supervisor', key: rt.taskId, payload: outcome }), id: rt.outcomeEventId });
    await this.persist(rt, true);
    this.d.logger.info({ taskId: rt.taskId, status: rt.status, ms: rt.finishedAt - rt.startedAt }, 'task finished');
  }

  private async publishProgress(rt: TaskRuntime): Promise<void> {
    const cause = { id: rt.sourceEventId, correlationId: rt.correlationId };
    await this.d.producer.publish(PROGRESS_TOPIC, followUp(cause, { type: 'task.progress', source: 'supervisor', key: rt.taskId, payload: toOutcome(rt, null) }));
  }

  private async persist(rt: TaskRuntime, terminal = false): Promise<void> {
    rt.revision++;
    const payload: TaskState = { taskId: rt.taskId, revision: rt.revision, terminal, state: { stateVersion: 1, ...rt } as unknown as JsonValue };
    await this.d.producer.publish(STATE_TOPIC, createEnvelope({ type: 'task.state', source: 'supervisor', key: rt.taskId, correlationId: rt.correlationId, payload }));
  }

  private armStepTimer(rt: TaskRuntime, stepId: string): void {
    const s = rt.steps[stepId];
    if (s.deadline === null || this.stopped) return;
    this.setTimer(`${rt.taskId}:${stepId}`, s.deadline - Date.now(), () =>
      this.run(rt.taskId, async () => {
        const cur = this.runtime(rt.taskId);
        const st = cur?.steps[stepId];
        if (!cur || !st || st.status !== 'dispatched' || cur.finishedAt !== null) return;
        Object.assign(st, { status: 'timeout', finishedAt: Date.now(), error: 'no result before the step deadline' });
        await this.advance(cur);
      }),
    );
  }

  private armTaskTimer(rt: TaskRuntime): void {
    if (rt.deadline === null || this.stopped) return;
    this.setTimer(rt.taskId, rt.deadline - Date.now(), () =>
      this.run(rt.taskId, async () => {
        const cur = this.runtime(rt.taskId);
        if (!cur || cur.finishedAt !== null) return;
        for (const s of Object.values(cur.steps)) {
          if (!isTerminalStep(s)) Object.assign(s, { status: s.status === 'dispatched' ? 'timeout' : 'skipped', finishedAt: Date.now(), error: 'the task deadline passed' });
        }
        cur.status = 'timed_out';
        cur.error = 'the task deadline passed';
        await this.finish(cur);
      }),
    );
  }

  private setTimer(key: string, ms: number, fire: () => Promise<void>): void {
    this.clearTimer(key);
    const t = setTimeout(() => {
      this.timers.delete(key);
      fire().catch((err) => {
        this.d.logger.warn({ key, err: (err as Error).message }, 'timer handling failed; retrying in 1 s');
        if (!this.stopped) this.setTimer(key, 1000, fire);
      });
    }, Math.max(0, ms));
    this.timers.set(key, t);
  }

  private clearTimer(key: string): void {
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }
}
