import { EventProducer, HEADERS } from '@phoenix/bus';
import { DeadLetterStore, REDRIVE_HEADER, redriveRequestSchema } from './dead-letters';

const message = (offset: string, headers: Record<string, string>) => ({ offset, timestamp: '1700000000000', key: Buffer.from('k1'), value: Buffer.from([0, 1, 2, 3]), headers });

describe('DeadLetterStore', () => {
  const failed = { [HEADERS.originalTopic]: 'events.app.retry', [HEADERS.originalPartition]: '2', [HEADERS.originalOffset]: '41', [HEADERS.errorCode]: 'MCP_TIMEOUT', [HEADERS.errorKind]: 'exhausted', [HEADERS.attempt]: '5', [HEADERS.correlationId]: 'corr-1' };

  it('reads the reason headers and redrives the bytes to the topic it failed on, without them', async () => {
    const store = new DeadLetterStore();
    store.add('events.app.dlq', 0, message('7', failed), null);
    const [d] = store.list('events.app.dlq');
    expect(d).toMatchObject({ originalPosition: 'events.app.retry/2/41', errorCode: 'MCP_TIMEOUT', errorKind: 'exhausted', attempts: 5, event: null, rawPreview: expect.stringMatching(/^base64:/), redriven: null });

    const sent: { topic: string; headers: Record<string, unknown>; value: Buffer | null }[] = [];
    const producer = { publishRaw: async (topic: string, m: { headers: Record<string, unknown>; value: Buffer | null }) => (sent.push({ topic, ...m }), { topic, partition: 1, offset: '99' }) } as unknown as EventProducer;
    const out = await store.redrive(producer, 'events.app.dlq', 0, '7');
    expect(out).toEqual({ position: 'events.app.dlq/0/7', to: 'events.app', partition: 1, offset: '99' });
    expect(sent[0].topic).toBe('events.app');
    expect(sent[0].value).toEqual(Buffer.from([0, 1, 2, 3]));
    expect(sent[0].headers).toEqual({ [HEADERS.correlationId]: 'corr-1', [REDRIVE_HEADER]: 'events.app.dlq/0/7' });

    // The copy, read back on the main topic, marks the entry.
    store.noteRedrive({ [REDRIVE_HEADER]: 'events.app.dlq/0/7' }, { topic: 'events.app', partition: 1, offset: '99', eventId: 'e1', at: 1 });
    expect(store.get('events.app.dlq', 0, '7')!.redriven).toMatchObject({ offset: '99', eventId: 'e1' });
    expect(store.topics()).toEqual([{ topic: 'events.app.dlq', held: 1, redriven: 1 }]);
    expect(await store.redrive(producer, 'events.app.dlq', 0, '8')).toEqual({ position: 'events.app.dlq/0/8', error: 'no dead letter is held at this position' });
  });

  it('keeps the newest per topic', () => {
    const store = new DeadLetterStore(2);
    for (const o of ['1', '2', '3']) store.add('x.dlq', 0, message(o, {}), null);
    expect(store.list('x.dlq').map((d) => d.offset)).toEqual(['3', '2']);
  });

  it('a request names positions or all, never both or neither', () => {
    expect(redriveRequestSchema.safeParse({ all: true }).success).toBe(true);
    expect(redriveRequestSchema.safeParse({ positions: [{ partition: 0, offset: '7' }] }).success).toBe(true);
    expect(redriveRequestSchema.safeParse({}).success).toBe(false);
    expect(redriveRequestSchema.safeParse({ all: true, positions: [{ partition: 0, offset: '7' }] }).success).toBe(false);
    expect(redriveRequestSchema.safeParse({ positions: [{ partition: 0, offset: '-1' }] }).success).toBe(false);
  });
});
