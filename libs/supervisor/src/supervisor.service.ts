import { KeyedSerialQueue } from '@phoenix/concurrency';
import { Envelope, followUp, mcpCommandsTopic, McpResult, newEventId, TaskRequest, TOPICS } from '@phoenix/contracts';
import { answerStep } from './answer';
import { PlanStep } from './plan';
import { PlanningError, PlanningErrorCode } from './planners';
import { SupervisorDeps } from './supervisor.deps';
import { TaskPlanning } from './task-planning';
import { adoptPlan, applyResult, commandFor, dependencyResults, failPlanning, newTask, resumeSteps, scheduleSteps, settleAnswer, timeOutStep, timeOutTask } from './step-scheduler';
import { finalStatus, TaskRuntime, toOutcome } from './task-runtime';
import { TaskStateInvalidError } from './task-state.schema';
import { TaskStore } from './task-store';
import { TaskTimers } from './task-timers';


/**
 * The supervisor–worker engine's shell. A task is planned (playbook, or an LLM when asked or when
 * no playbook fits), validated against the capability registry, then its steps are fanned out as
 * MCP commands — independent steps in parallel — and results are gathered by task and step id.
 * What happens to a task's state is decided by the pure step scheduler (`step-scheduler.ts`);
 * this class does the I/O around it: one task's events one at a time, state written to
 * `supervisor.state` before effects (a killed supervisor resumes from there), commands with
 * `<taskId>:<stepId>` idempotency keys (a step re-sent after a restart runs once), deadlines.
 */
export class SupervisorService {
  private readonly store: TaskStore;
  private readonly timers: TaskTimers;
  private readonly planning: TaskPlanning;
  private readonly queue = new KeyedSerialQueue();
  private owned: Set<number> | null = null;

  constructor(private readonly d: SupervisorDeps) {
    this.store = new TaskStore(d.producer, d.states);
    this.timers = new TaskTimers(d.logger);
    this.planning = new TaskPlanning(d);
  }

  /** One task's work at a time; on failure the in-memory copy is dropped (the next event reloads the stored state). */
  private run(taskId: string, work: () => Promise<void>): Promise<void> {
    return this.queue.run(taskId, work).catch((err) => {
      this.forget(taskId);
      throw err;
    });
  }

  async onTask(event: Envelope<TaskRequest>): Promise<void> {
    await this.run(event.payload.taskId, async () => {
      if (this.store.get(event.payload.taskId)) {
        this.d.logger.info({ taskId: event.payload.taskId }, 'task already known; duplicate request ignored');
        return;
      }
      const rt = newTask(event, Date.now());
      this.store.add(rt);
      await this.store.persist(rt);
      await this.planAndStart(rt);
    });
  }

  async onResult(event: Envelope<McpResult>): Promise<void> {
    const r = event.payload;
    // A duplicate's answer says nothing new: the first execution's result is on the topic too.
    if (!r.taskId || !r.stepId || r.duplicateOf) return;
    await this.run(r.taskId, async () => {
      const rt = this.store.get(r.taskId!);
      if (!rt || !applyResult(rt, r, Date.now())) return;
      this.timers.clear(`${rt.taskId}:${r.stepId}`);
      await this.advance(rt);
    });
  }

  /**
   * Called after every rebalance with the partitions of `supervisor.tasks` this member owns:
   * drops tasks it no longer owns and resumes the unfinished ones it now owns.
   */
  async onAssignment(partitions: number[]): Promise<void> {
    this.owned = new Set(partitions);
    for (const rt of this.store.inMemory()) if (!(await this.owns(rt.taskId))) this.forget(rt.taskId);
    for (const taskId of this.store.unfinished()) {
      if (this.store.has(taskId) || !(await this.owns(taskId))) continue;
      await this.run(taskId, () => this.resume(taskId)).catch((err) => this.d.logger.error({ taskId, err: (err as Error).message }, 'resume failed; will retry on the next event'));
    }
  }

  /** Tasks in memory (for /tasks and tests). */
  tasks(): TaskRuntime[] {
    return this.store.inMemory();
  }

  stop(): void {
    this.timers.stop();
  }

  private async owns(taskId: string): Promise<boolean> {
    return !this.owned || this.owned.has(await this.d.producer.partitionFor(TOPICS.supervisorTasks, taskId));
  }

  private forget(taskId: string): void {
    this.store.forget(taskId);
    this.timers.clearTask(taskId);
  }

