import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse } from '@nestjs/swagger';
import { AccessAuditLog, AccessGuard, AuthenticatedRequest, RequireAccess } from '@phoenix/access';
import { TOPICS, zodViolations } from '@phoenix/contracts';
import { PhoenixViews, requestTask, startTaskSchema } from '@phoenix/phoenix-mcp';
import { parseTaskRuntime, TaskStateInvalidError, toOutcome } from '@phoenix/supervisor';
import { GatewayError, GatewayErrorCode } from '../errors/gateway.exception';
import { ApiErrors, ApiJson, ApiKeyAuth } from '../openapi/api-docs.decorators';

/** Newest tasks listed at most. */
const LIST_MAX = 200;

/** Supervisor tasks as REST: list, start (as the `start_task` tool), and one task's steps. */
@Controller('v1')
@UseGuards(AccessGuard)
@ApiKeyAuth()
export class TasksController {
  private readonly audit: AccessAuditLog;

  constructor(@Inject(PhoenixViews) private readonly views: PhoenixViews) {
    this.audit = new AccessAuditLog(views.bus.producer, 'gateway/tasks');
  }

  @Get('tasks')
  @RequireAccess('tasks:read')
  @ApiOperation({ summary: 'The newest supervisor tasks this key may read, with status and step counts' })
  @ApiJson(200, 'Tasks, newest first', 'TaskList')
  @ApiErrors(403, 429)
  async list(@Req() req: AuthenticatedRequest) {
    await this.views.start();
    const tasks = [];
    for (const e of this.views.tasks.values()) {
      try {
        const rt = parseTaskRuntime(e.payload.state, `${TOPICS.supervisorState}/${e.payload.taskId}`);
        if (!req.principal.mayReadTask(rt.task.requestedBy)) continue;
        const o = toOutcome(rt, null);
        tasks.push({ taskId: o.taskId, goal: o.goal, status: o.status, planner: o.planner, steps: o.steps.length, stepsDone: o.steps.filter((s) => s.status === 'ok').length, startedAt: o.startedAt, finishedAt: o.finishedAt, durationMs: o.durationMs });
      } catch (err) {
        if (!(err instanceof TaskStateInvalidError)) throw err;
      }
    }
    tasks.sort((a, b) => b.startedAt - a.startedAt);
    return { tasks: tasks.slice(0, LIST_MAX) };
  }

  @Post('tasks')
  @HttpCode(202)
  @RequireAccess('tasks:start')
  @ApiOperation({ summary: 'Ask the supervisor to achieve a goal (optionally with a given playbook); follow it with GET /v1/tasks/{taskId}' })
  @ApiBody({ required: true, schema: { $ref: '#/components/schemas/StartTask' } })
  @ApiJson(202, 'Requested', 'TaskStarted')
  @ApiErrors(400, 403, 413, 429, 503)
  async start(@Req() req: AuthenticatedRequest, @Body() body: unknown) {
    const parsed = startTaskSchema.strict().safeParse(body);
    if (!parsed.success) throw new GatewayError(GatewayErrorCode.BadRequest, 'not a valid task request', zodViolations(parsed.error));
    const started = await requestTask(this.views.bus, req.principal, `gateway/${req.principal.name}`, parsed.data);
    await this.audit.record(req.principal, { surface: 'rest', action: 'tasks:start', operation: 'start_task', outcome: 'allowed', scope: TOPICS.supervisorTasks });
    return started;
  }

  /** A supervisor task's status and step results. */
  @Get('tasks/:taskId')
  @RequireAccess('tasks:read')
  @ApiOperation({ summary: "A supervisor task's status and step results, and its plan's shape (each step's dependsOn; null while planning)" })
  @ApiResponse({ status: 200, description: 'The task outcome', content: { 'application/json': { schema: { type: 'object' } } } })
  @ApiErrors(403, 404, 429, 500)
  async task(@Req() req: AuthenticatedRequest, @Param('taskId') taskId: string) {
    await this.views.start();
    const stored = this.views.tasks.get(taskId)?.payload.state;
    if (stored === undefined) throw new GatewayError(GatewayErrorCode.NotFound, `no task ${taskId}`);
    try {
      const rt = parseTaskRuntime(stored, `${TOPICS.supervisorState}/${taskId}`);
      // Another key's task is not found, rather than forbidden: its existence is not revealed.
      if (!req.principal.mayReadTask(rt.task.requestedBy)) throw new GatewayError(GatewayErrorCode.NotFound, `no task ${taskId}`);
      // The plan's shape, so a client can draw it as a graph.
      return { ...toOutcome(rt, null), plan: rt.plan ? rt.plan.steps.map((st) => ({ stepId: st.id, dependsOn: st.dependsOn })) : null };
    } catch (err) {
      if (err instanceof TaskStateInvalidError) throw new GatewayError(GatewayErrorCode.StateInvalid, err.message);
      throw err;
    }
  }
}
