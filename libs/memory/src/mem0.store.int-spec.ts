import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@phoenix/config';
import { Mem0MemoryStore } from './mem0.store';
import { memoryFileSchema } from './memory.config';

/** Real Mem0 OSS store with the real offline models (e5-small-v2 and the cross-encoder, in-process). */
describe('Mem0 memory store (embedded, real embeddings)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-memory-'));
  const defaults = memoryFileSchema.parse({});
  const store = new Mem0MemoryStore({ dir, modelsDir: loadConfig().paths.models, store: defaults.store, search: defaults.search });
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
    // The reranker's relevance, 0…1, best first.
    for (const h of hits) {
      expect(h.score).toBeGreaterThanOrEqual(0);
      expect(h.score).toBeLessThanOrEqual(1);
    }
    expect([...hits.map((h) => h.score)].sort((a, b) => b - a)).toEqual(hits.map((h) => h.score));
  });

  it('the reranker reads the question with each memory: the one that answers it comes first', async () => {
    await add('r1', 'Caroline said on 2023-05-08: "I went to a LGBTQ support group yesterday and it was so powerful."');
    await add('r2', 'Melanie said on 2023-05-08: "I painted a lake sunrise last year, it is special to me."');
    await add('r3', 'Caroline said on 2023-06-09: "The support from the group has been so helpful."');
    const hits = await store.search('When did Caroline go to the LGBTQ support group?', { limit: 3 });
    expect(hits[0].metadata.event_id).toBe('r1');
  });

  it('a store embedded with another model is re-embedded at start, and searches find the same memories', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-memory-mig-'));
    const modelsDir = loadConfig().paths.models;
    const minilm = { ...defaults.store, embedder: { provider: 'local', config: { model: 'all-MiniLM-L6-v2' } } };
    const old = new Mem0MemoryStore({ dir: other, modelsDir, store: minilm });
    await old.init();
    await old.add({ eventId: 'm1', text: 'Invoice 12 was paid in full', scope: {}, metadata: {}, entity: null, namespace: 'live' });
    await old.add({ eventId: 'm2', text: 'The team offsite is in Porto', scope: {}, metadata: {}, entity: null, namespace: 'live' });
    await old.close();
    const logs: string[] = [];
    const upgraded = new Mem0MemoryStore({ dir: other, modelsDir, store: defaults.store, log: (m) => logs.push(m) });
    await upgraded.init();
    try {
      expect(logs.join('\n')).toMatch(/embedded with local:all-MiniLM-L6-v2; re-embedding it with local:e5-small-v2/);
      expect(logs.join('\n')).toMatch(/re-embedded 2 memories/);
      expect((await upgraded.search('where is the offsite', { limit: 1 }))[0].metadata.event_id).toBe('m2');
    } finally {
      await upgraded.close();
    }
    // Recorded: the next start does not re-embed.
    const again: string[] = [];
    const third = new Mem0MemoryStore({ dir: other, modelsDir, store: defaults.store, log: (m) => again.push(m) });
    await third.init();
    await third.close();
    expect(again).toEqual([]);
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