  private async resume(taskId: string): Promise<void> {
    let rt: TaskRuntime | undefined;
    try {
      rt = this.store.get(taskId);
    } catch (err) {
      if (!(err instanceof TaskStateInvalidError)) throw err;
      this.d.logger.error({ taskId, err: err.message }, 'not resuming a task whose stored state is invalid');
      return;
    }
    if (!rt || rt.finishedAt !== null) return;
    this.d.logger.info({ taskId, status: rt.status }, 'resuming task after restart or rebalance');
    if (rt.status === 'planning' || !rt.plan) return this.planAndStart(rt);
    this.armTaskTimer(rt);
    const { resend, reanswer } = resumeSteps(rt, Date.now());
    await this.send(rt, resend);
    for (const step of reanswer) await this.answer(rt, step);
    await this.advance(rt);
  }

  private async planAndStart(rt: TaskRuntime): Promise<void> {
    try {
      rt.planner = this.planning.label(rt.task);
      rt.memory = await this.planning.readMemory(rt.taskId, rt.task);
      adoptPlan(rt, await this.planning.plan(rt.task, rt.memory));
      this.armTaskTimer(rt);
      await this.advance(rt);
    } catch (err) {
      if (!(err instanceof PlanningError)) throw err;
      failPlanning(rt, err.code, err.message);
      await this.finish(rt);
    }
  }

  /** Runs a scheduling pass and carries out its effects, until the task waits on results or ends. */
  private async advance(rt: TaskRuntime): Promise<void> {
    const { toSend, toAnswer, done } = scheduleSteps(rt, Date.now());
    if (done) return this.finish(rt);
    // State first: if we die after this, resume re-sends exactly these commands (and asks the
    // model again for the answers it was writing).
    await this.store.persist(rt);
    await this.send(rt, toSend);
    await this.publishEvent(rt, TOPICS.supervisorProgress, 'task.progress', toOutcome(rt, null));
    if (!toAnswer.length) return;
    // Answers are written here, in the task's turn; then whatever they unblock goes on.
    for (const step of toAnswer) await this.answer(rt, step);
    return this.advance(rt);
  }

  private async send(rt: TaskRuntime, steps: PlanStep[]): Promise<void> {
    const cause = { id: rt.sourceEventId, correlationId: rt.correlationId };
    await Promise.all(steps.map((step) => this.d.producer.publish(mcpCommandsTopic(step.server!), followUp(cause, { type: 'mcp.command', source: 'supervisor', key: rt.taskId, payload: commandFor(rt, step) }))));
    for (const step of steps) this.armStepTimer(rt, step.id);
  }

  private async answer(rt: TaskRuntime, step: PlanStep): Promise<void> {
    if (rt.steps[step.id].status !== 'dispatched') return;
    const a = await answerStep(this.d.answers, rt.task.goal, rt.memory, dependencyResults(rt, step), `${PlanningErrorCode.LlmNotConfigured}: an answer needs a model (LLM_BASE_URL)`);
    settleAnswer(rt, step.id, a.status, a.result, a.error, Date.now());
  }

  private async finish(rt: TaskRuntime): Promise<void> {
    if (rt.finishedAt === null) rt.finishedAt = Date.now();
    if (rt.plan) rt.status = finalStatus(rt);
    rt.outcomeEventId ??= newEventId();
    this.timers.clearTask(rt.taskId);
    // Persisted before publishing, with the outcome id fixed: a crash in between re-publishes the same event.
    await this.store.persist(rt);
    const synth = rt.plan?.steps.filter((s) => s.kind === 'synthesize').pop();
    await this.publishEvent(rt, TOPICS.supervisorOutcomes, `task.${rt.status}`, toOutcome(rt, synth ? rt.steps[synth.id].result : null), rt.outcomeEventId);
    await this.store.persist(rt, true);
    this.d.logger.info({ taskId: rt.taskId, status: rt.status, ms: rt.finishedAt - rt.startedAt }, 'task finished');
  }

  private async publishEvent(rt: TaskRuntime, topic: string, type: string, payload: ReturnType<typeof toOutcome>, id?: string): Promise<void> {
    const event = followUp({ id: rt.sourceEventId, correlationId: rt.correlationId }, { type, source: 'supervisor', key: rt.taskId, payload });
    await this.d.producer.publish(topic, id ? { ...event, id } : event);
  }

  private armStepTimer(rt: TaskRuntime, stepId: string): void {
    const deadline = rt.steps[stepId].deadline;
    if (deadline === null) return;
    this.timers.set(`${rt.taskId}:${stepId}`, deadline - Date.now(), () =>
      this.run(rt.taskId, async () => {
        const cur = this.store.get(rt.taskId);
        if (cur && timeOutStep(cur, stepId, Date.now())) await this.advance(cur);
      }),
    );
  }

  private armTaskTimer(rt: TaskRuntime): void {
    if (rt.deadline === null) return;
    this.timers.set(rt.taskId, rt.deadline - Date.now(), () =>
      this.run(rt.taskId, async () => {
        const cur = this.store.get(rt.taskId);
        if (cur && timeOutTask(cur, Date.now())) await this.finish(cur);
      }),
    );
  }
}
