import { Command } from 'commander';
import { cliRuntime } from '../cli-context';
import { printTable } from '../output';

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('The topic catalogue and the cluster');

  topics
    .command('list')
    .description('Topics on the cluster, with partitions, message counts and catalogue family')
    .option('--catalogue', 'list the catalogue instead of the cluster')
    .action(async (opts: { catalogue?: boolean }) => {
      const { bus } = cliRuntime();
      try {
        if (opts.catalogue) {
          printTable(
            bus.catalogue.allTopics().map((t) => ({
              name: t.name,
              family: t.family,
              partitions: t.partitions,
              retention: t.retentionMs < 0 ? 'forever' : `${Math.round(t.retentionMs / 3600000)}h`,
              cleanup: t.cleanupPolicy,
            })),
          );
          return;
        }
        const list = await bus.admin.list();
        printTable(list.map((t) => ({ name: t.name, partitions: t.partitions, messages: t.messages, family: t.family ?? '(not in catalogue)' })));
      } finally {
        await bus.close();
      }
    });

  topics
    .command('apply')
    .description('Create or reconcile every catalogue topic (idempotent), and register schemas on the local stack')
    .action(async () => {
      const { bus, config } = cliRuntime();
      try {
        const results = await bus.admin.apply();
        printTable(results.map((r) => ({ topic: r.topic, action: r.action, detail: r.detail ?? '' })));
        if (config.registry.autoRegister) {
          await bus.codec.prepare(bus.catalogue.topics().map((t) => t.name));
          process.stderr.write(`schemas registered for ${bus.catalogue.topics().length} topics\n`);
        }
      } finally {
        await bus.close();
      }
    });
}
