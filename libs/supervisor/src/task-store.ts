import { EventPublisher, KeyedView } from '@phoenix/bus';
import { createEnvelope, JsonValue, TaskState, TOPICS } from '@phoenix/contracts';
import { parseTaskRuntime } from './task-state.schema';
import { TaskRuntime } from './task-runtime';

/**
 * The supervisor's task state: the tasks it holds in memory, backed by the compacted
 * `supervisor.state` topic. Every change is written there before its effects go out, so a
 * supervisor that is killed resumes from the last write. What is read back is checked against the
 * state schema, never trusted.
 */
export class TaskStore {
  private readonly runtimes = new Map<string, TaskRuntime>();

  constructor(
    private readonly producer: EventPublisher,
    private readonly states: KeyedView<TaskState>,
  ) {}

  /** The task in memory, else its last stored state (throws TaskStateInvalidError if that is corrupt). */
  get(taskId: string): TaskRuntime | undefined {
    const mem = this.runtimes.get(taskId);
    if (mem) return mem;
    const stored = this.states.get(taskId)?.payload;
    if (!stored) return undefined;
    const rt = parseTaskRuntime(stored.state, `${TOPICS.supervisorState}/${taskId}`);
    this.runtimes.set(taskId, rt);
    return rt;
  }

  /** Known in memory (not read back). */
  has(taskId: string): boolean {
    return this.runtimes.has(taskId);
  }

  add(rt: TaskRuntime): void {
    this.runtimes.set(rt.taskId, rt);
  }

  /** Drops the in-memory copy; the next access reads the stored state again. */
  forget(taskId: string): void {
    this.runtimes.delete(taskId);
  }

  inMemory(): TaskRuntime[] {
    return [...this.runtimes.values()];
  }

  /** Ids of stored tasks that have not finished (candidates to resume). */
  unfinished(): string[] {
    return this.states
      .values()
      .filter((e) => !e.payload.terminal)
      .map((e) => e.payload.taskId);
  }

  /** Writes the state with the next revision; `terminal` once the outcome is published. */
  async persist(rt: TaskRuntime, terminal = false): Promise<void> {
    rt.revision++;
    const payload: TaskState = { taskId: rt.taskId, revision: rt.revision, terminal, state: { stateVersion: 1, ...rt } as unknown as JsonValue };
    await this.producer.publish(TOPICS.supervisorState, createEnvelope({ type: 'task.state', source: 'supervisor', key: rt.taskId, correlationId: rt.correlationId, payload }));
  }
}
