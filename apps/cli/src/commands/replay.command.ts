import { Command } from 'commander';
import { outputOptions, ReplayOptions, runPreferencesDataset, runReplay, selectionOptions } from '@phoenix/replay';

export function registerReplayCommand(program: Command): void {
  outputOptions(
    selectionOptions(
      program
        .command('replay')
        .description('Replay topics by time, offsets and filters into JSONL, Parquet, a retrain.<name> topic, or back into the live topics (marked as replay). Resumable.'),
    ),
  ).action((opts: ReplayOptions) => runReplay(opts));

  const dataset = program.command('dataset').description('Training datasets from Phoenix topics');
  selectionOptions(
    dataset
      .command('preferences')
      .description('Join feedback with the responses it rates: preference pairs (prompt, chosen, rejected) and SFT records, as JSONL and Parquet'),
  )
    .requiredOption('-o, --out <dir>', 'output directory')
    .action((opts: Record<string, string | undefined>) => runPreferencesDataset(opts));
}
