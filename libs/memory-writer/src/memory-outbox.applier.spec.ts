import { memoryRequestSchema } from './memory-outbox.applier';

describe('memoryRequestSchema (outbox entries read back from the warehouse)', () => {
  const add = { eventId: 'e1', op: 'add', topic: 'events.app', text: 'Deal 42 moved to won', scope: { userId: 'u1' }, entity: 'events.app:deal-42', namespace: 'live', metadata: { type: 'deal.updated' } };
  it('accepts what the memory-writer writes', () => {
    expect(memoryRequestSchema.parse(JSON.parse(JSON.stringify(add)))).toEqual(add);
    expect(memoryRequestSchema.parse({ op: 'delete', topic: 'cdc.crm.deals', entity: 'cdc.crm.deals:42', namespace: 'live' }).op).toBe('delete');
  });
  it('refuses damaged entries', () => {
    expect(memoryRequestSchema.safeParse({ ...add, op: 'upsert' }).success).toBe(false);
    expect(memoryRequestSchema.safeParse({ ...add, text: 42 }).success).toBe(false);
    expect(memoryRequestSchema.safeParse({ op: 'delete', topic: 't', entity: '', namespace: 'live' }).success).toBe(false);
    expect(memoryRequestSchema.safeParse('{"op":"add"}').success).toBe(false);
  });
});
