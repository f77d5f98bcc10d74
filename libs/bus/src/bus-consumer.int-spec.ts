import { INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { v4 as uuidv4 } from 'uuid';
import { createEnvelope, EventOf } from '@phoenix/contracts';
import { AppContext } from '@phoenix/runtime';
import { endOffsets, header, readUntil, testKafka } from '../../../test/support/topics';
import { testContext } from '../../../test/support/context';
import { waitFor } from '../../../test/support/wait';
import { BusController, OnEvent } from './bus-handler.decorators';
import { BusContext } from './bus.context';
import { BusError, FatalError, RetriableError } from './bus.exception';
import { BusTransport } from './bus.transport';
import { HEADERS } from './headers.constants';

const runId = uuidv4();
const handled: { step: string; attempt: number; offset: string }[] = [];

type Probe = { runId: string; step: string; mode: 'ok' | 'poison' | 'flaky' | 'always-fails' | 'slow-effect' | 'effect-flaky' | 'effect-fatal' };
/** When each deferred effect of the 'slow-effect' probe settled (ms since epoch). */
const effectSettledAt: Record<string, number> = {};
const handledAt: Record<string, number> = {};

@BusController()
class ProbeHandlers {
  @OnEvent('events.agent')
  async onAgentEvent(@Payload() event: EventOf<'events.agent'>, @Ctx() ctx: BusContext): Promise<void> {
    const p = event.payload as Probe;
    if (p.runId !== runId) return; // earlier runs' events on the shared topic
    if (p.mode === 'poison') throw new FatalError('POISON', 'this event can never be processed');
    if (p.mode === 'flaky' && ctx.meta.attempt < 2) throw new RetriableError('FLAKY', 'dependency hiccup');
    if (p.mode === 'always-fails') throw new Error('handler bug');
    if (p.mode === 'slow-effect') {
      ctx.meta.defer(new Promise((r) => setTimeout(r, 1500)).then(() => (effectSettledAt[p.step] = Date.now())));
    }
    if (p.mode === 'effect-flaky' && ctx.meta.attempt < 2) {
      ctx.meta.defer(Promise.reject(new RetriableError('EFFECT_FLAKY', 'the broker did not acknowledge')));
      return;
    }
    if (p.mode === 'effect-fatal') {
      ctx.meta.defer(Promise.reject(new FatalError('EFFECT_FATAL', 'this effect can never succeed')));
      return;
    }
    handledAt[p.step] = Date.now();
    handled.push({ step: p.step, attempt: ctx.meta.attempt, offset: ctx.meta.offset });
  }
}

@Module({ controllers: [ProbeHandlers] })
class ProbeModule {}

@BusController()
class AmbiguousHandlers {
  @OnEvent('events.*')
  async all(): Promise<void> {}
  @OnEvent('events.agent')
  async agent(): Promise<void> {}
}

@Module({ controllers: [AmbiguousHandlers] })
class AmbiguousModule {}

function transport(ctx: AppContext, groupId: string, topics?: string[]) {
  const { bus, config, logger, metrics } = ctx;
  return new BusTransport({ kafka: bus.kafka, codec: bus.codec, producer: bus.producer, bus: config.bus, logger, metrics, app: 'bus-test' }, { groupId, topics });
}

describe('bus consumer (real Kafka): retries, DLQ, manual commits', () => {
  let ctx: AppContext;
  let service: INestMicroservice;
  const groupId = `bus-test-${runId}`;

  beforeAll(async () => {
    ctx = testContext('bus-test', { BUS_MAX_ATTEMPTS: '3', BUS_RETRY_BACKOFF_MS: '200', BUS_RETRY_BACKOFF_MAX_MS: '400' });
    service = await NestFactory.createMicroservice(ProbeModule, { strategy: transport(ctx, groupId, ['events.agent']), logger: false });
    await service.listen();
  });

  afterAll(async () => {
    await service.close();
    await ctx.close();
  });

  it('a poison message goes to the DLQ with reason headers while the next one on the partition is processed', async () => {
    const dlqStart = await endOffsets('events.agent.dlq');
    const key = `probe-${runId}`;
    const send = (step: string, mode: Probe['mode']) =>
      ctx.bus.producer.publish('events.agent', createEnvelope({ type: 'probe.step', source: 'test', key, payload: { runId, step, mode } }));

    const poison = await send('poison', 'poison');
    await send('after-poison', 'ok');
    await send('flaky', 'flaky');
    // Bytes that are not in the registry wire format, on the same partition.
    const raw = ctx.bus.kafka.producer();
    await raw.connect();
    const [garbage] = await raw.send({ topic: 'events.agent', messages: [{ key, value: Buffer.from('not avro at all'), partition: poison.partition }] });
    await raw.disconnect();
    await send('after-garbage', 'ok');
    const alwaysFails = await send('always-fails', 'always-fails');
    const last = await send('last', 'ok');

    await waitFor('ok events handled', () => ['after-poison', 'after-garbage', 'last', 'flaky'].every((s) => handled.some((h) => h.step === s)), 60000);
    const order = handled.filter((h) => h.attempt === 1).map((h) => h.step);
    expect(order).toEqual(['after-poison', 'after-garbage', 'last']);
    expect(handled.find((h) => h.step === 'flaky')!.attempt).toBe(2);

    // Earlier runs left their own garbage on the shared topic; look only at this run's offsets.
    const ours = new Set([poison.offset, garbage.baseOffset, alwaysFails.offset].map((o) => `${poison.partition}@${o}`));
    const isOurs = (m: { message: Parameters<typeof header>[0] }) =>
      header(m.message, HEADERS.consumerGroup) === groupId && ours.has(`${header(m.message, HEADERS.originalPartition)}@${header(m.message, HEADERS.originalOffset)}`);
    const dead = await readUntil('events.agent.dlq', (ms) => ms.filter(isOurs).length >= 3, { from: dlqStart, timeoutMs: 60000 });
    const mine = dead.filter(isOurs);
    expect(mine).toHaveLength(3);
    const byKind = Object.fromEntries(mine.map((m) => [header(m.message, HEADERS.errorKind), m.message]));
    expect(Object.keys(byKind).sort()).toEqual(['decode', 'exhausted', 'fatal']);

    const fatal = byKind.fatal!;
    expect(header(fatal, HEADERS.errorCode)).toBe('POISON');
    expect(header(fatal, HEADERS.errorMessage)).toBe('this event can never be processed');
    expect(header(fatal, HEADERS.originalTopic)).toBe('events.agent');
    expect(header(fatal, HEADERS.originalPartition)).toBe(String(poison.partition));
    expect(header(fatal, HEADERS.originalOffset)).toBe(poison.offset);
    expect(header(fatal, HEADERS.attempt)).toBe('1');
    // The DLQ keeps the original bytes, so the event can be decoded and replayed.
    expect(((await ctx.bus.codec.decode('events.agent.dlq', fatal.value)) as { payload: Probe }).payload.step).toBe('poison');

    expect(header(byKind.exhausted!, HEADERS.attempt)).toBe('3');
    expect(header(byKind.exhausted!, HEADERS.errorMessage)).toBe('handler bug');
    expect(header(byKind.decode!, HEADERS.errorCode)).toBe('DECODE_FAILED');
    expect(byKind.decode!.value!.toString()).toBe('not avro at all');

    // Offsets were committed past everything, including the poison and garbage messages.
    const admin = testKafka().admin();
    await admin.connect();
    try {
      await waitFor('commit past the last event', async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: ['events.agent'] });
        const p = committed.partitions.find((x) => x.partition === last.partition);
        return p && BigInt(p.offset) > BigInt(last.offset);
      });
    } finally {
      await admin.disconnect();
    }
  });

  it('deferred effects: later events run meanwhile; a failed effect retries or dead-letters like a throw; commits wait for effects', async () => {
    const dlqStart = await endOffsets('events.agent.dlq');
    const key = `deferred-${runId}`;
    // Written in one produce request by a plain kafkajs producer, so one fetch holds them all whatever
    // the bus's linger: deferral overlaps effects within a batch.
    const probes: [string, Probe['mode']][] = [['slow', 'slow-effect'], ['after-slow', 'ok'], ['effect-flaky', 'effect-flaky'], ['effect-fatal', 'effect-fatal'], ['deferred-last', 'ok']];
    const messages = await Promise.all(
      probes.map(async ([step, mode]) => {
        const event = createEnvelope({ type: 'probe.step', source: 'test', key, payload: { runId, step, mode } });
        return { key, value: await ctx.bus.codec.encode('events.agent', event), headers: { [HEADERS.eventId]: event.id, [HEADERS.eventType]: event.type, [HEADERS.source]: event.source } };
      }),
    );
    const raw = testKafka().producer();
    await raw.connect();
    const [meta] = await raw.send({ topic: 'events.agent', acks: -1, messages }).finally(() => raw.disconnect());
    const at = (i: number) => ({ partition: meta.partition, offset: String(BigInt(meta.baseOffset!) + BigInt(i)) });
    const [slow, fatal, last] = [at(0), at(3), at(4)];

    await waitFor('deferred probes handled', () => ['slow', 'after-slow', 'effect-flaky', 'deferred-last'].every((s) => handled.some((h) => h.step === s)), 60000);
    // The next event on the partition ran while the first one's effect was still pending.
    expect(handledAt['after-slow']).toBeLessThan(effectSettledAt.slow ?? Infinity);
    expect(handled.find((h) => h.step === 'effect-flaky')!.attempt).toBe(2);

    const isFatal = (m: { message: Parameters<typeof header>[0] }) => header(m.message, HEADERS.consumerGroup) === groupId && header(m.message, HEADERS.originalOffset) === fatal.offset && header(m.message, HEADERS.originalPartition) === String(fatal.partition);
    const dead = await readUntil('events.agent.dlq', (ms) => ms.some(isFatal), { from: dlqStart, timeoutMs: 60000 });
    const entry = dead.find(isFatal)!;
    expect(header(entry.message, HEADERS.errorKind)).toBe('fatal');
    expect(header(entry.message, HEADERS.errorCode)).toBe('EFFECT_FATAL');

    const admin = testKafka().admin();
    await admin.connect();
    try {
      await waitFor('commit past the last deferred probe', async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: ['events.agent'] });
        const p = committed.partitions.find((x) => x.partition === last.partition);
        return p && BigInt(p.offset) > BigInt(last.offset);
      });
    } finally {
      await admin.disconnect();
    }
    expect(effectSettledAt.slow).toBeDefined();
    expect(slow.partition).toBe(last.partition);
  });

  it('refuses to start when two handlers match the same topic', async () => {
    const bad = await NestFactory.createMicroservice(AmbiguousModule, { strategy: transport(ctx, `bus-test-bad-${runId}`), logger: false });
    await expect(bad.listen()).rejects.toThrow(BusError);
    await expect(bad.listen()).rejects.toThrow(/matched by both "events\.\*" and "events\.agent"/);
    await bad.close();
  });
});
