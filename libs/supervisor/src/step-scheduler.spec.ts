import { createEnvelope, McpResult, TaskRequest } from '@phoenix/contracts';
import { Plan, PlanStep } from './plan';
import { adoptPlan, applyResult, commandFor, failPlanning, newTask, resumeSteps, scheduleSteps, timeOutStep, timeOutTask } from './step-scheduler';
import { TaskRuntime } from './task-runtime';

const T0 = 1_000_000;
const request = (over: Partial<TaskRequest['constraints']> = {}): TaskRequest => ({ taskId: 't1', goal: 'Review the deal', inputs: { deal: 'd-7' }, constraints: { timeoutMs: null, maxSteps: null, playbook: null, planner: null, memory: null, ...over }, requestedBy: 'spec' });
const step = (id: string, over: Partial<PlanStep> = {}): PlanStep => ({ id, kind: 'tool', server: 'crm', tool: 'get', arguments: {}, dependsOn: [], timeoutMs: 1000, optional: false, ...over });
const plan = (steps: PlanStep[], policy: Plan['policy'] = { onStepFailure: 'continue', minSucceeded: 1 }) => ({ planner: 'playbook:p', steps, policy, inputs: { deal: 'd-7' } });

function started(steps: PlanStep[], policy?: Plan['policy'], constraints: Partial<TaskRequest['constraints']> = {}): TaskRuntime {
  const rt = newTask(createEnvelope({ type: 'task.requested', source: 'spec', key: 't1', payload: request(constraints) }), T0);
  adoptPlan(rt, plan(steps, policy));
  return rt;
}
const result = (stepId: string, status: McpResult['status'], over: Partial<McpResult> = {}): McpResult => ({ server: 'crm', tool: 'get', idempotencyKey: `t1:${stepId}`, taskId: 't1', stepId, status, content: null, structuredContent: { from: stepId }, error: status === 'ok' ? null : 'boom', attempts: 1, duplicateOf: null, durationMs: 5, ...over });
const statuses = (rt: TaskRuntime) => Object.fromEntries(Object.entries(rt.steps).map(([id, s]) => [id, s.status]));

