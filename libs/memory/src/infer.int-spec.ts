import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@phoenix/config';
import { localLlm } from '../../../test/support/llm';
import { Mem0MemoryStore } from './mem0.store';
import { memoryFileSchema } from './memory.config';

/**
 * Mem0's fact extraction (`infer: on`) through a real model: SmolLM2-135M behind the stack's
 * OpenAI-compatible server. A 135M model extracts poor facts (and sometimes loops past its token budget); what must hold is the plumbing —
 * each message becomes facts or, when the answer is unusable, stays verbatim with the reason; the ledger keeps a
 * redelivered event to one write, and what was stored is searchable in its scope.
 */
describe('memory with LLM fact extraction (infer on, real local model)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'phoenix-infer-'));
  let store: Mem0MemoryStore;

  beforeAll(async () => {
    const llm = await localLlm();
    const defaults = memoryFileSchema.parse({ store: { infer: 'on' } });
    store = new Mem0MemoryStore({ dir, modelsDir: loadConfig().paths.models, store: defaults.store, search: defaults.search, llm });
    await store.init();
  }, 300000);
  afterAll(async () => {
    await store?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const message = (eventId: string, text: string) => ({
    eventId,
    text,
    scope: { userId: 'ana', runId: 'conv-infer' },
    metadata: { topic: 'interactions.chat' },
    entity: 'interactions.chat/conv-infer',
    namespace: 'live' as const,
  });

  it('turns each message into facts through the model, or keeps it verbatim when the answer is unusable; nothing lost, nothing twice', async () => {
    expect(store.infer).toBe(true);
    const texts = [
      'ana said on 2026-11-20: I moved to Lisbon last spring and I now work at Acme as a data engineer.',
      'Caroline said on 8 May 2023: I went to a LGBTQ support group yesterday and it was so powerful.',
      'ana said on 2026-11-21: my sister Marta is visiting from Porto next week, we will hike in Sintra.',
    ];
    const reqs = texts.map((t, i) => message(`infer-${i}`, t));
    const first = await store.addMany(reqs);
    for (const [i, r] of first.entries()) {
      expect(r.applied).toBe(true);
      expect(r.memoryIds.length).toBeGreaterThanOrEqual(1);
      for (const id of r.memoryIds) {
        const m = (await store.get(id))!;
        expect(m.metadata).toMatchObject({ event_id: `infer-${i}`, namespace: 'live' });
        expect(typeof m.metadata.inferred).toBe('boolean');
        // Kept verbatim only with the reason; extracted facts are the model's own sentences.
        if (m.metadata.inferred === false) {
          expect(m.text).toBe(texts[i]);
          expect(String(m.metadata.infer_error)).toMatch(/LLM|model|JSON/);
        } else {
          expect(m.text.length).toBeGreaterThan(2);
        }
      }
    }
    // A redelivered event is answered from the ledger: not extracted, not written again.
    const again = await store.addMany(reqs);
    expect(again).toEqual(first.map((r) => ({ memoryIds: r.memoryIds, applied: false })));
    expect(await store.count('live')).toBe(first.reduce((n, r) => n + r.memoryIds.length, 0));

    const hits = await store.search('where does ana work', { scope: { runId: 'conv-infer' }, limit: 10 });
    expect(hits.length).toBeGreaterThan(0);
    const all = new Set(first.flatMap((r) => r.memoryIds));
    for (const h of hits) expect(all.has(h.id)).toBe(true);
    // Nothing leaks into another run's scope.
    expect(await store.search('where does ana work', { scope: { runId: 'another-conversation' }, limit: 5 })).toEqual([]);
  }, 180000);
});
