import { JsonValue, StepOutcome, StepStatus, TaskOutcome, TaskRequest, TaskStatus } from '@phoenix/contracts';
import { MemoryHit } from '@phoenix/memory';
import { Plan, TERMINAL_STEP } from './plan';

export interface StepState {
  status: StepStatus;
  startedAt: number | null;
  finishedAt: number | null;
  deadline: number | null;
  result: JsonValue | null;
  error: string | null;
}

/** Everything the supervisor knows about one task; persisted to `supervisor.state` on each change. */
export interface TaskRuntime {
  taskId: string;
  task: TaskRequest;
  correlationId: string;
  sourceEventId: string;
  status: TaskStatus;
  planner: string;
  plan: Plan | null;
  inputs: JsonValue;
  memory: MemoryHit[];
  steps: Record<string, StepState>;
  startedAt: number;
  finishedAt: number | null;
  deadline: number | null;
  error: string | null;
  /** Fixed before the outcome is published, so a re-publish after a crash has the same id. */
  outcomeEventId: string | null;
  revision: number;
}

const FAILED: ReadonlySet<StepStatus> = new Set(['tool_error', 'timeout', 'rejected', 'failed']);

export const isTerminalStep = (s: StepState) => TERMINAL_STEP.has(s.status);

/** Succeeded, partial or failed, by the plan's failure policy. */
export function finalStatus(rt: TaskRuntime): TaskStatus {
  if (rt.status === 'timed_out' || rt.status === 'failed') return rt.status;
  const plan = rt.plan!;
  // Tool calls and model answers count; a synthesis of results only gathers them.
  const required = plan.steps.filter((s) => !s.optional && (s.kind === 'tool' || s.answer));
  const ok = required.filter((s) => rt.steps[s.id].status === 'ok').length;
  const failedRequired = required.filter((s) => FAILED.has(rt.steps[s.id].status) || rt.steps[s.id].status === 'skipped').length;
  if (failedRequired === 0) return 'succeeded';
  if (plan.policy.onStepFailure === 'fail' || ok < plan.policy.minSucceeded) return 'failed';
  return 'partial';
}

export function isFailedStep(status: StepStatus): boolean {
  return FAILED.has(status);
}

export function toOutcome(rt: TaskRuntime, summary: JsonValue | null): TaskOutcome {
  const steps: StepOutcome[] = (rt.plan?.steps ?? []).map((p) => {
    const s = rt.steps[p.id];
    return {
      stepId: p.id,
      server: p.server ?? null,
      tool: p.tool ?? null,
      status: s.status,
      result: s.result,
      error: s.error,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      durationMs: s.startedAt !== null && s.finishedAt !== null ? s.finishedAt - s.startedAt : null,
    };
  });
  return {
    taskId: rt.taskId,
    goal: rt.task.goal,
    status: rt.status,
    planner: rt.planner,
    steps,
    summary,
    error: rt.error,
    startedAt: rt.startedAt,
    finishedAt: rt.finishedAt,
    durationMs: rt.finishedAt !== null ? rt.finishedAt - rt.startedAt : null,
  };
}
