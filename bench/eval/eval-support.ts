import { LOCAL_DEV_API_KEY } from '@phoenix/config';
import { AppContext } from '@phoenix/runtime';

/** The eval's plumbing: progress on stderr, a bounded pool, waits on the memory-writer. */
export const AUTH = { authorization: `Bearer ${LOCAL_DEV_API_KEY}` };

export const log = (m: string) => process.stderr.write(`[eval ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

/** A one-line progress bar on stderr: redrawn in place on a terminal, a line every 10% otherwise. */
let lastBar = '';
export function progress(what: string, done: number, total: number, started: number): void {
  const tenth = Math.floor((done / Math.max(1, total)) * 10);
  const tty = process.stderr.isTTY;
  if (!tty && `${what}:${tenth}` === lastBar && done !== total) return;
  lastBar = `${what}:${tenth}`;
  const width = 30;
  const filled = Math.round((done / Math.max(1, total)) * width);
  const rate = done / Math.max(0.001, (Date.now() - started) / 1000);
  process.stderr.write(`${tty ? '\r' : ''}  ${what} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${rate.toFixed(0)}/s   ${done === total || !tty ? '\n' : ''}`);
}

/** Runs `fn` over `items` with at most `n` at a time. */
export async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/**
 * Offsets of a topic. Right after the topics are created on a fresh broker, a partition can still
 * answer "not the leader": such errors are tried again for a while.
 */
async function topicOffsets(admin: ReturnType<AppContext['bus']['kafka']['admin']>, topic: string): Promise<{ partition: number; high: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (attempt >= 20 || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The topics the memory-writer reads (its retry and DLQ copies aside). */
export const MEMORY_WRITER_TOPICS = /^(events\.|cdc\.|interactions\.|mcp\.results$|supervisor\.outcomes$|n8n\.responses$|memory\.requests$)/;

/**
 * A group starts at the current end of every topic matching `topics` it reads, as a deployment that
 * has been running would: nothing earlier runs on a shared broker have left there is read again.
 */
export async function startGroupAtEnd(ctx: AppContext, groupId: string, topics: RegExp = MEMORY_WRITER_TOPICS): Promise<void> {
  const admin = ctx.bus.kafka.admin();
  await admin.connect();
  try {
    const matching = (await admin.listTopics()).filter((t) => topics.test(t) && !/\.(retry|dlq)$/.test(t));
    for (const topic of matching) {
      const partitions = (await topicOffsets(admin, topic)).map((p) => ({ partition: p.partition, offset: p.high }));
      await admin.setOffsets({ groupId, topic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
}

/** Sum of a topic's log-end offsets: where the memory-writer's group starts on it. */
export async function topicEnd(ctx: AppContext, topic: string): Promise<number> {
  const admin = ctx.bus.kafka.admin();
  await admin.connect();
  try {
    return (await topicOffsets(admin, topic)).reduce((a, p) => a + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the memory-writer committed `share` of the `expected` events published on `topic` since `base`. */
export async function waitMemoryWriter(ctx: AppContext, instance: string, topic: string, base: number, share: number, expected: number): Promise<void> {
  const admin = ctx.bus.kafka.admin();
  await admin.connect();
  const startedAt = Date.now();
  try {
    for (;;) {
      const [committed] = await admin.fetchOffsets({ groupId: `${instance}-memory-writer`, topics: [topic] });
      const done = committed.partitions.reduce((a, p) => a + Math.max(0, Number(p.offset)), 0) - base;
      progress(`memory-writer committed (${topic})`, Math.max(0, Math.min(expected, done)), expected, startedAt);
      if (done >= share * expected) {
        if (done < expected) process.stderr.write('\n');
        return;
      }
      if (Date.now() - startedAt > 3_600_000) throw new Error(`the memory-writer committed ${done} of ${expected} events of ${topic} after an hour`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the memory-writer's readiness reports its memory outbox empty. */
export async function waitOutboxEmpty(writer: string): Promise<void> {
  const startedAt = Date.now();
  for (;;) {
    const res = await fetch(`${writer}/health/ready`).catch(() => null);
    const body = res ? ((await res.json().catch(() => ({}))) as { checks?: Record<string, { detail?: string }> }) : {};
    const pending = Number(/(\d+) pending/.exec(body.checks?.['memory-outbox']?.detail ?? '')?.[1] ?? NaN);
    if (pending === 0) return;
    if (body.checks && !body.checks['memory-outbox']) throw new Error(`the memory-writer reports no memory-outbox check (${Object.keys(body.checks).join(', ')})`);
    if (Date.now() - startedAt > 3_600_000) throw new Error(`the memory outbox still holds ${pending} after an hour`);
    if (process.stderr.isTTY || (Date.now() - startedAt) % 10_000 < 1000) process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}  memory outbox: ${Number.isNaN(pending) ? '?' : pending} pending${process.stderr.isTTY ? '   ' : '\n'}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

