import { parseTaskRuntime } from './task-state.schema';
import { Controller, DynamicModule, Get, Inject, Module, OnApplicationShutdown, Param, NotFoundException } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { BusContext, BusController, CoPartitionedAssigner, OnEvent, TopicView } from '@phoenix/bus';
import { EventOf, ServerCapabilities, TaskState, TOPICS } from '@phoenix/contracts';
import { MemoryReader, NoopMemoryReader } from '@phoenix/memory';
import { AppContext, ConsumerAppOptions } from '@phoenix/runtime';
import { LlmClient } from '@phoenix/llm';
import { LlmPlanner, PlaybookPlanner } from './planners';
import { loadPlaybooks } from './playbooks';
import { SupervisorService } from './supervisor.service';
import { toOutcome } from './task-runtime';

/** Wiring of the supervisor app: playbooks, planners, state and capability views. */
export class Supervisor {
  readonly states: TopicView<TaskState>;
  readonly capabilities: TopicView<ServerCapabilities>;
  readonly service: SupervisorService;

  constructor(ctx: AppContext, memory: MemoryReader = new NoopMemoryReader()) {
    const logger = ctx.logger.child({ component: 'supervisor' });
    this.states = new TopicView<TaskState>(ctx.bus.kafka, ctx.bus.codec, TOPICS.supervisorState, logger);
    this.capabilities = new TopicView<ServerCapabilities>(ctx.bus.kafka, ctx.bus.codec, TOPICS.mcpCapabilities, logger);
    const playbooks = new PlaybookPlanner(loadPlaybooks(ctx.config.paths.config, ctx.env));
    const client = ctx.config.llm ? new LlmClient(ctx.config.llm) : undefined;
    const llm = client ? new LlmPlanner(client) : undefined;
    this.service = new SupervisorService({ producer: ctx.bus.producer, states: this.states, capabilities: this.capabilities, memory, playbooks, llm, answers: client, logger });
  }

  /** Loads state and capabilities before consuming, so resumed tasks see them. */
  async start(): Promise<void> {
    await Promise.all([this.states.start(), this.capabilities.start()]);
    await Promise.all([this.states.ready(), this.capabilities.ready()]);
  }

  async stop(): Promise<void> {
    this.service.stop();
    await Promise.all([this.states.stop(), this.capabilities.stop()]);
  }

  /** Consumer settings: tasks and results co-partitioned by task id, resume on assignment. */
  transport(): ConsumerAppOptions['transport'] {
    return {
      partitionAssigners: [CoPartitionedAssigner],
      onAssignment: (assignment) => void this.service.onAssignment(assignment[TOPICS.supervisorTasks] ?? []),
    };
  }
}

@BusController()
export class SupervisorController {
  constructor(@Inject(SupervisorService) private readonly supervisor: SupervisorService) {}

  @OnEvent(TOPICS.supervisorTasks)
  async onTask(@Payload() event: EventOf<'supervisor.tasks'>, @Ctx() ctx: BusContext): Promise<void> {
    // A replayed task request is history, not a new task.
    if (ctx.meta.replay) return;
    await this.supervisor.onTask(event);
  }

  @OnEvent(TOPICS.mcpResults)
  async onResult(@Payload() event: EventOf<'mcp.results'>): Promise<void> {
    await this.supervisor.onResult(event);
  }
}

@Controller('tasks')
class TasksController {
  constructor(@Inject(Supervisor) private readonly supervisor: Supervisor) {}

  @Get(':taskId')
  get(@Param('taskId') taskId: string) {
    const live = this.supervisor.service.tasks().find((t) => t.taskId === taskId);
    const stored = this.supervisor.states.get(taskId)?.payload.state;
    if (!live && stored === undefined) throw new NotFoundException(`no task ${taskId}`);
    const rt = live ?? parseTaskRuntime(stored, `${TOPICS.supervisorState}/${taskId}`);
    return toOutcome(rt, null);
  }
}

class SupervisorShutdown implements OnApplicationShutdown {
  constructor(private readonly supervisor: Supervisor) {}
  async onApplicationShutdown(): Promise<void> {
    await this.supervisor.stop();
  }
}

@Module({})
export class SupervisorModule {
  static forSupervisor(supervisor: Supervisor): DynamicModule {
    return {
      module: SupervisorModule,
      controllers: [SupervisorController, TasksController],
      providers: [
        { provide: Supervisor, useValue: supervisor },
        { provide: SupervisorService, useValue: supervisor.service },
        { provide: SupervisorShutdown, useFactory: () => new SupervisorShutdown(supervisor) },
      ],
    };
  }
}

export const SUPERVISOR_TOPICS = [TOPICS.supervisorTasks, TOPICS.mcpResults];
