import { EventPublisher, KeyedView } from '@phoenix/bus';
import { ServerCapabilities, TaskState } from '@phoenix/contracts';
import { LlmClient } from '@phoenix/llm';
import { MemoryReader } from '@phoenix/memory';
import { PhoenixLogger } from '@phoenix/observability';
import { Planner, PlaybookPlanner } from './planners';

/** What the supervisor engine talks to: the bus, its state and the registry's views, memory, planners, a model. */
export interface SupervisorDeps {
  producer: EventPublisher;
  states: KeyedView<TaskState>;
  capabilities: KeyedView<ServerCapabilities>;
  memory: MemoryReader;
  playbooks: PlaybookPlanner;
  llm?: Planner;
  /** Writes the answers of `with: model` syntheses; without it they fail with LLM_NOT_CONFIGURED. */
  answers?: LlmClient;
  logger: PhoenixLogger;
}
