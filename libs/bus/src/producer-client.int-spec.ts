import { v4 as uuidv4 } from 'uuid';
import { createEnvelope } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { testContext } from '../../../test/support/context';
import { endOffsets, header, readEvents } from '../../../test/support/topics';
import { HEADERS } from './headers.constants';

let installed = true;
try {
  // Loading, not just resolving: without CKJS_LINKING=dynamic npm ci leaves the package unbuilt.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@confluentinc/kafka-javascript');
} catch {
  installed = false;
}

/**
 * BUS_PRODUCER_CLIENT=confluent: the same EventProducer over librdkafka. It is an optional
 * dependency (built from source by `CKJS_LINKING=dynamic npm ci`); where it did not build the spec
 * says so and checks the typed error instead.
 */
describe('EventProducer over librdkafka (@confluentinc/kafka-javascript), real Kafka', () => {
  const topic = 'events.agent';

  (installed ? it : it.skip)('publishes events that kafkajs consumers decode, with exact receipts, headers and per-key order', async () => {
    const ctx: AppContext = testContext('bus-ckjs', { BUS_PRODUCER_CLIENT: 'confluent' });
    try {
      const runId = uuidv4();
      const from = await endOffsets(topic);
      const keys = ['acct-1', 'acct-2', 'acct-3'];
      const events = Array.from({ length: 300 }, (_, i) => createEnvelope({ type: 'agent.step', source: 'spec', key: keys[i % 3], correlationId: runId, payload: { runId, seq: i } }));
      const receipts = await Promise.all(events.map((e) => ctx.bus.producer.publish(topic, e, { headers: { 'x-spec': runId } })));
      const read = await readEvents<{ runId: string; seq: number }>(ctx.bus.codec, topic, (got) => got.filter((g) => g.event.payload.runId === runId).length >= 300, { from });
      const mine = read.filter((r) => r.event.payload.runId === runId);
      expect(mine).toHaveLength(300);
      // Every receipt names exactly where the broker stored that event.
      const byId = new Map(mine.map((m) => [m.event.id, m]));
      events.forEach((e, i) => {
        const m = byId.get(e.id)!;
        expect(m.event).toEqual(e);
        expect({ topic: receipts[i].topic, partition: receipts[i].partition, offset: receipts[i].offset }).toEqual({ topic, partition: m.partition, offset: m.offset });
        expect(m.headers?.[HEADERS.eventId]?.toString()).toBe(e.id);
        expect(m.headers?.['x-spec']?.toString()).toBe(runId);
      });
      expect(header({ headers: mine[0].headers } as never, 'traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      // Per key, offsets grow in publish order.
      for (const k of keys) {
        const seqs = mine.filter((m) => m.event.key === k).sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset))).map((m) => m.event.payload.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
    } finally {
      await ctx.close();
    }
  });

  (installed ? it.skip : it)('fails at boot with a typed error naming the fix when the client is not installed', () => {
    expect(() => testContext('bus-ckjs', { BUS_PRODUCER_CLIENT: 'confluent' })).toThrow(/BUS_PRODUCER_CLIENT=confluent needs @confluentinc\/kafka-javascript/);
  });
});
