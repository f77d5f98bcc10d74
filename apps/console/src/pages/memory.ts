import { ApiError, get, post } from '../api';
import { clear, field, h, pretty, statusLine } from '../dom';
import { Page } from './page';
import { TOPICS } from '../../../../libs/contracts/src/topic-names';

interface Hit {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

/** Semantic memory search with scores and metadata, optionally for one user. */
export const memoryPage: Page = (root, params) => {
  const q = h('input', { name: 'q', required: true, size: 40, value: params[0] ?? '' });
  const user = h('input', { name: 'userId', size: 16 });
  const status = statusLine();
  const results = h('ol', { class: 'hits', 'aria-label': 'Memories, best first' });
  const search = async () => {
    const qs = new URLSearchParams({ q: q.value, limit: '20' });
    if (user.value.trim()) qs.set('userId', user.value.trim());
    status.textContent = 'Searching…';
    try {
      const { memories } = await get<{ memories: Hit[] }>(`/v1/memory/search?${qs}`);
      status.textContent = `${memories.length} memor${memories.length === 1 ? 'y' : 'ies'}.`;
      clear(results, memories.map((m) => h('li', {}, h('p', {}, m.text), h('p', { class: 'muted' }, `score ${m.score.toFixed(3)} · ${m.metadata.topic ?? ''} · ${m.metadata.type ?? ''}`), h('details', {}, h('summary', {}, 'Metadata'), h('pre', {}, pretty(m.metadata))))));
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.describe() : String(err);
    }
  };
  const form = h('form', { class: 'inline', onsubmit: (e: Event) => (e.preventDefault(), void search()) }, field('Search', q), field('User', user), h('button', { type: 'submit' }, 'Search memory'));
  clear(root, h('h1', {}, 'Memory'), h('section', { class: 'card wide' }, form, status, results), entityCard());
  if (q.value) void search();
  return () => undefined;
};

const hitItem = (m: Hit) => h('li', {}, h('p', {}, m.text), h('p', { class: 'muted' }, `${m.id} · ${m.metadata.topic ?? ''} · ${m.metadata.type ?? ''}`), h('details', {}, h('summary', {}, 'Metadata'), h('pre', {}, pretty(m.metadata))));

/** One entity's memories (topic + key), and forgetting it: memories deleted, warehouse rows soft-deleted. */
function entityCard(): HTMLElement {
  const topic = h('input', { name: 'entityTopic', size: 24, value: TOPICS.eventsApp, required: true });
  const key = h('input', { name: 'entityKey', size: 24, required: true });
  const status = statusLine();
  const list = h('ol', { class: 'hits entity-memories', 'aria-label': "The entity's memories" });
  let poll: number | undefined;
  const show = async (): Promise<number> => {
    const qs = new URLSearchParams({ topic: topic.value.trim(), key: key.value.trim() });
    const { entity, memories } = await get<{ entity: string; memories: Hit[] }>(`/v1/memory/entity?${qs}`);
    clear(list, memories.map(hitItem));
    list.dataset.count = String(memories.length);
    status.textContent = `${entity}: ${memories.length} memor${memories.length === 1 ? 'y' : 'ies'}.`;
    return memories.length;
  };
  const guarded = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.describe() : String(err);
    }
  };
  const confirm = h('button', { type: 'button', class: 'danger', hidden: true }, 'Confirm: forget it');
  confirm.addEventListener(
    'click',
    guarded(async () => {
      confirm.hidden = true;
      const r = await post<{ requestId: string; entity: string }>('/v1/memory/forget', { topic: topic.value.trim(), key: key.value.trim(), reason: 'requested in the console' });
      status.textContent = `Forget requested (${r.requestId}); waiting for the memory-writer…`;
      window.clearInterval(poll);
      const started = Date.now();
      poll = window.setInterval(
        guarded(async () => {
          const n = await show();
          if (n === 0) {
            window.clearInterval(poll);
            status.textContent = `${r.entity} is forgotten: no memories left, its warehouse rows soft-deleted (${((Date.now() - started) / 1000).toFixed(1)} s).`;
            status.append(' ', h('a', { href: `#/lineage/${r.requestId}` }, 'See the deletions'));
          }
        }),
        1000,
      );
    }),
  );
  const form = h(
    'form',
    { class: 'inline', onsubmit: (e: Event) => (e.preventDefault(), void guarded(async () => void (await show()))()) },
    field('Entity topic', topic),
    field('Entity key', key),
    h('button', { type: 'submit' }, "Show the entity's memories"),
    h('button', { type: 'button', onclick: () => (confirm.hidden = false) }, 'Forget this entity…'),
    confirm,
  );
  return h('section', { class: 'card wide', 'aria-labelledby': 'h-entity' }, h('h2', { id: 'h-entity' }, 'Entity'), h('p', {}, 'Every memory Phoenix keeps about one entity (a topic and a key). Forgetting deletes them, soft-deletes its warehouse rows and publishes each deletion on memory.changes.'), form, status, list);
}
