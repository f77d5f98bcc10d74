import * as fs from 'node:fs';
import { Admin } from 'kafkajs';

const HEAD = '# Soak results\n\nWritten by `npm run soak` and the tools beside it in `bench/soak/` (see README, Soak). Newest first.\n\n';

/** Puts a run's section at the top of SOAK.md (newest first), keeping the earlier runs. */
export function prependSection(file: string, section: string): void {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(/^# Soak results\n\n.*\n\n/, '') : '';
  fs.writeFileSync(file, HEAD + section + '\n' + old);
}

/** A group's lag as Kafka's ConsumerGroupCommand computes it: log end minus committed offset (log start when none). */
export async function brokerLag(admin: Admin, groupId: string, topics: string[]): Promise<{ lag: number; committed: number[] }> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  let lag = 0;
  const offsets: number[] = [];
  for (const t of topics) {
    for (const e of await admin.fetchTopicOffsets(t)) {
      const c = Number(committed.find((x) => x.topic === t)?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
      offsets.push(c);
      lag += Number(e.high) - (c >= 0 ? c : Number(e.low));
    }
  }
  return { lag, committed: offsets };
}
