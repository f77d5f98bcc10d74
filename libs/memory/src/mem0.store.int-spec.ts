import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@phoenix/config';
import { Mem0MemoryStore } from './mem0.store';
import { memoryFileSchema } from './memory.config';

/** Real Mem0 OSS store with the real offline embedder (all-MiniLM-L6-v2 in-process). */
describe('Mem0 memory store (embedded, real embeddings)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-memory-'));
  const store = new Mem0MemoryStore({ dir, modelsDir: loadConfig().paths.models, store: memoryFileSchema.parse({}).store });
  const add = (eventId: string, text: string, entity: string | null = null, namespace: 'live' | 'shadow' = 'live') =>
    store.add({ eventId, text, scope: {}, metadata: { topic: 'cdc.hubspot.deals' }, entity, namespace });

  beforeAll(async () => {
    await store.init();
  }, 180000);
  afterAll(() => store.close());

  it('ranks a semantically related memory first ("deal won" → "opportunity moved to closed-won")', async () => {
    await add('e1', 'The office coffee machine is broken again');
    await add('e2', 'Opportunity 42 moved to closed-won (HubSpot, 2026-11-20)');
    await add('e3', 'Customer asked for a refund on invoice 9');
    await add('e4', 'Quarterly all-hands moved to Friday');
    const hits = await store.search('deal won', { limit: 4 });
    expect(hits[0].text).toContain('closed-won');
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
    expect(hits[0].metadata).toMatchObject({ event_id: 'e2', topic: 'cdc.hubspot.deals', namespace: 'live' });
  });

  it('is idempotent by event id, also when asked to check the store itself', async () => {
    const first = await add('e5', 'Ticket 7 was solved');
    const again = await add('e5', 'Ticket 7 was solved');
    expect(again).toEqual({ memoryIds: first.memoryIds, applied: false });
    // Interrupted after Mem0 wrote but before the ledger did: the store finds it by event id.
    const res = await store.add({ eventId: 'e5', text: 'x', scope: {}, metadata: {}, entity: null, namespace: 'live' }, { mayExist: true });
    expect(res.applied).toBe(false);
  });

  it('deletes the memories of an entity, and keeps shadow memories out of live searches', async () => {
    await add('e6', 'Deal 77 was created: name Initech, stage proposal', 'cdc.hubspot.deals/77');
    await add('e7', 'Deal 77 moved stage from proposal to negotiation', 'cdc.hubspot.deals/77');
    const del = await store.deleteEntity('cdc.hubspot.deals/77', 'live', 'e8');
    expect(del.memoryIds).toHaveLength(2);
    expect(await store.get(del.memoryIds[0])).toBeNull();
    expect((await store.deleteEntity('cdc.hubspot.deals/77', 'live', 'e8')).applied).toBe(false);

    await add('e9', 'Replayed: deal 99 closed-won', null, 'shadow');
    expect((await store.search('deal 99 closed-won', { limit: 10 })).some((h) => h.metadata.event_id === 'e9')).toBe(false);
    expect((await store.search('deal 99 closed-won', { limit: 10, namespace: 'shadow' }))[0].metadata.event_id).toBe('e9');
  });
});
