import { z } from 'zod';
import { TaskRuntime } from './task-runtime';
import { PhoenixError } from '@phoenix/errors';

const json = z.json();
const nullableInt = z.number().int().nullable();
const stepStatus = z.enum(['pending', 'dispatched', 'ok', 'tool_error', 'timeout', 'rejected', 'failed', 'skipped']);

/**
 * Version 1 of the task state the supervisor writes to `supervisor.state` (`TaskRuntime`): every
 * read of it — resume after a restart, `GET /v1/tasks/:id`, the `get_task` MCP tool — checks it
 * against this schema first, so a corrupted or foreign record is refused with its problems named
 * instead of being run. States written before the version field existed are version 1.
 */
export const taskRuntimeSchema = z.object({
  stateVersion: z.literal(1).optional(),
  taskId: z.string().min(1),
  task: z.object({
    taskId: z.string().min(1),
    goal: z.string(),
    inputs: json,
    constraints: z.object({ timeoutMs: nullableInt, maxSteps: nullableInt, playbook: z.string().nullable(), planner: z.string().nullable(), memory: z.boolean().nullable().optional() }),
    requestedBy: z.string(),
  }),
  correlationId: z.string(),
  sourceEventId: z.string(),
  status: z.enum(['planning', 'running', 'succeeded', 'partial', 'failed', 'timed_out']),
  planner: z.string(),
  plan: z
    .object({
      planner: z.string(),
      steps: z.array(
        z.object({ id: z.string().min(1), kind: z.enum(['tool', 'synthesize']), server: z.string().optional(), tool: z.string().optional(), arguments: json, dependsOn: z.array(z.string()), timeoutMs: z.number().int().nonnegative(), optional: z.boolean(), answer: z.boolean().optional() }),
      ),
      policy: z.object({ onStepFailure: z.enum(['continue', 'fail']), minSucceeded: z.number().int().nonnegative() }),
    })
    .nullable(),
  inputs: json,
  memory: z.array(z.object({ id: z.string(), text: z.string(), score: z.number(), metadata: z.record(z.string(), json) })),
  steps: z.record(z.string(), z.object({ status: stepStatus, startedAt: nullableInt, finishedAt: nullableInt, deadline: nullableInt, result: json.nullable(), error: z.string().nullable() })),
  startedAt: z.number().int(),
  finishedAt: nullableInt,
  deadline: nullableInt,
  error: z.string().nullable(),
  outcomeEventId: z.string().nullable(),
  revision: z.number().int().nonnegative(),
});

export class TaskStateInvalidError extends PhoenixError<'TASK_STATE_INVALID'> {
  constructor(message: string) {
    super('TASK_STATE_INVALID', message, { kind: 'record' });
  }
}

/** The stored state of a task, validated; throws {@link TaskStateInvalidError} naming what is wrong. */
export function parseTaskRuntime(value: unknown, where: string): TaskRuntime {
  const r = taskRuntimeSchema.safeParse(value);
  if (r.success) {
    // Every step the plan names has a state.
    const missing = (r.data.plan?.steps ?? []).filter((s) => !r.data.steps[s.id]).map((s) => s.id);
    if (!missing.length) return r.data as unknown as TaskRuntime;
    throw new TaskStateInvalidError(`task state in ${where} is invalid: no state for plan steps ${missing.join(', ')}`);
  }
  const problems = r.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new TaskStateInvalidError(`task state in ${where} is not a version-1 supervisor task state: ${problems.join('; ')}`);
}
