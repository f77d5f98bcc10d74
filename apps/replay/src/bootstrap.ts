import { Command, CommanderError } from 'commander';
import { outputOptions, ReplayOptions, runReplay, selectionOptions } from '@phoenix/replay';

/**
 * The replay as a run-to-completion app (a Kubernetes Job, a cron): the same flags as
 * `phoenix replay`, e.g. `node dist/apps/replay/main.js --topics 'cdc.*' --from 2026-11-01 --to-topic deals`.
 * Restarted with the same flags it resumes from its checkpoint. Exit 0 with the summary on stdout.
 */
export async function bootstrap(argv = process.argv): Promise<void> {
  const program = outputOptions(selectionOptions(new Command('phoenix-replay').description('Replay Phoenix topics (resumable)')))
    .exitOverride()
    .action((opts: ReplayOptions) => runReplay(opts));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (!(err instanceof CommanderError)) process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = err instanceof CommanderError ? err.exitCode : 1;
  }
}