describe('step scheduler (pure: state + event + time in, state + effects out)', () => {
  it('a new task: planning, with its deadline from the constraints', () => {
    const rt = newTask(createEnvelope({ type: 'task.requested', source: 'spec', key: 't1', correlationId: 'c-9', payload: request({ timeoutMs: 5000 }) }), T0);
    expect(rt).toMatchObject({ taskId: 't1', status: 'planning', planner: 'pending', correlationId: 'c-9', startedAt: T0, deadline: T0 + 5000, steps: {}, revision: 0 });
    failPlanning(rt, 'NO_PLAYBOOK', 'nothing fits');
    expect(rt).toMatchObject({ status: 'failed', error: 'NO_PLAYBOOK: nothing fits' });
  });

  it('dispatches independent steps together, each with the earlier of its own and the task deadline; dependents wait', () => {
    const rt = started([step('a', { timeoutMs: 500 }), step('b', { timeoutMs: 9000 }), step('c', { dependsOn: ['a', 'b'] })], undefined, { timeoutMs: 2000 });
    const work = scheduleSteps(rt, T0);
    expect(work.toSend.map((s) => s.id)).toEqual(['a', 'b']);
    expect(work).toMatchObject({ toAnswer: [], done: false });
    expect(rt.steps.a).toMatchObject({ status: 'dispatched', startedAt: T0, deadline: T0 + 500 });
    expect(rt.steps.b.deadline).toBe(T0 + 2000);
    expect(rt.steps.c.status).toBe('pending');
    // Nothing new until a result arrives.
    expect(scheduleSteps(rt, T0 + 1).toSend).toEqual([]);
  });

  it('a result moves the plan on; a synthesis gathers what succeeded and names what is missing', () => {
    const rt = started([step('a'), step('b', { optional: true }), step('s', { kind: 'synthesize', dependsOn: ['a', 'b'] })]);
    scheduleSteps(rt, T0);
    expect(applyResult(rt, result('a', 'ok'), T0 + 10)).toBe(true);
    expect(applyResult(rt, result('b', 'tool_error'), T0 + 11)).toBe(true);
    const work = scheduleSteps(rt, T0 + 12);
    expect(work.done).toBe(true);
    expect(rt.steps.s).toMatchObject({ status: 'ok', result: { goal: 'Review the deal', results: { a: { from: 'a' } }, missing: [{ step: 'b', status: 'tool_error', error: 'boom' }] } });
  });

  it('ignores results that change nothing: duplicates, unknown steps, steps not waiting, finished tasks', () => {
    const rt = started([step('a')]);
    scheduleSteps(rt, T0);
    expect(applyResult(rt, result('a', 'ok', { duplicateOf: 'e-1' }), T0)).toBe(false);
    expect(applyResult(rt, result('zz', 'ok'), T0)).toBe(false);
    expect(applyResult(rt, result('a', 'ok'), T0)).toBe(true);
    expect(applyResult(rt, result('a', 'failed'), T0)).toBe(false);
    expect(rt.steps.a.status).toBe('ok');
  });

  it('skips a step whose dependency failed; with policy fail, skips everything after the first required failure', () => {
    const cont = started([step('a'), step('b', { dependsOn: ['a'] }), step('c')]);
    scheduleSteps(cont, T0);
    applyResult(cont, result('a', 'failed'), T0);
    scheduleSteps(cont, T0);
    expect(statuses(cont)).toEqual({ a: 'failed', b: 'skipped', c: 'dispatched' });
    expect(cont.steps.b.error).toBe('skipped: dependency a did not succeed');

    const fail = started([step('a'), step('b', { dependsOn: ['a'] }), step('c', { dependsOn: ['a'] })], { onStepFailure: 'fail', minSucceeded: 1 });
    scheduleSteps(fail, T0);
    applyResult(fail, result('a', 'timeout'), T0);
    expect(scheduleSteps(fail, T0).done).toBe(true);
    expect(statuses(fail)).toEqual({ a: 'timeout', b: 'skipped', c: 'skipped' });
    expect(fail.steps.c.error).toContain('policy: fail');
  });

  it('hands a model synthesis to the shell as an answer to write', () => {
    const rt = started([step('a', { kind: 'synthesize', answer: true })]);
    const work = scheduleSteps(rt, T0);
    expect(work.toAnswer.map((s) => s.id)).toEqual(['a']);
    expect(rt.steps.a.status).toBe('dispatched');
  });

  it('times out a waiting step, and the whole task at its deadline', () => {
    const rt = started([step('a'), step('b', { dependsOn: ['a'] })]);
    scheduleSteps(rt, T0);
    expect(timeOutStep(rt, 'b', T0 + 1)).toBe(false);
    expect(timeOutStep(rt, 'a', T0 + 1)).toBe(true);
    expect(rt.steps.a).toMatchObject({ status: 'timeout', error: 'no result before the step deadline' });

    const t = started([step('a'), step('b', { dependsOn: ['a'] })]);
    scheduleSteps(t, T0);
    expect(timeOutTask(t, T0 + 5)).toBe(true);
    expect(t).toMatchObject({ status: 'timed_out', error: 'the task deadline passed' });
    expect(statuses(t)).toEqual({ a: 'timeout', b: 'skipped' });
    t.finishedAt = T0 + 6;
    expect(timeOutTask(t, T0 + 7)).toBe(false);
  });

  it('on resume: what passed its deadline times out, the rest is sent (or answered) again', () => {
    const rt = started([step('a', { timeoutMs: 100 }), step('b', { timeoutMs: 10_000 }), step('m', { kind: 'synthesize', answer: true })]);
    scheduleSteps(rt, T0);
    const { resend, reanswer } = resumeSteps(rt, T0 + 500);
    expect(rt.steps.a.status).toBe('timeout');
    expect(resend.map((s) => s.id)).toEqual(['b']);
    expect(reanswer.map((s) => s.id)).toEqual(['m']);
  });

  it('builds the command: arguments rendered from inputs and earlier results, idempotency key per task step', () => {
    const rt = started([step('a'), step('b', { dependsOn: ['a'], arguments: { deal: '{{ $.inputs.deal }}', prev: '{{ $.steps.a.result.from }}', goal: 'about {{ $.goal }}' } })]);
    scheduleSteps(rt, T0);
    applyResult(rt, result('a', 'ok'), T0);
    scheduleSteps(rt, T0 + 1);
    expect(commandFor(rt, rt.plan!.steps[1])).toEqual({ server: 'crm', tool: 'get', arguments: { deal: 'd-7', prev: 'a', goal: 'about Review the deal' }, idempotencyKey: 't1:b', deadline: T0 + 1 + 1000, timeoutMs: 1000, taskId: 't1', stepId: 'b', rule: null });
  });
});
