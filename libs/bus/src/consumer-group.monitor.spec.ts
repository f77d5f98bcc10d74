import { Kafka } from 'kafkajs';
import pino from 'pino';
import { PhoenixMetrics } from '@phoenix/observability';
import { ConsumerGroupMonitor, GroupHealth } from './consumer-group.monitor';

const make = () => new GroupHealth({ maxRejoins: 3, windowMs: 60_000, outOfGroupMs: 20_000, growingSamples: 3, minLag: 1000n });

describe('GroupHealth', () => {
  it('is up after a join with steady lag', () => {
    const h = make();
    h.joined(0);
    for (const [t, lag] of [[5, 5000n], [10, 4000n], [15, 6000n], [20, 5500n]] as const) h.sampled(t * 1000, lag);
    expect(h.status(21_000).status).toBe('up');
  });

  it('is degraded while lag grows sample after sample above the floor, and recovers when it shrinks', () => {
    const h = make();
    h.joined(0);
    [2000n, 3000n, 4000n, 5000n].forEach((lag, i) => h.sampled(i * 5000, lag));
    expect(h.status(16_000)).toMatchObject({ status: 'degraded', detail: expect.stringContaining('falling behind') });
    h.sampled(20_000, 4500n);
    expect(h.status(21_000).status).toBe('up');
  });

  it('ignores growth below the floor (a burst being worked off)', () => {
    const h = make();
    h.joined(0);
    [10n, 20n, 30n, 40n].forEach((lag, i) => h.sampled(i * 5000, lag));
    expect(h.status(16_000).status).toBe('up');
  });

  it('is degraded when membership keeps being lost, and again up once the window passes', () => {
    const h = make();
    for (let i = 0; i < 5; i++) {
      h.joined(i * 10_000);
      h.left(i * 10_000 + 5000);
    }
    h.joined(50_000);
    expect(h.status(51_000)).toMatchObject({ status: 'degraded', detail: expect.stringContaining('unstable') });
    h.joined(200_000);
    expect(h.status(201_000).status).toBe('up');
  });

  it('is degraded when out of the group longer than allowed, up after rejoining', () => {
    const h = make();
    h.joined(0);
    h.left(1000);
    expect(h.status(15_000).status).toBe('up');
    expect(h.status(30_000)).toMatchObject({ status: 'degraded', detail: expect.stringContaining('out of its consumer group') });
    h.joined(31_000);
    expect(h.status(32_000).status).toBe('up');
  });
});

describe('ConsumerGroupMonitor', () => {
  it('drops its lag series when the broker cannot be read, instead of serving the last figure', async () => {
    let down = false;
    const admin = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchOffsets: async () => {
        if (down) throw new Error('ECONNREFUSED');
        return [{ topic: 'events.app', partitions: [{ partition: 0, offset: '40' }] }];
      },
      fetchTopicOffsets: async () => [{ partition: 0, offset: '100', high: '100', low: '0' }],
    };
    const metrics = new PhoenixMetrics();
    const m = new ConsumerGroupMonitor({ admin: () => admin } as unknown as Kafka, 'g', () => ['events.app'], metrics, pino({ level: 'silent' }), 'test', 60_000, 10_000);
    const lagOf = async () => (await metrics.consumerLag.get()).values.filter((v) => v.labels.group === 'g').map((v) => v.value);
    await m.sample();
    expect(await lagOf()).toEqual([60]);
    down = true;
    await m.sample();
    expect(await lagOf()).toEqual([]);
    down = false;
    await m.sample();
    expect(await lagOf()).toEqual([60]);
    await m.stop();
  });

  it('stop waits for a sample in flight, disconnects after it, and reads nothing afterwards', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const admin = {
      connect: async () => void log.push('connect'),
      disconnect: async () => void log.push('disconnect'),
      fetchOffsets: async () => {
        log.push('fetch');
        await gate;
        return [];
      },
      fetchTopicOffsets: async () => [{ partition: 0, offset: '1', high: '1', low: '0' }],
    };
    const m = new ConsumerGroupMonitor({ admin: () => admin } as unknown as Kafka, 'g', () => ['events.app'], new PhoenixMetrics(), pino({ level: 'silent' }), 'test', 60_000, 10_000);
    const inFlight = m.sample();
    await new Promise((r) => setImmediate(r));
    let stopped = false;
    const stopping = m.stop().then(() => (stopped = true));
    // However many turns the event loop takes, stop stays pending while the sample is held.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await Promise.all([inFlight, stopping]);
    expect(log).toEqual(['connect', 'fetch', 'disconnect']);
    await m.sample();
    expect(log).toEqual(['connect', 'fetch', 'disconnect']);
  });
});
