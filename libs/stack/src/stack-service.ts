import { Progress } from './artifacts';
import { ServiceName } from './stack.options';

/** One process of the local stack. */
export interface StackService {
  readonly name: ServiceName;
  readonly port: number;
  readonly url: string;
  /** A string unique to this instance's command line (guards against recycled pids). */
  readonly marker: string;
  readonly startupTimeoutMs: number;
  /** Fetches artifacts, writes config; returns how to start the process. */
  prepare(progress: Progress): Promise<{ cmd: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv }>;
  ready(): Promise<boolean>;
}
