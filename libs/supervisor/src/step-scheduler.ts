import { Envelope, JsonValue, McpCommand, McpResult, render, StepStatus, TaskRequest } from '@phoenix/contracts';
import { Plan, PlanStep } from './plan';
import { isFailedStep, isTerminalStep, TaskRuntime } from './task-runtime';

/**
 * The supervisor's pure core: given a task's state and what just happened (a plan, a result, a
 * deadline, a restart), the next state and the effects the shell must carry out. Nothing here
 * reads a clock, a topic or a model: `now` comes in, commands to send and answers to write go out.
 * Functions update the state they are given in place (it is the task's own copy) and return the
 * effects.
 */

/** What the shell does after a scheduling pass. */
export interface ScheduledWork {
  /** Tool steps now dispatched: send their commands and arm their timers. */
  toSend: PlanStep[];
  /** `with: model` syntheses now dispatched: ask the model, then schedule again. */
  toAnswer: PlanStep[];
  /** Every step is terminal: finish the task. */
  done: boolean;
}

/** A fresh task as it arrives on `supervisor.tasks`. */
export function newTask(event: Envelope<TaskRequest>, now: number): TaskRuntime {
  const task = event.payload;
  return {
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
    startedAt: now,
    finishedAt: null,
    deadline: task.constraints.timeoutMs ? now + task.constraints.timeoutMs : null,
    error: null,
    outcomeEventId: null,
    revision: 0,
  };
}

/** A validated plan becomes the task's: every step pending, the task running. */
export function adoptPlan(rt: TaskRuntime, plan: Plan & { inputs: JsonValue }): void {
  rt.plan = { planner: plan.planner, steps: plan.steps, policy: plan.policy };
  rt.inputs = plan.inputs;
  rt.planner = plan.planner;
  rt.status = 'running';
  for (const s of plan.steps) rt.steps[s.id] = { status: 'pending', startedAt: null, finishedAt: null, deadline: null, result: null, error: null };
}

/** Planning failed: the task fails with the planner's code and reason. */
export function failPlanning(rt: TaskRuntime, code: string, message: string): void {
  rt.status = 'failed';
  rt.error = `${code}: ${message}`;
}

/**
 * Starts every pending step whose dependencies are terminal: a tool step is dispatched (or
 * skipped when a dependency did not succeed or the policy stops at the first failure), a results
 * synthesis is computed here, a model synthesis is dispatched for the shell to answer. Repeats
 * until nothing more can start.
 */
export function scheduleSteps(rt: TaskRuntime, now: number): ScheduledWork {
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
        Object.assign(s, { status: 'skipped', error: 'skipped: a required step failed (policy: fail)', finishedAt: now });
      } else if (step.kind === 'synthesize' && step.answer) {
        Object.assign(s, { status: 'dispatched', startedAt: now });
        toAnswer.push(step);
      } else if (step.kind === 'synthesize') {
        synthesize(rt, step, now);
      } else if (deps.some((d) => d.status !== 'ok')) {
        Object.assign(s, { status: 'skipped', error: `skipped: dependency ${step.dependsOn.find((d) => rt.steps[d].status !== 'ok')} did not succeed`, finishedAt: now });
      } else {
        Object.assign(s, { status: 'dispatched', startedAt: now, deadline: Math.min(now + step.timeoutMs, rt.deadline ?? Infinity) });
        toSend.push(step);
      }
    }
  }
  return { toSend, toAnswer, done: plan.steps.every((p) => isTerminalStep(rt.steps[p.id])) };
}

/** A results synthesis: gathers what its dependencies returned, and what is missing. */
function synthesize(rt: TaskRuntime, step: PlanStep, now: number): void {
  const results = Object.fromEntries(step.dependsOn.filter((d) => rt.steps[d].status === 'ok').map((d) => [d, rt.steps[d].result]));
  const missing = step.dependsOn.filter((d) => rt.steps[d].status !== 'ok').map((d) => ({ step: d, status: rt.steps[d].status, error: rt.steps[d].error }));
  const any = Object.keys(results).length > 0;
  Object.assign(rt.steps[step.id], {
    status: any ? 'ok' : 'failed',
    startedAt: now,
    finishedAt: now,
    result: { goal: rt.task.goal, results, missing } as unknown as JsonValue,
    error: any ? null : 'no dependency succeeded',
  });
}

/** The results a step's dependencies returned (for a model answer). */
export function dependencyResults(rt: TaskRuntime, step: PlanStep): Record<string, JsonValue> {
  return Object.fromEntries(step.dependsOn.filter((d) => rt.steps[d].status === 'ok').map((d) => [d, rt.steps[d].result as JsonValue]));
}

/** Settles a dispatched model answer (the shell asked the model). */
export function settleAnswer(rt: TaskRuntime, stepId: string, status: StepStatus, result: JsonValue | null, error: string | null, now: number): void {
  Object.assign(rt.steps[stepId], { status, result, error, finishedAt: now });
}

/**
 * A worker's result for one of this task's steps. False when it changes nothing: unknown or
 * finished task or step, a step not waiting for a result, or a duplicate's answer.
 */
export function applyResult(rt: TaskRuntime, r: McpResult, now: number): boolean {
  if (r.duplicateOf || rt.finishedAt !== null || !r.stepId) return false;
  const step = rt.steps[r.stepId];
  if (!step || step.status !== 'dispatched') return false;
  step.status = r.status as StepStatus;
  step.finishedAt = now;
  step.result = (r.structuredContent ?? r.content) as JsonValue;
  step.error = r.error;
  return true;
}

/** A step's deadline passed with no result. False when the step is no longer waiting. */
export function timeOutStep(rt: TaskRuntime, stepId: string, now: number): boolean {
  const s = rt.steps[stepId];
  if (!s || s.status !== 'dispatched' || rt.finishedAt !== null) return false;
  Object.assign(s, { status: 'timeout', finishedAt: now, error: 'no result before the step deadline' });
  return true;
}

/** The task's deadline passed: what was dispatched times out, what was pending is skipped. */
export function timeOutTask(rt: TaskRuntime, now: number): boolean {
  if (rt.finishedAt !== null) return false;
  for (const s of Object.values(rt.steps)) {
    if (!isTerminalStep(s)) Object.assign(s, { status: s.status === 'dispatched' ? 'timeout' : 'skipped', finishedAt: now, error: 'the task deadline passed' });
  }
  rt.status = 'timed_out';
  rt.error = 'the task deadline passed';
  return true;
}

/**
 * After a restart or rebalance: dispatched steps past their deadline time out, the others are
 * sent again (the worker's ledger runs each `<taskId>:<stepId>` once) or, for model answers,
 * asked again.
 */
export function resumeSteps(rt: TaskRuntime, now: number): { resend: PlanStep[]; reanswer: PlanStep[] } {
  const resend: PlanStep[] = [];
  const reanswer: PlanStep[] = [];
  for (const step of rt.plan?.steps ?? []) {
    const s = rt.steps[step.id];
    if (s.status !== 'dispatched') continue;
    if (s.deadline !== null && now >= s.deadline) Object.assign(s, { status: 'timeout', finishedAt: now, error: 'no result before the step deadline' });
    else (step.answer ? reanswer : resend).push(step);
  }
  return { resend, reanswer };
}

/** The command for a dispatched tool step: arguments rendered from the goal, inputs, memory and earlier results. */
export function commandFor(rt: TaskRuntime, step: PlanStep): McpCommand {
  const context = {
    goal: rt.task.goal,
    inputs: rt.inputs,
    memory: rt.memory,
    steps: Object.fromEntries(Object.entries(rt.steps).map(([id, st]) => [id, { status: st.status, result: st.result }])),
  };
  return {
    server: step.server!,
    tool: step.tool!,
    arguments: (render(step.arguments, context) ?? {}) as JsonValue,
    idempotencyKey: `${rt.taskId}:${step.id}`,
    deadline: rt.steps[step.id].deadline,
    timeoutMs: step.timeoutMs,
    taskId: rt.taskId,
    stepId: step.id,
    rule: null,
  };
}
